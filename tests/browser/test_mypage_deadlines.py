"""My Page on a phone: what is due by when (a draft's last day, the 手続ナビ plan's other
procedures), overdue marked, a plan's online procedure one tap from its start, and the
受付番号 on one line at 320 px."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from madoguchi.applications import services
from madoguchi.applications.models import Status, Submission
from madoguchi.catalog.selectors import get_procedure
from madoguchi.core.models import Department
from madoguchi.identity.models import ResidentAccount
from madoguchi.navigator import services as navigator_services
from madoguchi.navigator.rules import NO, QuestionType

from .helpers import assert_no_sideways_scroll, check_a11y, log_in_resident, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

EMAIL = "deadlines.phone@example.jp"
START_FROM_PLAN = re.compile(r"/navi/p/[^/]+/result/\?apply=[a-z0-9-]+$")


def birth_plan(city, day):
    plan = navigator_services.start_plan(city, "birth")
    while (question := navigator_services.next_question(plan)) is not None:
        value = (day.isoformat() if question.type == QuestionType.DATE
                 else NO if question.type == QuestionType.YESNO else question.options[0].value)
        navigator_services.answer(plan, question.id, [value])
    return plan


@pytest.fixture
def resident_with_plan(city):
    """Born three days ago: 児童手当 started from the plan (its last day known); a dog form
    whose last day passed yesterday; one submission with its 受付番号."""
    account = ResidentAccount.objects.create(municipality=city, email=EMAIL)
    today = timezone.localdate()
    plan = birth_plan(city, today - timedelta(days=3))
    items = {i.code: i for i in navigator_services.result_for(plan, city).items}
    allowance = services.start_draft(account, get_procedure(city, "child-allowance-claim"))
    allowance.navigator_plan, allowance.due_on = plan, items["child-allowance-claim"].deadline
    allowance.save()
    dog = services.start_draft(account, get_procedure(city, "dog-registration-change"))
    dog.due_on = today - timedelta(days=1)
    dog.save()
    Submission.objects.create(
        municipality=city, receipt_number="ABCD-EFGH", procedure_code="dog-registration-change",
        form_version=1, department=Department.objects.filter(municipality=city).first(),
        account=account, actor_kind="resident", actor_ref=account.ref, status=Status.SUBMITTED)
    return {"allowance": allowance, "dog": dog, "items": items}


def test_my_page_shows_what_is_due_by_when(phone, resident_with_plan):
    phone.goto("/mypage/")
    log_in_resident(phone, EMAIL)
    expect(phone).to_have_url(re.compile(r"/mypage/$"))
    section = phone.locator("#deadlines")
    expect(section).to_be_visible()
    cards = section.locator("li[data-code]")
    dates = [d for d in cards.evaluate_all("els => els.map(e => e.dataset.dueOn)") if d]
    assert dates == sorted(dates) and len(dates) >= 3

    allowance = section.locator("li[data-code='child-allowance-claim']")
    expect(allowance).to_have_attribute("data-due-on", resident_with_plan["allowance"].due_on.isoformat())
    expect(allowance).to_have_attribute("data-state", "open")
    resume = f"/drafts/{resident_with_plan['allowance'].public_id}/"
    expect(allowance.locator(f"a[href='{resume}']")).to_have_count(1)

    overdue = section.locator("li[data-code='dog-registration-change']")
    expect(overdue).to_have_attribute("data-state", "overdue")
    assert cards.first.get_attribute("data-code") == "dog-registration-change"  # soonest first

    registration = section.locator("li[data-code='birth-registration']")
    expect(registration).to_have_attribute(
        "data-due-on", resident_with_plan["items"]["birth-registration"].deadline.isoformat())
    start = section.locator("a[data-start]").first
    expect(start).to_have_attribute("href", START_FROM_PLAN)
    check_a11y(phone)

    assert_no_sideways_scroll(phone, 320)
    receipt = phone.locator("[data-receipt-number]").first
    expect(receipt).to_have_text("ABCD-EFGH")
    assert receipt.evaluate("e => e.getClientRects().length") == 1, "the 受付番号 broke across lines"

    start.click()
    expect(phone).to_have_url(START_FROM_PLAN)
    check_a11y(phone)


def test_the_list_of_submissions_fits_a_phone_whatever_the_receipt_number(phone, city):
    """受付番号 are random: the widest letters (W, M) must fit at 320 px as well as narrow ones,
    on one line each, beside a long procedure name and a long status."""
    account = ResidentAccount.objects.create(municipality=city, email=EMAIL)
    department = Department.objects.filter(municipality=city).first()
    for number, status in (("WWWW-WWWM", Status.RETURNED), ("MMWW-MWMW", Status.ACCEPTED),
                           ("WMWM-WWMW", Status.SUBMITTED)):
        Submission.objects.create(
            municipality=city, receipt_number=number, procedure_code="child-allowance-claim",
            form_version=1, department=department, account=account, actor_kind="resident",
            actor_ref=account.ref, status=status, submitted_at=timezone.now())
    phone.goto("/mypage/")
    log_in_resident(phone, EMAIL)
    receipts = phone.locator("[data-receipt-number]")
    expect(receipts).to_have_count(3)
    check_a11y(phone)
    assert_no_sideways_scroll(phone, 320)
    for line in receipts.evaluate_all("els => els.map(e => e.getClientRects().length)"):
        assert line == 1, "a 受付番号 broke across lines"
    screenshot(phone, "mypage-submissions-phone")
