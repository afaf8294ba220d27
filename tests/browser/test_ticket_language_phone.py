"""The phone ticket page on a phone: its language switch is there, fits at 320 px and keeps the
visitor on their ticket; and from the kiosk, every link on the way stays in the kiosk."""

import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from madoguchi.queueing import services
from madoguchi.queueing.models import VisitPurpose

from .helpers import assert_no_sideways_scroll, check_a11y

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def ticket(city, site):
    call_command("load_queue_demo", "--history-weeks", "0", stdout=open("/dev/null", "w"))  # noqa: SIM115
    tennyu = VisitPurpose.objects.get(group__code="jumin", code="tennyu")
    return services.issue_ticket(tennyu, "language-phone")[0]


def test_the_phone_ticket_switches_language_and_stays_on_the_ticket(phone, ticket):
    status = f"/queue/t/{ticket.token}/"
    phone.goto(f"{status}?lang=ja")
    switch = phone.locator("#ticket-languages")
    expect(switch.locator("a[aria-current=page]")).to_have_attribute("data-lang", "ja")
    check_a11y(phone)
    for lang, html_lang in (("en", "en"), ("ja-easy", "ja"), ("ja", "ja")):
        switch.locator(f"a[data-lang={lang}]").click()
        expect(phone).to_have_url(re.compile(rf"{re.escape(status)}\?lang={lang}$"))
        expect(phone.locator("html")).to_have_attribute("lang", html_lang)
        expect(switch.locator("a[aria-current=page]")).to_have_attribute("data-lang", lang)
        expect(phone.locator("#ticket-state")).to_have_attribute("data-token", ticket.token)
        check_a11y(phone)
    assert_no_sideways_scroll(phone, 320)


def test_no_link_on_the_kiosk_leaves_it(new_context, ticket):
    kiosk = new_context().new_page()

    def links_out() -> list[str]:
        hrefs = kiosk.locator("a[href]").evaluate_all("els => els.map(e => e.href)")
        assert hrefs
        return [h for h in hrefs if "/queue/kiosk/" not in h and "#" not in h]

    kiosk.goto("/queue/kiosk/?lang=en")
    check_a11y(kiosk)
    assert links_out() == []
    kiosk.locator("button.kiosk-button[name=purpose]").first.click()
    expect(kiosk).to_have_url(re.compile(r"/queue/kiosk/ticket/"))
    check_a11y(kiosk)
    assert links_out() == []
