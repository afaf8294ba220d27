"""A refused step on a phone: the focus lands on the error summary, the title says there is an
error, each entry names its field and takes the resident to it — with and without JavaScript."""

import re

import pytest
from playwright.sync_api import Page, expect

from .conftest import ANDROID_CHROME, PHONE
from .helpers import assert_no_sideways_scroll, check_a11y, log_in_resident

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CODE = "dog-registration-change"


def refused_first_step(page: Page, email: str) -> str:
    """Log in, start the procedure, press 次へ進む on an empty first step; the step's title."""
    page.goto(f"/procedures/{CODE}/")
    check_a11y(page)
    page.locator(f"form[action$='/procedures/{CODE}/start/'] button").click()
    log_in_resident(page, email)
    page.locator(f"form[action$='/procedures/{CODE}/start/'] button").click()
    expect(page.locator("form[data-form]")).to_be_visible()
    check_a11y(page)
    title = page.title()
    page.locator("button[name=_action][value=next]").click()
    expect(page.locator("#error-summary")).to_be_visible()
    return title


def label_of(page: Page, target_id: str) -> str:
    """The visible label of the field an error link points at (label, or the fieldset's legend)."""
    return page.evaluate("""(id) => {
        const el = document.getElementById(id);
        if (el.tagName === 'FIELDSET') return el.querySelector('legend').childNodes[0].textContent.trim();
        return document.querySelector(`label[for="${id}"]`).childNodes[0].textContent.trim();
    }""", target_id)


def test_the_error_summary_takes_the_focus_and_names_each_field(phone):
    title = refused_first_step(phone, "errors.phone@example.jp")
    summary = phone.locator("#error-summary")
    expect(summary).to_be_focused()
    expect(phone).to_have_title(re.compile(r"^エラー: "))
    assert phone.title().endswith(title)
    links = summary.get_by_role("link")
    assert links.count() >= 2
    for index in range(links.count()):
        link = links.nth(index)
        target = link.get_attribute("href").removeprefix("#")
        expect(phone.locator(f"[id='{target}']")).to_have_count(1)
        label = label_of(phone, target)
        assert link.inner_text().startswith(label), (label, link.inner_text())
        expect(phone.locator(f"#{target}-error")).to_have_text(link.inner_text())
    check_a11y(phone)
    assert_no_sideways_scroll(phone, 320)

    # The first entry moves the focus into its field, ready to type.
    first = links.first.get_attribute("href").removeprefix("#")
    links.first.click()
    expect(phone.locator(f"#{first}")).to_be_focused()


def test_without_javascript_the_summary_still_has_the_focus(new_context):
    page = new_context(**PHONE, user_agent=ANDROID_CHROME, java_script_enabled=False).new_page()
    refused_first_step(page, "errors.nojs@example.jp")
    expect(page.locator("#error-summary")).to_be_focused()
    expect(page).to_have_title(re.compile(r"^エラー: "))
    check_a11y(page)
    assert_no_sideways_scroll(page, 320)
