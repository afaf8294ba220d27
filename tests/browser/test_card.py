"""The My Number card in a real browser, with the real card client and a SoftHSM2 software card.

The card is issued by the test CA standing in for J-LIS; the pages show the command for the
card client and move on by themselves once it has answered (or with a button, without
JavaScript). The client runs as a separate process against the live server, as a resident's
would. axe-core checks every page visited.
"""

import re
from datetime import date

import pytest
from playwright.sync_api import Page, expect

from madoguchi.applications.models import Submission, SubmissionSignature
from madoguchi.identity import trust
from madoguchi.identity.jpki.profile import GENDER_FEMALE, BasicInfo
from madoguchi.identity.models import CardCredential, ResidentAccount

from .helpers import (
    CARD_PROCEED,
    card_command_url,
    check_a11y,
    click_and_check,
    log_in_resident,
    log_in_staff,
)
from .test_online_application import field, next_step, open_case
from support import png_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PERSON = BasicInfo(name="髙﨑 花子", address="鹿児島県鹿児島市山下町11番1号",
                   birth_date=date(1988, 4, 2), gender=GENDER_FEMALE)
BIRTH_DATE_SHOWN = "昭和63年4月2日"
EMAIL = "hanako.card@example.jp"
PROCEDURE = "住民票の写しの交付請求"
FIRST_TIME = "はじめてマイナンバーカードでログインする方は、メールアドレスを確認してカードを登録します。"


def open_card_login(page: Page) -> str:
    """From the login page to the card login page; returns the challenge URL it shows."""
    page.goto("/login/")
    expect(page.get_by_role("heading", name="ログイン", exact=True)).to_be_visible()
    check_a11y(page)
    click_and_check(page, "link", "マイナンバーカードでログイン", "マイナンバーカードでログイン")
    return card_command_url(page, "login")


def expect_my_page(page: Page, message: str) -> None:
    expect(page.get_by_role("heading", name="マイページ")).to_be_visible()
    expect(page.get_by_text(message)).to_be_visible()
    check_a11y(page)


def log_out(page: Page) -> None:
    page.get_by_role("button", name="ログアウト").click()
    expect(page.get_by_text("ログアウトしました。")).to_be_visible()
    expect(page.get_by_role("button", name="ログアウト")).to_have_count(0)
    check_a11y(page)


def card_login(card, url: str) -> None:
    done = card.run("login", url)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "確認できました" in done.stdout


def test_first_card_login_links_through_email_then_the_card_alone_logs_in(new_context,
                                                                           issue_card):
    card = issue_card(PERSON)
    page = new_context().new_page()

    # The first time, the page moves on by itself to confirm an e-mail address.
    card_login(card, open_card_login(page))
    expect(page.get_by_text(FIRST_TIME)).to_be_visible()
    log_in_resident(page, EMAIL)
    expect_my_page(page, "マイナンバーカードを登録しました。次回からカードでログインできます。")
    credential = CardCredential.objects.get()
    assert credential.account == ResidentAccount.objects.get(email=EMAIL)
    assert credential.kind == "authentication"
    assert int(credential.serial) == card.serial("authentication")

    # From then on the card alone logs in, straight to My Page.
    log_out(page)
    card_login(card, open_card_login(page))
    expect_my_page(page, "マイナンバーカードでログインしました。")
    assert CardCredential.objects.count() == 1


def test_card_login_without_javascript_moves_on_with_the_button(new_context, issue_card):
    card = issue_card(PERSON)
    page = new_context(java_script_enabled=False).new_page()
    url = open_card_login(page)

    # Pressed before the card client has answered: the page says so and waits on the same URL.
    page.get_by_role("button", name=CARD_PROCEED).click()
    expect(page.get_by_text("まだマイナンバーカードでの確認が終わっていません。")).to_be_visible()
    assert card_command_url(page, "login") == url
    check_a11y(page)

    card_login(card, url)
    page.get_by_role("button", name=CARD_PROCEED).click()
    expect(page.get_by_text(FIRST_TIME)).to_be_visible()
    log_in_resident(page, EMAIL)
    expect_my_page(page, "マイナンバーカードを登録しました。")

    log_out(page)
    card_login(card, open_card_login(page))
    page.get_by_role("button", name=CARD_PROCEED).click()
    expect_my_page(page, "マイナンバーカードでログインしました。")


def test_a_revoked_card_is_refused_with_a_clear_message(new_context, ca, issue_card):
    card = issue_card(PERSON)
    ca.revoke(card.serial("authentication"))
    ca.write_crls()
    trust.reset()  # the server (same process) reads the new CRL, as after its refresh interval
    page = new_context().new_page()
    url = open_card_login(page)

    done = card.run("login", url)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "失効" in done.stderr, done.stderr

    # The page reads the challenge's state and says why, in Japanese.
    status = page.locator(".card-status")
    expect(status).to_contain_text("失効")
    check_a11y(page)

    # Going on anyway does not log in: a fresh card login page, the reason shown.
    page.get_by_role("button", name=CARD_PROCEED).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("マイナンバーカードでログイン")
    expect(page.locator(".messages .msg-error")).to_contain_text("失効")
    assert card_command_url(page, "login") != url
    check_a11y(page)
    expect(page.get_by_role("button", name="ログアウト")).to_have_count(0)
    assert not CardCredential.objects.exists()


def test_a_card_required_procedure_is_prefilled_from_the_card_and_signed(new_context,
                                                                         issue_card):
    card = issue_card(PERSON)
    page = new_context().new_page()
    page.goto("/procedures/residence-certificate-copy/")
    expect(page.get_by_role("heading", level=1)).to_have_text(PROCEDURE)
    check_a11y(page)
    page.get_by_role("button", name="申請をはじめる").click()
    log_in_resident(page, EMAIL)
    expect(page.get_by_role("heading", level=1)).to_have_text(PROCEDURE)
    check_a11y(page)
    click_and_check(page, "button", "申請をはじめる", "請求する人")

    # 氏名・住所・生年月日 from the signing certificate, read with the signing password.
    click_and_check(page, "button", "マイナンバーカードから入力する", "マイナンバーカードで入力")
    done = card.run("sign", card_command_url(page, "sign"))
    assert done.returncode == 0, done.stdout + done.stderr
    expect(page.get_by_role("heading", level=1)).to_have_text("請求する人")
    expect(page.get_by_text("署名用電子証明書から、氏名・住所・生年月日を入力しました。")).to_be_visible()
    expect(field(page, "氏名")).to_have_value(PERSON.name)
    expect(field(page, "住所")).to_have_value(PERSON.address)
    expect(field(page, "生年月日")).to_have_value(BIRTH_DATE_SHOWN)
    check_a11y(page)
    field(page, "フリガナ").fill("タカサキ ハナコ")
    field(page, "郵便番号").fill("892-0816")
    field(page, "電話番号").fill("099-224-1111")
    next_step(page, "必要な住民票")

    page.get_by_label("本人のみ").check()
    field(page, "通数").fill("1")
    # For a pension claim the demo city charges nothing, so the done page follows the signing
    # (a fee would go on to the payment page: tests/browser/test_payments*).
    field(page, "使いみち").select_option(label="年金の手続き")
    next_step(page, "受け取り方法")
    page.get_by_label("窓口（市民課）").check()
    next_step(page, "本人確認と確認事項")
    field(page, "請求する人の本人確認書類").set_input_files(
        {"name": "license.png", "mimeType": "image/png", "buffer": png_bytes()})
    field(page, "請求する人は、必要な人の本人または同じ世帯の者です。").check()
    next_step(page, "入力内容の確認")
    expect(page.get_by_text(PERSON.address)).to_be_visible()

    # Signing what the department receives, then it is sent by itself.
    click_and_check(page, "button", "マイナンバーカードで署名して送信する",
                    "マイナンバーカードで署名して送信")
    done = card.run("sign", card_command_url(page, "sign"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert '"procedure":"residence-certificate-copy"' in done.stdout  # what it showed and signed
    expect(page.get_by_role("heading", name="送信しました")).to_be_visible()
    check_a11y(page)
    number = page.locator(".receipt-number").inner_text().strip()
    assert re.fullmatch(r"[0-9A-Z-]{6,16}", number), number
    submission = Submission.objects.get()
    assert SubmissionSignature.objects.get(version__submission=submission).serial == str(
        card.serial("signing"))

    staff = new_context().new_page()
    log_in_staff(staff, "shimin-tanto")
    open_case(staff, number, PROCEDURE)
    signature = staff.locator(".panel.success").filter(has_text="電子署名")
    expect(signature).to_contain_text("電子署名: 有効")
    expect(signature).to_contain_text(f"署名者: {PERSON.name}")
