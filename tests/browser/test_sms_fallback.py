"""On a phone, a resident adds and proves their mobile number on My Page; the staff's 差戻し then
goes by SMS through the local Twilio server, which reports it undelivered (30003): the notice
falls back to e-mail, and My Page says what happened to each delivery. axe-core on each page."""

import time

import pytest
from django.core import mail
from django.test import Client
from playwright.sync_api import expect
from sms_server import (  # tests/notify, on the path (browser/conftest.py)
    ACCOUNT_SID,
    AUTH_TOKEN,
    SmsServer,
)

from madoguchi.identity.models import ResidentAccount
from madoguchi.notify.models import ChannelSetting, Contact, OutboxMessage

from .helpers import (
    check_phone_page,
    log_in_resident,
    log_in_staff,
    return_for_correction,
    screenshot,
)
from conftest import login_resident
from support import submit_via_web

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RESIDENT = "sms.fallback@example.jp"
NUMBER = "+819012345678"


@pytest.fixture
def twilio(site, city):
    """The local Twilio, its status callbacks posted to the live server; SMS set up for the city."""
    server = SmsServer(callback_delay=0.2)
    server.undelivered[NUMBER] = 30003  # the handset is unreachable
    server.start()
    city.channels = []
    city.save(update_fields=["channels"])
    setting = ChannelSetting(municipality=city, channel="sms", enabled=True, config={
        "api_base": server.base_url, "from": "+15005550006", "status_callback": f"{site}/notify/hooks/sms/"})
    setting.set_secrets({"account_sid": ACCOUNT_SID, "auth_token": AUTH_TOKEN})
    setting.save()
    yield server
    server.stop()


@pytest.fixture
def case(site, city):
    """The resident's 児童手当 claim, sent before the test (the form has its own tests)."""
    account = ResidentAccount.objects.create(municipality=city, email=RESIDENT)
    return submit_via_web(login_resident(Client(), account), "child-allowance-claim")


def _sms_code(server, number: str) -> str:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        sent = server.messages_to(number)
        if sent:
            return next(word for word in sent[-1]["body"].replace("#", " ").split() if word.isdigit()
                        and len(word) == 6)
        time.sleep(0.05)
    raise AssertionError("no SMS with a code was sent")


def test_an_undelivered_sms_falls_back_to_email_and_my_page_says_why(phone, new_context, twilio, case):
    # The resident adds their number on My Page's 通知の受け取り方 and types the code sent to it.
    phone.goto("/mypage/notifications/")
    log_in_resident(phone, RESIDENT, check=check_phone_page)
    phone.goto("/mypage/notifications/")
    section = phone.locator("#contacts-sms")
    expect(section).to_be_visible()
    check_phone_page(phone)
    section.get_by_label("携帯電話の番号").fill("090-1234-56")
    section.get_by_role("button", name="SMSで確認コードを送る").click()
    field = phone.get_by_label("携帯電話の番号")  # refused next to the field, what was typed kept
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(field).to_have_value("090-1234-56")
    expect(phone.locator("#phone-number-error")).to_be_visible()
    check_phone_page(phone)
    field.fill("090-1234-5678")
    phone.get_by_role("button", name="SMSで確認コードを送る").click()
    expect(phone.locator("#phone-code-sent")).to_contain_text("…5678")
    assert "5678" not in phone.url
    check_phone_page(phone)
    phone.get_by_label("確認コード（6桁の数字）").fill(_sms_code(twilio, NUMBER))
    phone.get_by_role("button", name="番号を登録する").click()
    contact = phone.locator('#contacts-sms li.contact[data-channel="sms"]')
    expect(contact).to_have_attribute("data-state", "active")
    expect(contact).to_contain_text("…5678")
    check_phone_page(phone)
    screenshot(phone, "sms-number-added")

    # The clerk returns the claim for correction: the notice goes by SMS first.
    clerk = new_context().new_page()
    log_in_staff(clerk, "kodomo-tanto")
    clerk.goto(f"/staff/cases/{case.public_id}/")
    return_for_correction(clerk, "職業を確認してください。", "missing")  # ja-only: test data

    # Twilio reports the SMS undelivered (30003): the notice falls back to e-mail.
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and not OutboxMessage.objects.filter(
            event="returned", channel="email", fallback_of__isnull=False, status="sent").exists():
        time.sleep(0.1)
    sms = OutboxMessage.objects.get(event="returned", channel="sms")
    assert (sms.status, sms.failure) == ("failed", "unreachable")
    assert str(case.public_id) in twilio.messages_to(NUMBER)[-1]["body"]  # the link to the claim's page
    assert [c["params"]["MessageStatus"] for c in twilio.callbacks if c["sid"] == sms.provider_ref] == [
        "sent", "undelivered"]
    assert all(c["answer"] == 204 for c in twilio.callbacks)
    assert any(RESIDENT in m.to for m in mail.outbox[-2:])

    # My Page shows both deliveries, and why the SMS did not arrive.
    phone.goto("/mypage/notifications/")
    notice = phone.locator('#recent-notices li.notice[data-event="returned"]')
    expect(notice.locator('li.delivery[data-channel="sms"]')).to_have_attribute("data-status", "failed")
    expect(notice.locator('li.delivery[data-channel="sms"]')).to_have_attribute("data-failure", "unreachable")
    email = notice.locator('li.delivery[data-channel="email"]')
    expect(email).to_have_attribute("data-fallback", "1")
    expect(email).to_have_attribute("data-status", "sent")
    # 30003 is a handset out of reach, not a dead number: SMS stays on for the next notice.
    expect(contact).to_have_attribute("data-state", "active")
    assert Contact.objects.get(channel="sms").disabled_at is None
    check_phone_page(phone)
    screenshot(phone, "sms-fallback-my-page")

    # The number is removed at any time.
    phone.get_by_role("button", name="…5678 を削除する").click()
    expect(phone.locator('#contacts-sms li.contact[data-channel="sms"]')).to_have_count(0)
    expect(phone.get_by_label("携帯電話の番号")).to_be_visible()
    assert not Contact.objects.filter(channel="sms").exists()
    check_phone_page(phone)
