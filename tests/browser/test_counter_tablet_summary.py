"""The visitor's summary on the tablet: the 山田 family's 転入 (7 forms) read as short
summaries with the details one tap away, the signature reachable from the top, and after the
filing the take-away list of what is still to do elsewhere."""

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from madoguchi.core.actors import Actor
from madoguchi.counter import tablets

from .helpers import assert_no_sideways_scroll, check_a11y
from .test_counter import _checked_visit, _family, _sign_on_the_pad

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TABLET = {"viewport": {"width": 810, "height": 1080}, "has_touch": True}
ADDRESS = "デモ市中央町7番8号"
ANSWERS = {"kind": "from_other_city", "household": "family", "card": "yes", "online_moving_out": "no",
           "insurance": "nhi", "pension": "none", "children": ["age_0_2", "elementary"], "dog": "yes",
           "licence": "yes", "car": "none", "seal": "yes", "oldest": "under65"}


def _paired_tablet(new_context, city, clerk):
    code = tablets.issue_code(city, clerk, Actor.staff(clerk))
    tablet = new_context(**TABLET).new_page()
    tablet.goto("/counter/tablet/")
    tablet.locator("#pairing-code").fill(code)
    tablet.locator("#tablet-pairing button").click()
    expect(tablet.locator("h1.tablet-wait")).to_be_visible()
    return tablet


def _height(page) -> int:
    return page.evaluate("document.documentElement.scrollHeight")


def test_the_visitor_reads_short_summaries_signs_without_scrolling_far_and_sees_what_is_left(new_context, city):
    clerk = get_user_model().objects.get(username="shimin-tanto")
    tablet = _paired_tablet(new_context, city, clerk)
    visit = _checked_visit(city, _family(city, "710001", ADDRESS), ANSWERS)
    forms = visit.forms.count()
    tablet.goto("/counter/tablet/")
    expect(tablet.locator('.tablet[data-language="ja"] #to-sign')).to_be_visible()
    check_a11y(tablet)

    # Large text kept.
    assert tablet.evaluate("parseFloat(getComputedStyle(document.querySelector('.tablet')).fontSize)") >= 22
    # Every form is a short card; its rows wait behind a closed <details>.
    cards = tablet.locator("li.tablet-form")
    expect(cards).to_have_count(forms)
    details = tablet.locator("details.tablet-details")
    expect(details).to_have_count(forms)
    for n in range(forms):
        expect(details.nth(n)).not_to_have_attribute("open", "")
        expect(details.nth(n).locator("dl.summary dt").first).to_be_hidden()
    short = _height(tablet)

    # The details are one tap away (no JavaScript of ours involved).
    moving_in = tablet.locator('li[data-procedure="moving-in"] details')
    moving_in.locator("summary").click()
    expect(moving_in.locator("dl.summary dt").first).to_be_visible()
    tablet.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
    everything = _height(tablet)
    print(f"\ntablet 810x1080, {forms} forms: {short} px with the short summaries, "
          f"{everything} px with every detail open")
    assert short * 3 < everything
    tablet.evaluate("document.querySelectorAll('details').forEach(d => d.open = false)")

    # The way to the signature is at the top, in the first screen, and lands on the pad.
    tablet.evaluate("window.scrollTo(0, 0)")
    jump = tablet.locator("#to-sign")
    expect(jump).to_be_in_viewport()
    jump.click()
    expect(tablet.locator("h2#sign")).to_be_in_viewport()
    expect(tablet.locator("canvas.signature-pad")).to_be_in_viewport()
    _sign_on_the_pad(tablet)
    tablet.locator("button[data-submit]").click()

    # After the filing: the receipt numbers, then what is still to do elsewhere.
    expect(tablet.locator("h2#receipts")).to_be_visible()
    takeaway = tablet.locator("#takeaway")
    expect(takeaway.locator("h2#takeaway-heading")).to_be_visible()
    for code in ("school-transfer", "driving-licence-change", "mynumber-card-address-change"):
        expect(takeaway.locator(f'li[data-procedure="{code}"]')).to_be_visible()
    expect(tablet.locator("li.tablet-form")).to_have_count(0)
    check_a11y(tablet)
    for code in visit.forms.values_list("procedure_code", flat=True):
        expect(takeaway.locator(f'li[data-procedure="{code}"]')).to_have_count(0)


def test_in_easy_japanese_the_summary_and_the_signature_read_plainly(new_context, city):
    clerk = get_user_model().objects.get(username="shimin-tanto")
    tablet = _paired_tablet(new_context, city, clerk)
    _checked_visit(city, _family(city, "710001", ADDRESS), ANSWERS)
    tablet.goto("/counter/tablet/?lang=easy")
    expect(tablet.locator('.tablet[data-language="ja-easy"] #tablet-plain')).to_be_visible()
    expect(tablet.locator("p.tablet-purpose")).to_have_count(0)
    check_a11y(tablet)
    tablet.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
    assert_no_sideways_scroll(tablet, 320)
    tablet.set_viewport_size(TABLET["viewport"])
    tablet.locator("#to-sign").click()
    expect(tablet.locator("canvas.signature-pad")).to_be_in_viewport()
    _sign_on_the_pad(tablet)
    tablet.locator("button[data-submit]").click()
    expect(tablet.locator("h2#receipts")).to_be_visible()
    expect(tablet.locator("#takeaway li.takeaway-item").first).to_be_visible()
    check_a11y(tablet)
    assert_no_sideways_scroll(tablet, 320)  # a small tablet held upright, zoomed text
