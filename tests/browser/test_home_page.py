"""The home page on a 390×844 phone: search first, then the life events, then categories a
person opens; the full list one tap away. Its height is measured and printed (run with -s)."""

import re

import pytest
from playwright.sync_api import Page, expect

from madoguchi.catalog.selectors import procedures_for

from .helpers import check_phone_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE_WIDTH = 390
TARGET_HEIGHT = 3_000  # px at 390 px wide; the page listing every procedure in full was 18,474


def height(page: Page) -> int:
    return page.evaluate("document.documentElement.scrollHeight")




def test_home_page_is_short_and_finds_what_a_resident_needs(phone: Page, city):
    page = phone
    page.goto("/")
    expect(page.get_by_role("heading", name="手続をさがす", level=1)).to_be_visible()
    home_height = height(page)
    print(f"\nhome page at {PHONE_WIDTH}px: {home_height}px tall")
    assert home_height < TARGET_HEIGHT
    # Search comes first: the search box is the first field on the page.
    expect(page.locator("main input").first).to_have_attribute("id", "q")
    expect(page.locator("details.home-category").first).not_to_have_attribute("open", "")
    check_phone_page(page)

    # A category opens in place; おくやみ is not the first one.
    first = page.locator("details.home-category").first
    expect(first.locator("summary")).not_to_contain_text("おくやみ")
    certificates = page.locator("details.home-category").filter(
        has=page.locator("summary", has_text="証明書"))
    certificates.locator("summary").click()
    expect(certificates).to_have_attribute("open", "")
    link = certificates.get_by_role("link", name="住民票の写し")
    expect(link).to_be_visible()
    check_phone_page(page)

    # The search finds 住民票, without script (a plain GET).
    page.get_by_label("ことばでさがす").fill("住民票")
    page.get_by_role("button", name="さがす", exact=True).click()
    expect(page).to_have_url(re.compile(r"\?q="))
    expect(page.get_by_role("status")).to_contain_text("「住民票」の検索結果")
    expect(page.locator("#search-results").get_by_role("link", name="住民票の写し")).to_be_visible()
    check_phone_page(page)

    # The full list is one tap away from the home page.
    page.goto("/")
    page.locator("#all-procedures").click()
    expect(page.locator("#all-heading")).to_be_visible()
    expect(page.locator("li.card")).to_have_count(len(procedures_for(city)))
    print(f"full list (?all=1) at {PHONE_WIDTH}px: {height(page)}px tall")
    check_phone_page(page)

    # A life event starts 手続ナビ's first question in one tap.
    page.goto("/")
    page.locator("#event-birth").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("お子さんが生まれた日はいつですか")
    check_phone_page(page)
