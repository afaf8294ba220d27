"""Two cities side by side in one browser: デモ市 on localhost and a town on town.localhost
(Chromium resolves *.localhost to 127.0.0.1) each show their own name, header colour and logo,
axe-core finds nothing on either (the town's colour keeps AA contrast), and high contrast still
wins over the town's colour."""

import io
import re
from urllib.parse import urlsplit

import pytest
from PIL import Image
from playwright.sync_api import Page, expect

from madoguchi.core import branding
from madoguchi.core.models import Department, Municipality

from .helpers import assert_no_sideways_scroll, check_a11y, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BLUE_900 = "rgb(0, 23, 193)"  # デモ市: the site's own key colour
GREEN_800 = "rgb(25, 122, 75)"  # the town's token, #197a4b
HIGH_CONTRAST_KEY = "rgb(0, 0, 122)"  # preferences.css: #00007a


@pytest.fixture
def town_url(site, city, settings) -> str:
    """A second city on town.localhost at the live server's port, with its colour and logo."""
    port = urlsplit(site).port
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "town.localhost"]
    logo = io.BytesIO()
    Image.new("RGB", (240, 80), (25, 122, 75)).save(logo, format="PNG")
    town = Municipality.objects.create(
        slug="look-town", code="999997", name="ミドリ町", hostname="town.localhost",
        public_url=f"http://town.localhost:{port}", brand_color="green-800",
        service_name="まちの窓口", contact_phone="0994-00-0000",
        logo=branding.clean_logo(logo.getvalue()), logo_type=branding.LOGO_TYPE)
    Department.objects.bulk_create(
        Department(municipality=town, code=d.code, name=d.name, counter=d.counter)
        for d in Department.objects.filter(municipality=city))
    return f"http://town.localhost:{port}"


def header_colour(page: Page) -> str:
    return page.evaluate("getComputedStyle(document.querySelector('.site-header')).borderBottomColor")


def key_colour(page: Page, selector: str) -> str:
    return page.evaluate(f"getComputedStyle(document.querySelector({selector!r})).color")


def test_two_cities_show_their_own_name_colour_and_logo(new_context, site, town_url):
    context = new_context()
    demo, town = context.new_page(), context.new_page()
    demo.goto(f"{site}/")
    town.goto(f"{town_url}/")

    expect(demo.locator("#site-brand .brand-city")).to_have_text("デモ市")
    expect(town.locator("#site-brand .brand-city")).to_have_text("ミドリ町")
    expect(town.locator("#site-brand .brand-service")).to_have_text("まちの窓口")
    assert demo.title().endswith("デモ市 オンライン窓口")
    assert town.title().endswith("ミドリ町 まちの窓口")

    assert header_colour(demo) == BLUE_900
    assert header_colour(town) == GREEN_800
    # Links take the key colour too (the footer's first link, the same element on both).
    assert key_colour(demo, ".footer-links a") == BLUE_900
    assert key_colour(town, ".footer-links a") == GREEN_800

    expect(demo.locator("#city-logo")).to_have_count(0)
    logo = town.locator("#city-logo")
    expect(logo).to_be_visible()
    assert logo.evaluate("img => img.complete && img.naturalWidth") == 240
    assert logo.evaluate("img => img.getBoundingClientRect().height") == 48
    assert logo.get_attribute("alt") == ""  # beside the city's name: the link's text says it

    check_a11y(demo)
    check_a11y(town)
    screenshot(demo, "city-look-demo")
    screenshot(town, "city-look-town")
    town.set_viewport_size({"width": 390, "height": 844})
    assert_no_sideways_scroll(town, 320)


def test_high_contrast_wins_over_the_citys_colour(new_context, town_url):
    page = new_context().new_page()
    page.goto(f"{town_url}/?contrast=high")
    expect(page.locator("body")).to_have_class(re.compile(r"(^|\s)contrast-high(\s|$)"))
    assert key_colour(page, ".footer-links a") == HIGH_CONTRAST_KEY
    assert header_colour(page) == "rgb(0, 0, 0)"
    expect(page.locator("#site-brand .brand-city")).to_have_text("ミドリ町")
    check_a11y(page)
