"""A case returned for correction (差戻し): the resident corrects one answer on their side, the
clerk sees exactly that field in the diff, then checks the applicant against the register.
axe-core on the case page and on the check's result."""

import re

import pytest
from django.test import Client
from playwright.sync_api import expect

from madoguchi.identity.models import ResidentAccount
from madoguchi.register.seeding import generate_register

from .helpers import (
    TARO_CLAIM,
    check_a11y,
    click_and_check,
    log_in_resident,
    log_in_staff,
    return_for_correction,
)
from conftest import login_resident
from support import submit_via_web

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RESIDENT = "taro.corrected@example.jp"
CHILD = "児童手当 認定請求"


@pytest.fixture
def case(site, city):
    """山田 太郎's 児童手当 claim, sent before the test (the form's own flow is tested in
    test_online_application)."""
    generate_register(city, 20, seed=1)
    account = ResidentAccount.objects.create(municipality=city, email=RESIDENT)
    return submit_via_web(login_resident(Client(), account), "child-allowance-claim", TARO_CLAIM)


def next_step(page, heading: str) -> None:
    page.get_by_role("button", name="次へ進む").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)


def test_the_clerk_sees_the_one_corrected_field_and_a_register_match(new_context, case):
    clerk = new_context().new_page()
    log_in_staff(clerk, "kodomo-tanto")
    clerk.goto(f"/staff/cases/{case.public_id}/")
    expect(clerk.locator("#version-diff")).to_have_count(0)  # one version: no diff
    return_for_correction(clerk, "職業を確認してください。", "missing")  # ja-only: test data

    # The resident corrects 職業 and sends the claim again.
    resident = new_context().new_page()
    resident.goto("/mypage/")
    log_in_resident(resident, RESIDENT)
    resident.goto(f"/mypage/submissions/{case.public_id}/")
    click_and_check(resident, "button", "申請内容を修正する", "請求者")
    occupation = resident.get_by_label(re.compile(r"^職業(\s*必須)?$"))
    expect(occupation).to_have_value("会社員")
    occupation.fill("自営業")  # ja-only: test data
    for heading in ("振込先口座", "児童", "添付書類と同意", "入力内容の確認"):
        next_step(resident, heading)
    resident.get_by_role("button", name="この内容で送信する").click()
    expect(resident.get_by_role("heading", name="送信しました")).to_be_visible()

    # The clerk sees exactly that field, before and after.
    clerk.reload()
    diff = clerk.locator("#diff-1-2")
    expect(diff).to_be_visible()
    rows = diff.locator("tr.change")
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-path", "claimant_occupation")
    expect(rows.first).to_have_attribute("data-change", "changed")
    expect(rows.first.locator("td.old")).to_have_text("会社員")
    expect(rows.first.locator("td.new")).to_have_text("自営業")
    check_a11y(clerk)

    # The register check: the demo applicant and the child match.
    clerk.get_by_role("button", name="住民記録と照合する").click()
    expect(clerk.locator("#register-check-result")).to_have_attribute("data-check", "match")
    expect(clerk.locator("tr.check[data-check='match']")).to_have_count(4)
    expect(clerk.locator("tr.check:not([data-check='match'])")).to_have_count(0)
    check_a11y(clerk)
