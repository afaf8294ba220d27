"""住民票の写し on a phone, signed through デジタル認証アプリ: the procedure page and the first step say
before any input that the card and its 署名用 password are needed (and the ways without it); the
sign page offers the app first, and the local provider's hand-off page (as the app would) takes
the 署名用 PIN, signs with the test card and sends the phone back to the done page. Every Madoguchi
page of the way is checked by axe-core and for sideways scroll at 320 px."""

import re

import pytest
from playwright.sync_api import expect

from madoguchi.applications.models import Submission, SubmissionSignature

from .helpers import check_phone_page, click_and_check, log_in_resident, screenshot
from .test_online_application import field
from .test_phone_login import approve_in_app, digital_auth_app  # noqa: F401 (a fixture)
from support import png_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PROCEDURE = "住民票の写しの交付請求"
EMAIL = "taro.phone@example.jp"
SIGNING_PIN = "ABC123"  # the stand-in checks the form (6–16 of A–Z, 0–9); the real app the card


def next_step(page, heading: str) -> None:
    page.get_by_role("button", name="次へ進む").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    check_phone_page(page)


def test_residence_certificate_signed_with_the_app_on_a_phone(phone, digital_auth_app, card):  # noqa: F811
    phone.goto("/procedures/residence-certificate-copy/")
    expect(phone.get_by_role("heading", level=1)).to_have_text(PROCEDURE)
    # Before step 1: the card and which PIN online; the counter and the post without it.
    for section in ("#req-online", "#req-counter", "#req-post"):
        expect(phone.locator(section)).to_be_visible()
    check_phone_page(phone)
    screenshot(phone, "procedure-requirements-phone")

    phone.get_by_role("button", name="申請をはじめる").click()
    expect(phone.get_by_role("heading", name="ログイン", exact=True)).to_be_visible()
    expect(phone.locator("#digital-auth-login")).to_be_visible()
    log_in_resident(phone, EMAIL, check=check_phone_page)
    expect(phone.get_by_role("heading", level=1)).to_have_text(PROCEDURE)
    check_phone_page(phone)

    click_and_check(phone, "button", "申請をはじめる", "請求する人")
    requirements = phone.locator("#requirements")
    expect(requirements).to_be_visible()
    expect(requirements.get_by_role("link")).to_have_attribute(
        "href", re.compile(r"/procedures/residence-certificate-copy/#requirements$"))
    check_phone_page(phone)
    field(phone, "氏名").fill("山田 太郎")
    field(phone, "フリガナ").fill("ヤマダ タロウ")
    field(phone, "生年月日").fill("昭和60年4月2日")
    field(phone, "郵便番号").fill("892-0816")
    field(phone, "住所").fill("鹿児島県鹿児島市山下町11番1号")
    field(phone, "電話番号").fill("099-224-1111")
    next_step(phone, "必要な住民票")
    phone.get_by_label("本人のみ").check()
    field(phone, "通数").fill("1")
    field(phone, "使いみち").select_option(label="年金の手続き")  # free: no payment step
    next_step(phone, "受け取り方法")
    phone.get_by_label("窓口（市民課）").check()
    next_step(phone, "本人確認と確認事項")
    field(phone, "請求する人の本人確認書類").set_input_files(
        {"name": "card-front.png", "mimeType": "image/png", "buffer": png_bytes()})
    field(phone, "請求する人は、必要な人の本人または同じ世帯の者です。").check()
    next_step(phone, "入力内容の確認")

    # The sign page on a phone: the app first, the QR code only for a PC, no command line.
    click_and_check(phone, "button", "マイナンバーカードで署名して送信する",
                    "マイナンバーカードで署名して送信")
    expect(phone.locator("#way-app")).to_be_visible()
    expect(phone.locator("pre.command")).to_have_count(0)
    expect(phone.locator("details#way-qr")).not_to_have_attribute("open", "")
    expect(phone.get_by_text("カード読み取りアプリ")).to_have_count(0)
    check_phone_page(phone)
    screenshot(phone, "sign-page-phone")
    phone.locator("#digital-auth-sign").click()
    approve_in_app(phone, SIGNING_PIN)

    expect(phone.get_by_role("heading", name="送信しました")).to_be_visible()
    number = phone.locator(".receipt-number").inner_text().strip()
    check_phone_page(phone)
    submission = Submission.objects.get()
    assert number == submission.receipt_number
    signature = SubmissionSignature.objects.get(version__submission=submission)
    assert signature.serial == str(card.signing_cert.serial_number)
    assert any("sign" in params.get("scope", "") for params in digital_auth_app.authorize_params)
