"""アクセシビリティ方針 and 試験結果 on a phone, in each of the seven languages: axe-core finds
nothing, nothing scrolls sideways at 320 px (the checklist's wide table scrolls in its own
box, which the keyboard can reach), and the results say 一部準拠 with every criterion listed."""

import pytest
from playwright.sync_api import Page, expect

from madoguchi.core import accessibility

from .helpers import check_phone_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LANGUAGES = ("ja", "ja-easy", "en", "zh-hans", "ko", "vi", "pt-br")
HTML_LANG = {"ja-easy": "ja", "zh-hans": "zh-Hans", "pt-br": "pt-BR"}


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_accessibility_pages_pass_axe(phone: Page, city, language):
    page = phone
    page.goto(f"/accessibility/?lang={language}")
    expect(page.locator("html")).to_have_attribute("lang", HTML_LANG.get(language, language))
    expect(page.locator("#accessibility-heading")).to_be_visible()
    check_phone_page(page)
    page.locator("#results-link").click()
    expect(page.locator("#results-heading")).to_be_visible()
    expect(page.locator("#conformance")).to_have_attribute("data-conformance", "partial")
    expect(page.locator("#checklist tbody tr")).to_have_count(len(accessibility.CRITERIA))
    check_phone_page(page)


def test_the_checklist_scrolls_in_its_own_box_and_takes_the_focus(phone: Page, city):
    page = phone
    page.set_viewport_size({"width": 320, "height": 640})
    page.goto("/accessibility/results/")
    box = page.locator(".table-scroll")
    box.focus()
    expect(box).to_be_focused()
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
