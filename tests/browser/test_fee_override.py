"""A city administrator changes the fee of 住民票の写し for their city in a real browser (refused
once, next to the amount); a resident of that city sees the new fee on the procedure page, and
the other city, on its own host, still shows its own. axe-core on every page of the way."""

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from madoguchi.administration.demo import load_city_admin
from madoguchi.catalog import loader
from madoguchi.core.models import Department

from .helpers import STAFF_PASSWORD, check_a11y, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

OTHER_HOST = "other.localhost"  # resolves to 127.0.0.1 in Chromium without any set-up
CODE = "residence-certificate-copy"


@pytest.fixture
def two_cities(site, settings, city, other_city):
    other_city.hostname = OTHER_HOST
    other_city.save()
    Department.objects.create(municipality=other_city, code="shimin", name="町民課")  # offers 住民票
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, OTHER_HOST]
    load_city_admin(city, "city-admin", STAFF_PASSWORD)
    loader.forget()
    yield {"demo": site, "other": f"http://{OTHER_HOST}:{urlsplit(site).port}"}
    loader.forget()


def log_in(page: Page, base: str, then: str) -> None:
    page.goto(f"{base}/staff/login/?next={then}")
    expect(page.get_by_role("heading", name="職員ログイン")).to_be_visible()
    page.get_by_label("ユーザー名").fill("city-admin")
    page.get_by_label("パスワード").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="ログイン").click()


def test_a_fee_override_is_seen_by_its_city_only(two_cities, new_context):
    admin = new_context().new_page()
    log_in(admin, two_cities["demo"], "/staff/city/procedures/")
    expect(admin.locator("#procedures")).to_be_visible()
    check_a11y(admin)
    row = admin.locator(f'#procedures tr[data-code="{CODE}"]')
    expect(row).to_have_attribute("data-source", "city_file")
    row.get_by_role("link").click()
    expect(admin.locator("#fee-example-total")).to_have_attribute("data-yen", "300")
    check_a11y(admin)

    # refused next to the amount, in the files' words
    admin.locator("#line-0-unit_yen").fill("-50")
    admin.locator("#override-save").click()
    expect(admin.locator("#error-summary")).to_be_visible()
    expect(admin.locator("#line-0-error")).to_be_visible()
    expect(admin.locator("#line-0-unit_yen")).to_have_attribute("aria-invalid", "true")
    check_a11y(admin)
    screenshot(admin, "fee-override-refused")

    admin.locator("#line-0-unit_yen").fill("350")
    admin.locator("#override-save").click()
    expect(admin.locator("#fee-example-total")).to_have_attribute("data-yen", "350")
    expect(admin.locator("#procedure-source")).to_have_attribute("data-source", "city_page")
    check_a11y(admin)

    # a resident of this city sees the new fee; the other city's page keeps its own
    resident = new_context().new_page()
    resident.goto(f"{two_cities['demo']}/procedures/{CODE}/")
    expect(resident.locator("#fee-rules")).to_contain_text("350")
    check_a11y(resident)
    neighbour = new_context().new_page()
    neighbour.goto(f"{two_cities['other']}/procedures/{CODE}/")
    expect(neighbour.locator("#fee-rules")).to_contain_text("300")
    expect(neighbour.locator("#fee-rules")).not_to_contain_text("350")
    check_a11y(neighbour)

    # the other city's administrator pages are not this administrator's
    response = admin.goto(f"{two_cities['other']}/staff/city/procedures/")
    assert response.status in (302, 403) or "/staff/login/" in admin.url
