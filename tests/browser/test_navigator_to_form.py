"""From 手続ナビ straight into the form on a 390×844 phone: after a birth, 「オンラインで申請を
はじめる」 for the 児童手当 (logging in on the way) starts the claim with the child's birth date
already in it, marked 「手続ナビ」, and goes on to the 確認画面. axe-core and the 320 px check on
every page."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from madoguchi.applications.models import Draft
from madoguchi.catalog.selectors import get_procedure
from madoguchi.core.japanese import format_wareki
from madoguchi.navigator import services as navigator_services

from .helpers import check_phone_page, log_in_resident
from .test_online_application import field, fill_account
from support import png_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CLAIM = "児童手当 認定請求"




def answer(page: Page, labels: list[str], then: str | None) -> None:
    for label in labels:
        page.get_by_label(label, exact=True).check()
    page.get_by_role("button", name="次へ").click()
    if then is None:
        expect(page.get_by_role("heading", level=1)).to_contain_text("必要な手続")
    else:
        expect(page.get_by_role("heading", level=1)).to_have_text(then)
    check_phone_page(page)


def next_step(page: Page, heading: str) -> None:
    page.get_by_role("button", name="次へ進む").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    check_phone_page(page)


def test_child_allowance_from_the_navigator_carries_the_birth_date(phone: Page, city):
    page = phone
    born = timezone.localdate() - timedelta(days=3)

    page.goto("/")
    page.locator("#event-birth").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("お子さんが生まれた日はいつですか")
    check_phone_page(page)
    page.locator("input[type=date]").fill(born.isoformat())
    page.get_by_role("button", name="次へ").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("お子さんが入る健康保険はどれですか")
    check_phone_page(page)
    answer(page, ["国民健康保険（親が自営業など）"], "児童手当を、すでに上のお子さんの分で受け取っていますか")
    answer(page, ["受け取っていない（はじめてのお子さんなど）"], "ひとり親の家庭ですか")
    answer(page, ["いいえ"], "育児休業のあとなどに、保育所・認定こども園などを利用したいですか")
    answer(page, ["いいえ"], None)

    item = page.get_by_role("listitem").filter(has=page.get_by_role("heading", name=CLAIM))
    item.get_by_role("button", name=re.compile("^オンラインで申請をはじめる")).click()

    # Not logged in: the login comes back to this procedure of the plan, not to the start.
    log_in_resident(page, "navi.phone@example.jp")
    expect(page.get_by_role("heading", level=1)).to_have_text(CLAIM)
    expect(page).to_have_url(re.compile(r"/navi/p/[^/]+/result/\?apply=child-allowance-claim$"))
    assert not Draft.objects.exists()  # the page after login is a GET: it starts nothing
    check_phone_page(page)
    page.locator("#apply-start").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("請求者")
    check_phone_page(page)

    draft = Draft.objects.get()
    procedure = get_procedure(city, "child-allowance-claim")
    assert draft.navigator_plan is not None and draft.navigator_plan.event == "birth"
    assert draft.due_on == navigator_services.deadline_for(procedure, born)

    field(page, "氏名").fill("髙橋 花子")
    field(page, "フリガナ").fill("タカハシ ハナコ")
    field(page, "生年月日").fill("平成2年5月10日")
    field(page, "個人番号（マイナンバー）").fill("1234 5678 9018")
    field(page, "郵便番号").fill("8920816")
    field(page, "住所").fill("鹿児島県鹿児島市山下町11番1号")
    field(page, "電話番号").fill("09012345678")
    field(page, "職業").fill("会社員")
    page.get_by_label("厚生年金（会社員など）").check()
    page.get_by_label("配偶者はいない").check()
    next_step(page, "振込先口座")

    fill_account(page, go_on=next_step)

    # The newborn's birth date is already there, marked as coming from 手続ナビ.
    birth_date = page.locator("#children-0-birth_date")
    expect(birth_date).to_have_value(format_wareki(born))
    marker = page.locator("#children-0-birth_date-source")
    expect(marker).to_have_attribute("data-source", "navigator")
    expect(marker).to_be_visible()
    expect(page.locator("#children-0-name-source")).to_have_count(0)  # nothing typed is marked

    child = page.get_by_role("group", name="お子さん 1", exact=True)
    field(child, "氏名").fill("髙橋 一郎")
    field(child, "フリガナ").fill("タカハシ イチロウ")
    field(child, "請求者との続柄").select_option(label="子")
    child.get_by_label("同居", exact=True).check()
    page.get_by_label("負担していない・該当するお子さんはいない").check()
    next_step(page, "添付書類と同意")

    field(page, "請求者名義の口座が確認できるもの").set_input_files(
        {"name": "passbook.png", "mimeType": "image/png", "buffer": png_bytes()})
    page.get_by_label(re.compile("^記載内容に相違ありません")).check()
    next_step(page, "入力内容の確認")
    expect(page.get_by_text(format_wareki(born), exact=False).first).to_be_visible()
    draft.refresh_from_db()
    assert draft.due_on == navigator_services.deadline_for(procedure, born)
