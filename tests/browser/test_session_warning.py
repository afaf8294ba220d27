"""The resident is warned before the session ends, and "続ける" keeps it alive."""

import pytest
from playwright.sync_api import expect

from .helpers import check_a11y, click_and_check, log_in_resident

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_warning_before_the_session_times_out_and_continue_renews_it(new_context, settings):
    settings.SESSION_COOKIE_AGE = 10  # the page warns halfway through such a short session
    page = new_context().new_page()
    page.goto("/procedures/dog-registration-change/")
    page.get_by_role("button", name="申請をはじめる").click()
    log_in_resident(page, "saburo.timeout@example.jp")
    click_and_check(page, "button", "申請をはじめる", "飼い主")
    warning = page.locator("#timeout-warning")
    expect(warning).to_be_hidden()
    expect(warning).to_be_visible(timeout=15_000)
    expect(warning).to_contain_text("まもなく自動的にログアウトします")
    check_a11y(page)
    page.get_by_role("button", name="続ける").click()
    expect(warning).to_be_hidden()
    page.reload()  # the renewed session still lets the resident in
    expect(page.get_by_role("heading", level=1)).to_have_text("飼い主")
