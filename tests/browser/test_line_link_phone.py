"""A resident links LINE from My Page on their phone, the local LINE platform playing LINE's side
(add friend → the follow webhook → the link token in a reply → My Page's confirmation → LINE's
account-link dialog → the signed accountLink webhook), then receives the 差戻し notice on LINE
and not by e-mail, sees it delivered on LINE in My Page, and unlinks. axe-core on every page."""

import re

import pytest
from django.core import mail
from django.test import Client
from line_server import LocalLine, configure_city  # tests/notify, on the path (browser/conftest.py)
from playwright.sync_api import expect

from madoguchi.identity.models import ResidentAccount
from madoguchi.notify.models import Contact, OutboxMessage, OutboxStatus
from madoguchi.register.seeding import generate_register

from .conftest import PHONE
from .helpers import (
    TARO_CLAIM,
    check_a11y,
    check_phone_page,
    log_in_resident,
    log_in_staff,
    return_for_correction,
    screenshot,
)
from conftest import login_resident
from support import submit_via_web

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RESIDENT = "hanako.line@example.jp"


@pytest.fixture
def line(site, city):
    city.channels = []
    city.save(update_fields=["channels"])
    with LocalLine(webhook_url=f"{site}/notify/line/webhook/") as server:
        configure_city(city, server)
        yield server


@pytest.fixture
def case(site, city):
    """A 児童手当 claim the resident sent before the test."""
    generate_register(city, 20, seed=1)
    account = ResidentAccount.objects.create(municipality=city, email=RESIDENT)
    return submit_via_web(login_resident(Client(), account), "child-allowance-claim", TARO_CLAIM)


def test_a_resident_links_line_and_gets_the_return_for_correction_there(new_context, line, case):
    phone = new_context(**PHONE).new_page()
    phone.goto("/mypage/notifications/")
    log_in_resident(phone, RESIDENT, check=check_phone_page)
    section = phone.locator("#contacts-line")
    expect(section).to_be_visible()
    check_phone_page(phone)

    # My Page: how to add the city's LINE account.
    section.locator("#line-start").click()
    expect(phone.locator("#line-add-friend")).to_have_attribute("href", line.add_friend_url)
    expect(phone.locator(".qr svg")).to_be_visible()
    check_phone_page(phone)
    screenshot(phone, "line-start")

    # LINE's side: add the friend; the follow webhook makes Madoguchi reply with the link.
    phone.locator("#line-add-friend").click()
    check_a11y(phone)
    phone.get_by_role("button", name="友だち追加").click()
    link = phone.locator("#talk a").last
    expect(link).to_have_attribute("href", re.compile(r"/mypage/notifications/line/link/\?linkToken=[\w-]+$"))
    check_a11y(phone)
    link.click()

    # My Page again (the token out of the address bar), then LINE's dialog.
    expect(phone.locator("#line-link-confirm")).to_be_visible()
    assert "linkToken" not in phone.url
    check_phone_page(phone)
    phone.locator("#line-link-confirm").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("連携しました")
    check_a11y(phone)
    (contact,) = Contact.objects.filter(channel="line", verified_at__isnull=False)
    user = contact.address

    phone.goto("/mypage/notifications/")
    expect(phone.locator('#contacts-line li.contact[data-channel="line"]')).to_have_attribute("data-state", "active")
    check_phone_page(phone)
    screenshot(phone, "line-linked")

    # The clerk returns the claim for correction: the notice goes to LINE, not to the mailbox.
    mails_before = len(mail.outbox)
    clerk = new_context().new_page()
    log_in_staff(clerk, "kodomo-tanto")
    clerk.goto(f"/staff/cases/{case.public_id}/")
    return_for_correction(clerk, "職業を確認してください。", "missing")  # ja-only: test data

    (notice,) = OutboxMessage.objects.filter(event="returned")
    assert (notice.channel, notice.status) == ("line", OutboxStatus.DELIVERED)
    (push,) = line.pushes_to(user)
    text = push["messages"][0]["text"]
    assert text.rstrip().endswith(f"/mypage/submissions/{case.public_id}/")
    assert case.receipt_number not in text  # nothing personal unless opted in
    assert len(mail.outbox) == mails_before

    # My Page says the notice was delivered on LINE; then the resident unlinks.
    phone.goto("/mypage/notifications/")
    delivery = phone.locator('#recent-notices li.notice[data-event="returned"] li.delivery')
    expect(delivery).to_have_count(1)
    expect(delivery).to_have_attribute("data-channel", "line")
    expect(delivery).to_have_attribute("data-status", "delivered")
    check_phone_page(phone)
    phone.locator("#line-unlink").click()
    expect(phone.locator("#contacts-line #line-start")).to_be_visible()
    check_phone_page(phone)
    assert not Contact.objects.filter(channel="line").exists()
