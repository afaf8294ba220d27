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


def test_easy_japanese_with_ruby_passes_axe(new_context, city):
    """The pages as RubyMiddleware sends them in やさしい日本語 (applied here to each document,
    whether or not the server already did: the pass is idempotent)."""
    from madoguchi.core.i18n.ruby import add_ruby

    context = new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)

    def with_ruby(route):
        if route.request.resource_type != "document":
            route.continue_()
            return
        response = route.fetch()
        route.fulfill(response=response, body=add_ruby(response.text()))

    context.route("**/*", with_ruby)
    page = context.new_page()
    for url in ("/settings/display/?lang=ja-easy", "/accessibility/", "/accessibility/results/", "/?all=1"):
        page.goto(url)
        expect(page.locator("main ruby").first).to_be_attached()
        assert page.locator("main rt").first.inner_text()
        check_phone_page(page)
