"""The whole online flow in a real browser, with axe-core on every page it visits.

A resident applies for two procedures; one is returned for correction and resubmitted;
staff accept, propose and approve (or reject) with a separate approver; the resident
downloads the 決定通知書. Pages are found by their labels and headings, as a person would.
"""

import re

import pytest
from playwright.sync_api import Page, expect

from madoguchi.catalog.loader import catalog

from .helpers import (
    check_a11y,
    click_and_check,
    download_pdf,
    log_in_resident,
    log_in_staff,
    return_for_correction,
    screenshot,
)
from support import png_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RESIDENT = "hanako.browser@example.jp"
DOG = "犬の登録事項変更届"
CHILD = "児童手当 認定請求"
RETURN_MESSAGE = "犬の名前を、鑑札に書かれているとおりに入力してください。"
REJECT_REASON = "請求者の住民登録がデモ市にないため。"


def field(scope, label: str):
    """The input whose label is exactly `label` (the 必須 badge aside)."""
    return scope.get_by_label(re.compile(rf"^{re.escape(label)}(\s*必須)?$"))


def fill_account(page: Page, go_on=None) -> None:
    """児童手当's 振込先口座 step, the claimant's own account, then on to 児童 (through `go_on`, a
    next_step that checks each page as its test wants)."""
    field(page, "金融機関名").fill("デモ銀行")
    field(page, "支店名").fill("本店")
    page.get_by_label("普通", exact=True).check()
    field(page, "口座番号").fill("1234567")
    field(page, "口座名義（カナ）").fill("タカハシ ハナコ")
    (go_on or next_step)(page, "児童")


def next_step(page: Page, heading: str) -> None:
    page.get_by_role("button", name="次へ進む").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    check_a11y(page)


def submit(page: Page) -> str:
    """On the 確認画面: send, wait for 送信しました, return the 受付番号 shown."""
    page.get_by_role("button", name="この内容で送信する").click()
    expect(page.get_by_role("heading", name="送信しました")).to_be_visible()
    check_a11y(page)
    number = page.locator(".receipt-number").inner_text().strip()
    assert re.fullmatch(r"[0-9A-Z-]{6,16}", number), number
    return number


def open_procedure(page: Page, query: str, title: str) -> None:
    """From the catalogue: search, open the procedure's page."""
    page.get_by_role("navigation", name="メインメニュー").get_by_role("link", name="手続をさがす").click()
    expect(page.get_by_role("heading", name="手続をさがす")).to_be_visible()
    page.get_by_label("ことばでさがす").fill(query)
    page.get_by_role("button", name="さがす").click()
    expect(page.get_by_role("status")).to_contain_text(f"「{query}」の検索結果")
    check_a11y(page)
    click_and_check(page, "link", title, title)


def apply_for_dog_registration_change(page: Page) -> str:
    page.goto("/")
    expect(page.get_by_role("heading", name="手続をさがす")).to_be_visible()
    check_a11y(page)
    screenshot(page, "catalogue")
    open_procedure(page, "犬", DOG)

    # Not logged in yet: starting asks for the e-mail code, then comes back to the procedure.
    page.get_by_role("button", name="申請をはじめる").click()
    log_in_resident(page, RESIDENT)
    expect(page.get_by_role("heading", level=1)).to_have_text(DOG)
    check_a11y(page)
    click_and_check(page, "button", "申請をはじめる", "飼い主")

    # Step 1, with the telephone number left out: one error, in Japanese, at the field.
    field(page, "飼い主の氏名").fill("髙橋 花子")
    field(page, "フリガナ").fill("たかはし はなこ")
    field(page, "郵便番号").fill("892-0816")
    page.get_by_role("button", name="住所を検索").click()
    address = field(page, "住所")
    expect(address).to_have_value(re.compile("^鹿児島県鹿児島市山下町"))
    address.press("End")
    address.press_sequentially("11番1号")
    page.get_by_role("button", name="次へ進む").click()
    phone = field(page, "電話番号")
    expect(phone).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#owner_phone-error")).to_have_text("電話番号を入力してください")
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("入力内容を確認してください（1件）")
    expect(summary.get_by_role("listitem")).to_have_count(1)
    expect(field(page, "フリガナ")).to_have_value("タカハシ\u3000ハナコ")  # kept, and in katakana
    check_a11y(page)
    phone.fill("099-224-1111")
    next_step(page, "犬")

    # Step 2: the field for the old address appears once its condition is chosen.
    old_address = field(page, "変更前の住所（犬の所在地）")
    expect(old_address).to_be_hidden()
    field(page, "登録番号（鑑札の番号）").fill("鹿児島第1234号")
    field(page, "犬の名前").fill("ぽち")
    page.get_by_label("飼い主の住所・犬の所在地が変わった（市内での引っ越し）").check()
    expect(old_address).to_be_visible()
    old_address.fill("鹿児島県鹿児島市東千石町1番1号")
    field(page, "変更があった日").fill("令和5年4月1日")
    check_a11y(page)
    screenshot(page, "form-step")
    next_step(page, "入力内容の確認")
    expect(page.get_by_text("2023年4月1日").or_(page.get_by_text("令和5年4月1日")).first).to_be_visible()

    number = submit(page)
    download_pdf(page, "受付票（PDF）をダウンロード")
    return number


def apply_for_child_allowance(page: Page) -> str:
    open_procedure(page, "児童手当", CHILD)
    click_and_check(page, "button", "申請をはじめる", "請求者")

    field(page, "氏名").fill("髙橋 花子")
    field(page, "フリガナ").fill("タカハシ ハナコ")
    field(page, "生年月日").fill("平成2年5月10日")
    field(page, "個人番号（マイナンバー）").fill("1234 5678 9018")
    field(page, "郵便番号").fill("8920816")
    page.get_by_role("button", name="住所を検索").click()
    address = field(page, "住所")
    expect(address).to_have_value(re.compile("山下町"))
    address.fill(address.input_value() + "11番1号")
    field(page, "電話番号").fill("09012345678")
    field(page, "職業").fill("会社員")
    page.get_by_label("厚生年金（会社員など）").check()
    page.get_by_label("配偶者はいない").check()
    expect(field(page, "配偶者の氏名")).to_be_hidden()
    next_step(page, "振込先口座")

    fill_account(page)

    def fill_child(number: int, name: str, kana: str, born: str) -> None:
        item = page.get_by_role("group", name=f"お子さん {number}", exact=True)
        field(item, "氏名").fill(name)
        field(item, "フリガナ").fill(kana)
        field(item, "生年月日").fill(born)
        field(item, "請求者との続柄").select_option(label="子")
        item.get_by_label("同居", exact=True).check()

    fill_child(1, "髙橋 一郎", "タカハシ イチロウ", "令和2年6月15日")
    page.get_by_role("button", name="＋ お子さんを追加").click()
    expect(page.get_by_role("group", name="お子さん 2", exact=True)).to_be_visible()
    expect(field(page.get_by_role("group", name="お子さん 1", exact=True), "氏名")).to_have_value(
        "髙橋\u3000一郎")
    check_a11y(page)
    fill_child(2, "髙橋 二郎", "タカハシ ジロウ", "令和4年10月1日")
    page.get_by_label("負担していない・該当するお子さんはいない").check()
    next_step(page, "添付書類と同意")

    field(page, "請求者名義の口座が確認できるもの").set_input_files(
        {"name": "passbook.png", "mimeType": "image/png", "buffer": png_bytes()})
    page.get_by_label(re.compile("^記載内容に相違ありません")).check()
    next_step(page, "入力内容の確認")
    expect(page.get_by_text("髙橋\u3000二郎")).to_be_visible()
    return submit(page)


def open_case(page: Page, receipt_number: str, title: str) -> None:
    page.get_by_role("navigation", name="メインメニュー").get_by_role("link", name="受付一覧").click()
    expect(page.get_by_role("heading", name="受付一覧")).to_be_visible()
    page.get_by_role("link", name=receipt_number, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(title)
    check_a11y(page)


def case_action(page: Page, button: str, status: str) -> None:
    page.get_by_role("button", name=button).click()
    expect(page.get_by_text("処理しました。")).to_be_visible()
    expect(page.locator(".facts .status")).to_have_text(re.compile(status))
    check_a11y(page)


def open_my_submission(page: Page, title: str, status: str) -> None:
    page.get_by_role("navigation", name="メインメニュー").get_by_role("link", name="マイページ").click()
    expect(page.get_by_role("heading", name="マイページ")).to_be_visible()
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name=title))
    expect(row).to_contain_text(status)
    check_a11y(page)
    click_and_check(page, "link", title, title)
    expect(page.locator(".facts .status")).to_contain_text(status)


def approve_as(new_context, approver: str, receipt_number: str, title: str, notice: bool = True) -> None:
    """The approver decides; an application's decision issues its notice, a 届出's 受理 none."""
    page = new_context().new_page()
    log_in_staff(page, approver)
    open_case(page, receipt_number, title)
    expect(page.get_by_text("決裁待ち:")).to_be_visible()
    case_action(page, "決裁する（通知書を発行）" if notice else "決裁する（受理）", "承認|却下" if notice else "受理")
    expect(page.get_by_role("link", name=f"{title} 決定通知書")).to_have_count(1 if notice else 0)


def test_resident_applies_staff_decide_resident_downloads_the_notice(new_context):
    resident = new_context().new_page()
    dog_number = apply_for_dog_registration_change(resident)
    child_number = apply_for_child_allowance(resident)
    assert dog_number != child_number

    # The clerk of 住民環境課 returns the dog notification for correction.
    clerk = new_context().new_page()
    log_in_staff(clerk, "kankyo-tanto")
    open_case(clerk, dog_number, DOG)
    return_for_correction(clerk, RETURN_MESSAGE, "missing")

    # The resident sees why, corrects one answer and sends it again.
    open_my_submission(resident, DOG, "差戻し")
    expect(resident.locator(".panel.warning")).to_contain_text(RETURN_MESSAGE)
    click_and_check(resident, "button", "申請内容を修正する", "飼い主")
    expect(resident.get_by_text("（修正して再提出）")).to_be_visible()
    next_step(resident, "犬")
    dog_name = field(resident, "犬の名前")
    expect(dog_name).to_have_value("ぽち")
    dog_name.fill("ポチ")
    next_step(resident, "入力内容の確認")
    assert submit(resident) == dog_number

    # The clerk accepts and proposes approval; the approval is someone else's.
    clerk.reload()
    expect(clerk.get_by_role("heading", name="申請内容 第2版（最新）")).to_be_visible()
    check_a11y(clerk)
    case_action(clerk, "受付する", "審査中")
    expect(clerk.locator("#decision-receipt")).to_be_visible()  # a 届出 is 受理: no 承認/却下
    expect(clerk.get_by_role("radio", name="却下")).to_have_count(0)
    case_action(clerk, "起案して決裁に回す", "決裁中")
    expect(clerk.get_by_text("決裁は、起案者とは別の決裁者が行います。")).to_be_visible()
    expect(clerk.get_by_role("button", name="決裁する（受理）")).to_have_count(0)
    approve_as(new_context, "kankyo-kacho", dog_number, DOG, notice=False)

    # こども課 rejects the child allowance claim, with a reason, through the same chain.
    kodomo = new_context().new_page()
    log_in_staff(kodomo, "kodomo-tanto")
    open_case(kodomo, child_number, CHILD)
    case_action(kodomo, "受付する", "審査中")
    for item in catalog()["child-allowance-claim"].checklist:  # the review before a proposal
        kodomo.locator(f"#checklist-{item.id}-button").click()
        expect(kodomo.locator(f"#checklist-{item.id}")).to_have_attribute("data-ticked", "true")
    kodomo.get_by_role("radio", name="却下").check()
    kodomo.get_by_label(re.compile("^理由")).fill(REJECT_REASON)
    case_action(kodomo, "起案して決裁に回す", "決裁中")
    expect(kodomo.get_by_text(f"理由: {REJECT_REASON}")).to_be_visible()
    approve_as(new_context, "kodomo-kacho", child_number, CHILD)

    # The resident sees the outcomes and downloads the notices.
    open_my_submission(resident, DOG, "受理")  # a 届出 is received, not approved
    expect(resident.get_by_role("link", name=f"{DOG} 決定通知書（PDF）")).to_have_count(0)  # 受理: no notice
    open_my_submission(resident, CHILD, "却下")
    download_pdf(resident, f"{CHILD} 決定通知書（PDF）")
