"""What a resident and staff see of deliveries, on a phone and on the case page: the
notifications page (a bounced address told, with a way to try again; the first channel and
the opt-in to name the procedure), the delivery display (an SMS that failed, the e-mail sent
in its place), My Page's warning, and the same deliveries on the staff case page."""

import pytest
from django.test import Client
from django.utils import timezone
from playwright.sync_api import expect

from madoguchi.identity.models import ResidentAccount
from madoguchi.notify.models import ChannelSetting, Contact, OutboxMessage, OutboxStatus
from madoguchi.notify.services import add_contact, digest

from .helpers import check_a11y, check_phone_page, log_in_resident, log_in_staff, screenshot
from conftest import login_resident
from support import submit_via_web

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
# No provider is reached from a test: a delivery tried on LINE or SMS meets a closed local port.
NOWHERE = "http://127.0.0.1:9"

EMAIL = "notify.phone@example.jp"


@pytest.fixture
def told(city):
    """A resident whose SMS failed (the number unreachable) and whose e-mail in its place was
    sent but then bounced; LINE and SMS linked; the city offers and has set up both."""
    city.channels = []
    city.save(update_fields=["channels"])
    for code, config, secrets in (
            ("sms", {"from": "+815012345678", "api_base": NOWHERE}, {"account_sid": "AC" + "0" * 32, "auth_token": "token"}),
            ("line", {"add_friend_url": "https://lin.ee/demo", "api_base": NOWHERE}, {"channel_access_token": "t", "channel_secret": "s"})):
        setting = ChannelSetting(municipality=city, channel=code, enabled=True, config=config)
        setting.set_secrets(secrets)
        setting.save()
    account = ResidentAccount.objects.create(municipality=city, email=EMAIL)
    add_contact(city, account.ref, "line", "U" + "b" * 32, label="LINE")
    add_contact(city, account.ref, "sms", "+819012345678", label="090-****-5678")
    submission = submit_via_web(login_resident(Client(), account), "dog-registration-change", {"dog_name": "ポチ"})
    about = f"submission:{submission.pk}"
    first = OutboxMessage.objects.create(
        municipality=city, channel="sms", person=account.ref, about=about, event="returned",
        notice_key="test:returned", dedupe_key="test:returned", subject="s", recipient="+819012345678",
        status=OutboxStatus.FAILED, failure="unreachable", sent_at=timezone.now())
    OutboxMessage.objects.create(
        municipality=city, channel="email", person=account.ref, about=about, event="returned",
        notice_key="test:returned", dedupe_key="test:returned@email", subject="s", recipient=EMAIL,
        status=OutboxStatus.FAILED, failure="unreachable", fallback_of=first, sent_at=timezone.now())
    Contact.objects.create(municipality=city, person="", channel="email", digest=digest("email", EMAIL),
                           address=EMAIL, disabled_at=timezone.now(), disabled_reason="unreachable")
    return {"account": account, "submission": submission}


def test_the_resident_sees_why_and_puts_it_right_on_a_phone(phone, told):
    phone.goto("/mypage/")
    log_in_resident(phone, EMAIL, check=check_phone_page)
    expect(phone.locator("#mypage-email-failing")).to_be_visible()
    check_phone_page(phone)
    phone.locator("#notifications-link a").click()
    expect(phone.get_by_role("heading", level=1)).to_be_visible()
    for section in ("contacts-sms", "contacts-line", "contacts-email", "contacts-choices", "recent-notices"):
        expect(phone.locator(f"section#{section}")).to_be_visible()
    expect(phone.locator('#contacts-email li.contact[data-channel="email"]')).to_have_attribute("data-state", "disabled")
    notice = phone.locator('#recent-notices li.notice[data-event="returned"]')
    expect(notice.locator("li.delivery")).to_have_count(2)
    sms = notice.locator('li.delivery[data-channel="sms"]')
    expect(sms).to_have_attribute("data-status", "failed")
    expect(sms).to_have_attribute("data-failure", "unreachable")
    expect(sms.locator(".delivery-failure")).to_be_visible()
    expect(notice.locator('li.delivery[data-channel="email"]')).to_have_attribute("data-fallback", "1")
    check_phone_page(phone)
    screenshot(phone, "notify-notifications-phone")

    phone.locator("#main-sms").check()
    phone.locator("#main-channel-save").click()
    expect(phone.locator(".msg-success")).to_be_visible()
    expect(phone.locator("#main-sms")).to_be_checked()
    phone.locator('li.contact-detail[data-channel="sms"] [data-detail-toggle]').click()
    expect(phone.locator('li.contact-detail[data-channel="sms"]')).to_have_attribute("data-detail", "on")
    expect(phone.locator('li.contact-detail[data-channel="line"]')).to_have_attribute("data-detail", "off")

    phone.locator("#email-retry").click()
    expect(phone.locator('#contacts-email li.contact[data-channel="email"]')).to_have_attribute("data-state", "active")
    check_phone_page(phone)
    phone.goto("/mypage/")
    expect(phone.locator("#mypage-email-failing")).to_have_count(0)

    phone.goto(f"/mypage/submissions/{told['submission'].public_id}/")
    shown = phone.locator('#notifications li.notice[data-event="returned"]')
    expect(shown.locator('li.delivery[data-channel="sms"]')).to_have_attribute("data-failure", "unreachable")
    check_phone_page(phone)


def test_staff_see_the_deliveries_on_the_case(new_context, told):
    page = new_context().new_page()
    log_in_staff(page, "kankyo-tanto")
    page.goto(f"/staff/cases/{told['submission'].public_id}/")
    panel = page.locator("section#notifications")
    expect(panel.get_by_role("heading", level=2)).to_be_visible()
    notice = panel.locator('li.notice[data-event="returned"]')
    expect(notice.locator('li.delivery[data-channel="sms"]')).to_have_attribute("data-status", "failed")
    expect(notice.locator('li.delivery[data-channel="email"][data-fallback="1"]')).to_be_visible()
    check_a11y(page)
    screenshot(page, "notify-case-deliveries")
