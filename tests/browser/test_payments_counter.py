"""Fees at the counter and after review, in a real browser with axe-core on each page.

1. A family moves in and registers a seal (印鑑登録, 300円): the clerk sees the visit's total
   for its whole bundle, the visitor signs the printed summary, the forms are filed, and the
   clerk records 300円 in cash (a wrong figure first, refused at its field); the 領収書 prints,
   and 会計課 finds the payment in the counter's file for the day.
2. 事後決済: a 戸籍 request under review; the clerk fixes the amount from the pages (3 × 450円 +
   郵送料 110円), in a browser without JavaScript; the case waits 入金待ち; the resident, on a phone, pays by card through the
   local Stripe-protocol server; the case goes back to 審査中 and the 領収書 downloads.
"""

import csv
import io
import re

import pytest
from django.core import mail
from django.urls import reverse
from playwright.sync_api import expect
from stripe_server import SECRET_KEY, WEBHOOK_SECRET, LocalStripe

from madoguchi.applications.models import Status, Submission, SubmissionVersion
from madoguchi.applications.receipts import new_receipt_number
from madoguchi.core.crypto import encrypt_json
from madoguchi.core.models import Department
from madoguchi.counter.models import CounterVisit, VisitStatus
from madoguchi.identity.models import ResidentAccount
from madoguchi.payments import books
from madoguchi.payments.models import Attempt, AttemptState, Charge, ProviderSetting

from .helpers import (
    check_a11y,
    log_in_resident,
    log_in_staff,
    screenshot,
)
from .test_counter import ANSWERS, _answer_questions, _family, _fill_blanks, _read_card

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


def _counter_takes_cash(city):
    ProviderSetting.objects.create(municipality=city, provider="counter", enabled=True,
                                   methods=["cash", "terminal_card", "terminal_emoney", "terminal_qr"],
                                   issues_receipt=["cash"])


def test_a_counter_visit_with_a_cash_fee(new_context, city):
    head = _family(city)
    _counter_takes_cash(city)
    page = new_context().new_page()
    log_in_staff(page, "shimin-tanto")
    page.goto("/staff/counter/")
    page.get_by_role("button", name="次の方の受付を始める").click()
    expect(page.get_by_role("heading", name="窓口受付", exact=True)).to_be_visible()
    visit = CounterVisit.objects.get()
    _read_card(page, head)
    page.get_by_label("できごと", exact=True).select_option("moving")
    page.get_by_role("button", name="質問を始める").click()
    _answer_questions(page, {**ANSWERS, "seal": "yes"})
    page.get_by_role("button", name="書類をつくる（記入済みで用意）").click()
    _fill_blanks(page, visit)

    # the whole bundle's fee, before anything is signed
    expect(page.locator("#fee-total")).to_have_attribute("data-yen", "300")
    expect(page.locator("#fee-form")).to_have_count(0)
    check_a11y(page)

    page.get_by_role("button", name="来庁者の確認へ進む").click()
    page.goto(f"/staff/counter/{visit.public_id}/")
    page.get_by_role("button", name="確認票に署名をもらった").click()
    expect(page.locator("#fee-due")).to_have_attribute("data-yen", "300")
    visit.refresh_from_db()
    assert visit.status == VisitStatus.FILED

    # a wrong figure: refused at its field, kept as typed, nothing recorded
    page.locator("#fee-method-cash").check()
    page.locator("#fee-amount").fill("3000")
    page.locator("#fee-submit").click()
    expect(page.locator("#fee-amount")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#fee-amount-error")).to_be_visible()
    expect(page.locator("#fee-amount")).to_have_value("3000")
    check_a11y(page)
    assert not Attempt.objects.exists()

    page.locator("#fee-amount").fill("300")
    page.locator("#fee-submit").click()
    expect(page.locator("#fee-paid")).to_be_visible()
    expect(page.locator("#fee-form")).to_have_count(0)
    check_a11y(page)
    screenshot(page, "counter-fee-paid")
    attempt = Attempt.objects.get()
    assert (attempt.provider, attempt.method, attempt.amount_yen, attempt.state) == (
        "counter", "cash", 300, AttemptState.SUCCEEDED)
    assert attempt.charge.submission.visit_ref == visit.public_id
    link = page.get_by_role("link", name=f"領収書（PDF）: 受付番号 {attempt.charge.submission.receipt_number}")
    receipt = page.request.get(link.get_attribute("href"))  # opens inline, to print at the counter
    assert receipt.status == 200 and receipt.body().startswith(b"%PDF")

    # 会計課 (the demo city's kaikei-tanto): the day's counter file holds the payment
    office = new_context().new_page()
    log_in_staff(office, "kaikei-tanto")
    day = books.city_today(attempt.finished_at)
    office.goto(reverse("payments:books") + f"?day={day.isoformat()}")
    expect(office.locator("tr[data-provider=counter]")).to_be_visible()
    check_a11y(office)
    with office.expect_download() as info:
        office.locator("#csv-counter").click()
    with open(info.value.path(), encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(io.StringIO(handle.read())))
    assert [(r["受付番号"], r["支払方法"], r["金額"]) for r in rows] == [
        (attempt.charge.submission.receipt_number, "cash", "300")]

    # a partial 還付: asked by one member (a figure above the payment first), approved by another
    office.goto(reverse("payments:books_payment", args=[attempt.public_id]))
    check_a11y(office)
    office.locator("#refund-amount").fill("1000")
    office.locator("#refund-reason").fill("登録の取下げ")
    office.locator("#refund-submit").click()
    expect(office.locator("#refund-amount")).to_have_attribute("aria-invalid", "true")
    expect(office.locator("#refund-reason")).to_have_value("登録の取下げ")
    check_a11y(office)
    office.locator("#refund-amount").fill("100")
    office.locator("#refund-submit").click()
    expect(office.locator("tr.refund")).to_have_attribute("data-state", "requested")
    expect(office.get_by_role("button", name="承認して返金する")).to_have_count(0)  # not by the asker
    approver = new_context().new_page()
    log_in_staff(approver, "kaikei-kacho")
    approver.goto(reverse("payments:books_payment", args=[attempt.public_id]))
    approver.get_by_role("button", name="承認して返金する").click()
    expect(approver.locator("tr.refund")).to_have_attribute("data-state", "done")
    expect(approver.locator("#refunded-yen")).to_have_text("100円")
    check_a11y(approver)
    approver.get_by_role("link", name="要確認の決済").first.click()
    expect(approver.locator("#unreconciled")).to_be_visible()
    check_a11y(approver)


GUIDE = {"lines": [{"code": "koseki", "label": "戸籍謄本・抄本", "unit_yen": 450, "quantity": 1,
                    "amount_yen": 450, "exempt": False},
                   {"code": "postage", "label": "郵送料（定形郵便）", "unit_yen": 110, "quantity": 1,
                    "amount_yen": 110, "exempt": False}],
         "exemptions": [], "total_yen": 0, "deferred": True, "deferred_note": "金額は審査後に決まります",
         "revenue_code": "1401-01-02"}


@pytest.fixture
def stripe_city(site, city):
    with LocalStripe(webhook_url=site + reverse("payments:webhook", args=["stripe"])) as server:
        setting = ProviderSetting(municipality=city, provider="stripe", enabled=True, methods=["card"],
                                  issues_receipt=["card"],
                                  config={"api_base": server.url, "checkout_origin": server.url,
                                          "session_minutes": 60})
        setting.set_secrets({"secret_key": SECRET_KEY, "webhook_secret": WEBHOOK_SECRET})
        setting.save()
        yield server


def _deferred_case(city) -> Submission:
    """A 戸籍 request the department has accepted; how many pages is known only now."""
    account = ResidentAccount.objects.create(municipality=city, email="koseki@example.jp")
    case = Submission.objects.create(
        municipality=city, receipt_number=new_receipt_number(), procedure_code="family-register-certificate",
        form_version=1, department=Department.objects.get(municipality=city, code="shimin"),
        account=account, actor_kind="resident", actor_ref=account.ref, status=Status.ACCEPTED,
        fee_yen=0, fee_lines=GUIDE, fee_deferred=True)
    SubmissionVersion.objects.create(submission=case, number=1, form_version=1, actor_kind="resident",
                                     actor_ref=account.ref, answers=encrypt_json({}, city))
    return case


def test_a_deferred_fee_paid_after_the_department_fixed_it(new_context, city, stripe_city):
    case = _deferred_case(city)
    clerk = new_context(java_script_enabled=False).new_page()  # the case page needs no script
    log_in_staff(clerk, "shimin-tanto")
    clerk.goto(reverse("casework:case", args=[case.public_id]))
    expect(clerk.locator("#fee-form")).to_be_visible()
    check_a11y(clerk)

    clerk.locator("#fee-koseki").fill("三")  # not a number: refused at the field
    clerk.locator("#fee-submit").click()
    expect(clerk.locator("#fee-koseki")).to_have_attribute("aria-invalid", "true")
    expect(clerk.locator("#fee-koseki")).to_have_value("三")
    check_a11y(clerk)
    clerk.locator("#fee-koseki").fill("3")
    clerk.locator("#fee-postage").fill("1")
    clerk.locator("#fee-submit").click()
    expect(clerk.locator("#case-status")).to_have_attribute("data-status", Status.AWAITING_PAYMENT)
    expect(clerk.locator("tr.charge")).to_have_attribute("data-status", "due")
    check_a11y(clerk)
    asked = [m for m in mail.outbox if case.account.email in m.to and case.receipt_number in m.subject]
    assert len(asked) == 1 and re.search(r"1,?460", asked[0].body)  # asked once, by mail

    phone = new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
    phone.goto(reverse("applications:mypage"))
    log_in_resident(phone, case.account.email)
    phone.goto(reverse("applications:mypage"))
    pay = phone.locator(f"#pay-{case.receipt_number}")
    expect(pay).to_be_visible()
    check_a11y(phone)
    pay.click()
    expect(phone.locator("#payment-state")).to_have_attribute("data-state", "due")
    expect(phone.locator("#charge-amount")).to_have_attribute("data-amount-yen", "1460")
    check_a11y(phone)
    phone.locator("#pay-stripe-card").click()
    phone.wait_for_url(f"{stripe_city.url}/**")
    expect(phone.locator("#amount")).to_have_text("¥1,460")
    phone.locator("#pay").click()  # on the provider's page: the card is typed there, not here
    expect(phone.locator("#payment-state")).to_have_attribute("data-state", AttemptState.SUCCEEDED)
    check_a11y(phone)
    screenshot(phone, "deferred-fee-paid-phone")

    charge = Charge.objects.get(submission=case)
    assert (charge.kind, charge.status, charge.amount_yen) == (Charge.Kind.AFTER_REVIEW, Charge.Status.PAID, 1460)
    case.refresh_from_db()
    assert case.status == Status.ACCEPTED  # back to 審査中 for the department
    response = phone.request.get(reverse("payments:receipt", args=[case.public_id]))
    assert response.status == 200 and response.body().startswith(b"%PDF")

    clerk.reload()
    expect(clerk.locator("#case-status")).to_have_attribute("data-status", Status.ACCEPTED)
    expect(clerk.locator("tr.charge")).to_have_attribute("data-status", "paid")
    check_a11y(clerk)
