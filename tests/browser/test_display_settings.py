"""表示の設定 on a phone: large text and high contrast chosen with the keyboard on one page stay
on the next; at 320 px with large text nothing scrolls sideways; axe-core on every page. The
「読み上げ」 button appears only where the browser has speech synthesis, and reads the main
content in the page's language (the synthesis is stubbed here: nothing is ever sent anywhere)."""

import pytest
from playwright.sync_api import Page, expect

from .helpers import assert_no_sideways_scroll, check_a11y, check_phone_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BOTH = r"(^|\s)text-large(\s|$).*|.*(^|\s)contrast-high(\s|$)"


def body_classes(page: Page) -> set[str]:
    return set((page.locator("body").get_attribute("class") or "").split())


def test_large_text_and_high_contrast_stay_on_the_next_pages(phone: Page, city):
    page = phone
    page.goto("/")
    check_phone_page(page)
    page.locator("#display-settings-link").click()
    expect(page.locator("#display-settings")).to_have_attribute("data-text-size", "normal")
    check_phone_page(page)

    # With the keyboard only: arrows move within a group of radios, Tab to the next, Enter sends.
    page.locator("#text-normal").focus()
    page.keyboard.press("ArrowDown")
    expect(page.locator("#text-large")).to_be_checked()
    page.keyboard.press("Tab")
    expect(page.locator("#contrast-normal")).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(page.locator("#contrast-high")).to_be_checked()
    page.keyboard.press("Tab")
    expect(page.locator("#display-settings-apply")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#display-settings")).to_have_attribute("data-text-size", "large")
    expect(page.locator("#display-settings")).to_have_attribute("data-contrast", "high")
    assert {"text-large", "contrast-high"} <= body_classes(page)
    check_phone_page(page)

    # The focus ring is drawn (not only the browser's default) on a high-contrast page.
    page.locator("#display-settings-apply").focus()
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Tab")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineWidth")
    assert float(outline.removesuffix("px")) >= 3, outline

    # The next pages, reached by plain links, keep both; the text is really larger.
    page.goto("/")
    assert {"text-large", "contrast-high"} <= body_classes(page)
    root_size = page.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)")
    assert root_size >= 19.5, root_size  # 125 % of 16 px
    check_phone_page(page)
    page.goto("/?all=1")
    assert {"text-large", "contrast-high"} <= body_classes(page)
    assert_no_sideways_scroll(page, 320)
    page.locator("main .card > a").first.click()
    expect(page.locator("main h1")).to_be_visible()
    assert {"text-large", "contrast-high"} <= body_classes(page)
    check_phone_page(page)
    for url in ("/login/", "/navi/", "/accessibility/", "/accessibility/results/"):
        page.goto(url)
        assert {"text-large", "contrast-high"} <= body_classes(page), url
        check_phone_page(page)

    # Back to normal: the same page, the other choices.
    page.goto("/settings/display/")
    page.locator("label[for=text-normal]").click()
    page.locator("label[for=contrast-normal]").click()
    page.locator("#display-settings-apply").click()
    expect(page.locator("#display-settings")).to_have_attribute("data-text-size", "normal")
    page.goto("/")
    assert not {"text-large", "contrast-high"} & body_classes(page)


def test_the_language_switch_works_with_the_keyboard(phone: Page, city):
    page = phone
    page.goto("/settings/display/")
    page.locator("#language-switch > summary").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#language-switch")).to_have_attribute("open", "")
    page.locator('#language-switch a[data-lang="en"]').focus()
    page.keyboard.press("Enter")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator('#language-switch a[data-lang="en"]')).to_have_attribute("aria-current", "true")
    check_phone_page(page)
    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", "en")


FAKE_SPEECH = """
window.__spoken = [];
Object.defineProperty(window, "speechSynthesis", {configurable: true, value: {
  speaking: false, pending: false,
  speak(u) { window.__spoken.push({text: u.text, lang: u.lang}); this.speaking = true; },
  cancel() { this.speaking = false; window.__spoken.push({cancel: true}); },
}});
Object.defineProperty(window, "SpeechSynthesisUtterance", {configurable: true,
  value: function (text) { this.text = text; this.lang = ""; }});
"""


def test_read_aloud_reads_the_main_content_in_the_page_language(new_context, city):
    context = new_context(viewport={"width": 390, "height": 844})
    context.add_init_script(FAKE_SPEECH)
    page = context.new_page()
    page.goto("/accessibility/?lang=en")
    button = page.locator("#read-aloud")
    expect(button).to_be_visible()
    start, stop = button.get_attribute("data-label-start"), button.get_attribute("data-label-stop")
    expect(button).to_have_text(start)
    check_a11y(page)
    button.click()
    expect(button).to_have_text(stop)
    spoken = page.evaluate("window.__spoken")
    assert spoken[0]["lang"] == "en"
    heading = page.locator("#accessibility-heading").inner_text()
    assert heading in spoken[0]["text"]
    assert page.locator("a.skip").text_content() not in spoken[0]["text"]  # the main content only
    button.click()
    expect(button).to_have_text(start)
    assert page.evaluate("window.__spoken")[-1] == {"cancel": True}


def test_without_speech_synthesis_there_is_no_read_aloud_button(new_context, city):
    context = new_context(viewport={"width": 390, "height": 844})
    context.add_init_script(
        'Object.defineProperty(window, "speechSynthesis", {configurable: true, value: undefined});')
    page = context.new_page()
    page.goto("/accessibility/")
    expect(page.locator("#read-aloud")).to_be_hidden()
    expect(page.locator("#display-settings-link")).to_be_visible()


def test_without_javascript_the_settings_still_work(new_context, city):
    page = new_context(viewport={"width": 320, "height": 640}, java_script_enabled=False).new_page()
    page.goto("/settings/display/")
    expect(page.locator("#read-aloud")).to_be_hidden()
    page.locator("label[for=text-large]").click()
    page.locator("#display-settings-apply").click()
    expect(page.locator("#display-settings")).to_have_attribute("data-text-size", "large")
    check_a11y(page)
    assert_no_sideways_scroll(page, 320)
