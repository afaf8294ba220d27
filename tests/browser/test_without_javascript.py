"""The form is plain HTML first: with JavaScript off it still fills, validates and moves on."""

import pytest
from playwright.sync_api import expect

from .helpers import check_a11y, click_and_check, log_in_resident
from .test_online_application import field

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_step_with_a_conditional_field_works_without_javascript(new_context):
    page = new_context(java_script_enabled=False).new_page()
    page.goto("/procedures/dog-registration-change/")
    expect(page.get_by_role("heading", level=1)).to_have_text("犬の登録事項変更届")
    page.get_by_role("button", name="申請をはじめる").click()
    log_in_resident(page, "jiro.nojs@example.jp")
    click_and_check(page, "button", "申請をはじめる", "飼い主")

    # The address look-up is a server round trip when there is no script to do it in place.
    field(page, "飼い主の氏名").fill("山田 次郎")
    field(page, "フリガナ").fill("ヤマダ ジロウ")
    field(page, "郵便番号").fill("892-0816")
    page.get_by_role("button", name="住所を検索").click()
    expect(page.get_by_text("住所を入力しました。")).to_be_visible()
    address = field(page, "住所")
    expect(address).to_have_value("鹿児島県鹿児島市山下町")
    check_a11y(page)
    address.fill("鹿児島県鹿児島市山下町11番1号")
    field(page, "電話番号").fill("099-224-1111")
    click_and_check(page, "button", "次へ進む", "犬")

    # Every conditional field is shown, each saying when it is needed; unneeded ones stay empty.
    conditional = field(page, "新しい飼い主の氏名")
    expect(conditional).to_be_visible()
    expect(page.locator(".field[data-show-if]").first.locator(".condition")).to_be_visible()
    expect(page.locator("#timeout-warning")).to_be_hidden()
    field(page, "犬の名前").fill("ハナ")
    page.get_by_label("犬が死亡した").check()
    field(page, "変更があった日").fill("令和6年1月15日")
    check_a11y(page)
    click_and_check(page, "button", "次へ進む", "入力内容の確認")
    expect(page.get_by_text("犬が死亡した")).to_be_visible()
    expect(page.get_by_text("新しい飼い主の氏名")).to_have_count(0)
    expect(page.locator("#timeout-warning")).to_be_hidden()


def test_axe_check_is_not_vacuous(browser):
    """check_a11y must fail on a page with a known problem, or its passes mean nothing."""
    page = browser.new_page()
    try:
        page.set_content('<html lang="ja"><body><main><img src="x.png">'
                         '<p style="color:#ccc;background:#fff">うすい文字</p></main></body></html>')
        with pytest.raises(AssertionError, match="image-alt") as failure:
            check_a11y(page)
        assert "color-contrast" in str(failure.value)
    finally:
        page.close()
