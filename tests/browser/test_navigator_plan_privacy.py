"""A plan's URL opened on a second phone: the result reads as on the first, without a way to
change the answers, and a copy of its own can be made there; axe-core and 320 px on each page."""

import re

import pytest
from playwright.sync_api import Page, expect

from madoguchi.navigator.models import NavigatorPlan

from .conftest import ANDROID_CHROME, PHONE
from .helpers import check_phone_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RESULT_HEADING = re.compile("^必要な手続")


def answer_until_the_result(page: Page) -> None:
    """Keep the proposed day, take the first option of every other question, until the result."""
    for _ in range(40):
        if page.locator("form.navi-form").count() == 0:
            break
        choices = page.locator("form.navi-form input[name=answer][type=radio], "
                               "form.navi-form input[name=answer][type=checkbox]")
        if choices.count():
            choices.first.check()
        page.get_by_role("button", name="次へ").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(RESULT_HEADING)


def test_a_second_phone_reads_the_plan_without_change_links_and_makes_its_own_copy(new_context):
    first = new_context(**PHONE, user_agent=ANDROID_CHROME).new_page()
    first.goto("/navi/")
    first.get_by_role("button", name="出生", exact=True).click()
    answer_until_the_result(first)
    answers = first.get_by_role("region", name="あなたの答え")
    expect(answers.locator("[data-change]").first).to_be_visible()
    result_url = first.url
    token = result_url.rstrip("/").split("/p/")[1].split("/")[0]

    second = new_context(**PHONE, user_agent=ANDROID_CHROME).new_page()
    second.goto(result_url)
    expect(second.get_by_role("heading", level=1)).to_have_text(RESULT_HEADING)
    expect(second.locator(".navi-item").first).to_be_visible()
    expect(second.get_by_role("region", name="あなたの答え")).to_be_visible()
    expect(second.locator("[data-change]")).to_have_count(0)
    expect(second.locator("a[href*='/q/']")).to_have_count(0)
    readonly = second.locator("#navi-readonly")
    expect(readonly).to_be_visible()
    check_phone_page(second)

    # The change URL typed in by hand: no form, the same way to a copy.
    response = second.goto(f"/navi/p/{token}/q/insurance/")
    assert response.status == 403
    expect(second.locator("input[name=answer]")).to_have_count(0)
    expect(second.get_by_role("heading", level=1)).to_be_visible()
    check_phone_page(second)

    second.locator("#navi-copy").click()
    expect(second.get_by_role("heading", level=1)).to_have_text(RESULT_HEADING)
    assert token not in second.url
    expect(second.locator("#navi-readonly")).to_have_count(0)
    expect(second.locator(".messages")).to_be_visible()
    check_phone_page(second)
    second.locator("[data-change='insurance']").click()
    expect(second.locator("input[name=answer]").first).to_be_visible()
    check_phone_page(second)

    copy_token = second.url.rstrip("/").split("/p/")[1].split("/")[0]
    original, copy = NavigatorPlan.objects.get(token=token), NavigatorPlan.objects.get(token=copy_token)
    assert copy.answers == original.answers and copy.event == original.event == "birth"
    # The first phone still changes its own plan, and only reads the copy.
    first.reload()
    expect(first.locator("[data-change]").first).to_be_visible()
    first.goto(f"/navi/p/{copy_token}/result/")
    expect(first.locator("[data-change]")).to_have_count(0)
    expect(first.locator("#navi-readonly")).to_be_visible()
