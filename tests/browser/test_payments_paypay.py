"""Paying a fee with PayPay on a phone, in a real browser, axe-core on every page: the 確認画面
with the total → 送信 → the pay page → PayPay (the local PayPay server's "app" page) → 支払う
→ back to Madoguchi, paid → My Page. PayPay's webhook reaches the live server before the
resident comes back, with and without JavaScript; a second walk closes the browser on
PayPay's page and the job finds the payment. The form's steps are filled through the test client (the form's own browser tests
walk them); the browser does everything from the 確認画面 on."""

import pytest
from django.urls import reverse
from paypay_server import LocalPayPay
from paypay_server import configure_city as configure
from playwright.sync_api import Page, expect

from madoguchi.applications.models import Draft, Status, Submission
from madoguchi.catalog.loader import catalog
from madoguchi.payments import services
from madoguchi.payments.models import Attempt, AttemptState, Charge, ProviderEvent

from .helpers import check_a11y, log_in_resident, screenshot
from conftest import login_resident
from support import fill_form

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
PROCEDURE = "dog-registration"  # 犬の登録手数料 3,000円, no card needed


@pytest.fixture
def paypay(site, city):
    with LocalPayPay(webhook_url=site + reverse("payments:webhook", args=["paypay"])) as server:
        configure(city, server)
        yield server


def draft_at_confirm(client, resident) -> Draft:
    """Every step of the form filled by the resident's account (through the test client)."""
    login_resident(client, resident)
    client.post(reverse("applications:start", args=[PROCEDURE]))
    draft = Draft.objects.filter(account=resident).latest("id")
    fill_form(client, lambda i: reverse("applications:step", args=[draft.public_id, i]),
              catalog()[PROCEDURE].current_form)
    return draft


def confirm_and_send(page: Page, draft: Draft, email: str) -> None:
    page.goto(reverse("applications:confirm", args=[draft.public_id]))
    log_in_resident(page, email)
    expect(page.get_by_role("heading", level=1)).to_have_text("入力内容の確認")
    expect(page.locator("#fee-next")).to_be_visible()
    check_a11y(page)
    page.get_by_role("button", name="この内容で送信する").click()
    # the done page sends a fee due now straight on to the pay page
    expect(page.locator("#payment-state")).to_have_attribute("data-state", "due")
    expect(page.locator("#charge-amount")).to_have_attribute("data-amount-yen", "3000")
    check_a11y(page)
    screenshot(page, "pay-page-phone")


def to_paypay(page: Page, paypay: LocalPayPay) -> None:
    page.locator("#pay-paypay-paypay").click()
    page.wait_for_url(f"{paypay.base_url}/app/**")
    expect(page.locator("#amount")).to_have_text("3,000円")
    check_a11y(page)


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_pay_with_paypay_on_a_phone(new_context, client, resident, paypay, javascript):
    draft = draft_at_confirm(client, resident)
    page = new_context(viewport=PHONE, is_mobile=True, has_touch=True,
                       java_script_enabled=javascript).new_page()
    confirm_and_send(page, draft, resident.email)
    submission = Submission.objects.get(draft=draft)
    assert submission.status == Status.AWAITING_PAYMENT

    to_paypay(page, paypay)
    page.locator("#pay").click()  # in the PayPay app: 支払う; PayPay redirects back

    expect(page.locator("#payment-state")).to_have_attribute("data-state", AttemptState.SUCCEEDED)
    expect(page.locator("#receipt-number")).to_have_text(submission.receipt_number)
    check_a11y(page)
    attempt = Attempt.objects.get(charge__submission=submission)
    # the webhook came first (it was confirmed with PayPay before it was believed)
    assert ProviderEvent.objects.filter(provider="paypay", attempt=attempt, state=AttemptState.SUCCEEDED).exists()
    assert paypay.sent_webhooks and paypay.sent_webhooks[0]["merchant_order_id"] == attempt.provider_ref

    page.locator("#to-mypage").click()
    row = page.get_by_role("row").filter(has_text=submission.receipt_number)
    expect(row.locator(".status")).to_have_class("status status-submitted")
    expect(page.locator(f"#pay-{submission.receipt_number}")).to_have_count(0)
    check_a11y(page)
    assert Charge.objects.get(submission=submission).status == Charge.Status.PAID
    assert paypay.codes_for(attempt.provider_ref) == 1


def test_the_browser_closed_on_paypays_page_the_job_finds_the_payment(new_context, client, resident, paypay):
    paypay.faults.webhook = "never"
    draft = draft_at_confirm(client, resident)
    context = new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    confirm_and_send(page, draft, resident.email)
    submission = Submission.objects.get(draft=draft)
    to_paypay(page, paypay)
    attempt = Attempt.objects.get(charge__submission=submission)
    paypay.pay(attempt.provider_ref)  # paid in the app, and the phone's browser is gone
    page.close()
    assert Charge.objects.get(submission=submission).status == Charge.Status.DUE

    from datetime import timedelta

    from django.utils import timezone

    services.reconcile(now=timezone.now() + timedelta(minutes=3))

    page = context.new_page()
    page.goto(reverse("applications:mypage"))
    row = page.get_by_role("row").filter(has_text=submission.receipt_number)
    expect(row.locator(".status")).to_have_class("status status-submitted")
    check_a11y(page)
    page.goto(reverse("payments:pay", args=[submission.public_id]))
    expect(page.locator("#payment-state")).to_have_attribute("data-state", "paid")
    check_a11y(page)
