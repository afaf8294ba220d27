"""Logging in on a phone: the login page offers デジタル認証アプリ first, the local provider's
hand-off page (as the app would) asks the 利用者証明用 PIN and sends the phone back; no page of the
way scrolls sideways at 320 px, and axe-core checks each Madoguchi page.

The provider is the local stand-in (identity/oidc/testing_provider.py) in its interactive mode,
configured as `make run` does: the relying party's key files, private_key_jwt, its sign endpoint.
"""

import pytest
from playwright.sync_api import Page, expect

from madoguchi.identity.oidc import client as oidc_client
from madoguchi.identity.oidc.keys import public_jwks
from madoguchi.identity.oidc.testing_provider import LocalProvider, demo_client_keys

from .conftest import ANDROID_CHROME, PHONE
from .helpers import assert_no_sideways_scroll, check_a11y, check_phone_page, login_code_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LOGIN_PIN = "1234"  # the stand-in checks the form (4 digits); the real app checks the card




@pytest.fixture
def digital_auth_app(site, settings, tmp_path, card):
    """The local デジタル認証アプリ in interactive mode; it signs with the test card's 署名用 key."""
    keys = demo_client_keys(tmp_path / "digital-auth")
    with open(keys["PRIVATE_KEY_FILE"], encoding="ascii") as signing, \
            open(keys["ENCRYPTION_KEY_FILE"], encoding="ascii") as encryption:
        jwks = public_jwks(signing.read(), keys["KEY_ID"], encryption_key_pem=encryption.read(),
                           encryption_kid=keys["ENCRYPTION_KEY_ID"])
    callback = f"{site}/login/digital-auth/callback/"
    oidc_client.clear_caches()
    with LocalProvider(redirect_uris=[callback], client_jwks=jwks, interactive=True,
                       signing_key=card.signing_key, signing_certificate=card.signing_cert) as app:
        for name, value in {"ISSUER": app.issuer, "CLIENT_ID": app.client_id,
                            "REDIRECT_URI": callback, "CLIENT_AUTH_METHOD": "private_key_jwt",
                            "SIGN_ENDPOINT": app.sign_endpoint, **keys}.items():
            setattr(settings, f"MADOGUCHI_DIGITAL_AUTH_{name}", value)
        yield app
    oidc_client.clear_caches()


def approve_in_app(page: Page, pin: str) -> None:
    """On the app's hand-off page: the card's PIN, then 「許可する」 (back to Madoguchi)."""
    expect(page.locator("#pin")).to_be_visible()
    page.locator("#pin").fill(pin)
    page.locator("#approve").click()


def confirm_email(page: Page, email: str) -> None:
    """The e-mail step that links the app's login to an account the first time."""
    page.get_by_label("メールアドレス").fill(email)
    page.get_by_role("button", name="確認コードを送る").click()
    expect(page.get_by_role("heading", name="確認コードの入力")).to_be_visible()
    check_phone_page(page)
    page.get_by_label("確認コード").fill(login_code_for(email))
    page.get_by_role("button", name="ログインする").click()


def test_the_login_page_on_a_phone_offers_the_app_first(phone, digital_auth_app):
    phone.goto("/login/")
    expect(phone.get_by_role("heading", name="ログイン", exact=True)).to_be_visible()
    check_phone_page(phone)
    # The first way on the page is the app's big button; the card's QR way and e-mail follow.
    ways = phone.locator("#way-app, #way-card, #email")
    expect(ways).to_have_count(3)
    assert [ways.nth(i).get_attribute("id") for i in range(3)] == ["way-app", "way-card", "email"]
    button = phone.locator("#digital-auth-login")
    box = button.bounding_box()
    assert box and box["height"] >= 48 and box["width"] >= 300, box  # a thumb-sized target

    # The card's own page on a phone: the app first, the QR code folded away, no command line.
    phone.locator("#card-login").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("マイナンバーカードでログイン")
    expect(phone.locator("#way-app")).to_be_visible()
    expect(phone.locator("details#way-qr")).not_to_have_attribute("open", "")
    expect(phone.locator("pre.command")).to_have_count(0)
    check_phone_page(phone)
    phone.locator("details#way-qr > summary").click()
    expect(phone.locator("#way-qr .qr")).to_be_visible()
    check_phone_page(phone)
    phone.go_back()

    # Through the app: the first time links the account with a confirmed e-mail address.
    phone.locator("#digital-auth-login").click()
    approve_in_app(phone, LOGIN_PIN)
    expect(phone.get_by_role("heading", name="ログイン", exact=True)).to_be_visible()
    check_phone_page(phone)
    confirm_email(phone, "hanako.phone@example.jp")
    expect(phone.get_by_role("heading", name="マイページ")).to_be_visible()
    check_phone_page(phone)
    assert digital_auth_app.authorize_params, "the phone went through the app"

    # From then on the app alone logs in.
    phone.get_by_role("button", name="ログアウト").click()
    phone.goto("/login/")
    phone.locator("#digital-auth-login").click()
    approve_in_app(phone, LOGIN_PIN)
    expect(phone.get_by_role("heading", name="マイページ")).to_be_visible()
    expect(phone.get_by_role("button", name="ログアウト")).to_be_visible()
    check_phone_page(phone)


def test_a_pc_sees_the_qr_code_then_the_command_that_wraps(new_context, digital_auth_app):
    page = new_context().new_page()
    page.goto("/login/card/")
    ways = page.locator("#way-qr, #way-reader, #way-app")
    expect(ways).to_have_count(3)
    assert [ways.nth(i).get_attribute("id") for i in range(3)] == ["way-qr", "way-reader", "way-app"]
    expect(page.locator("pre.command code")).to_contain_text("madoguchi-card login http")
    check_a11y(page)
    # A narrow PC window: the long command wraps instead of widening the page.
    assert_no_sideways_scroll(page, 320)


def test_the_app_login_on_a_phone_works_without_javascript(new_context, digital_auth_app):
    page = new_context(**PHONE, user_agent=ANDROID_CHROME, java_script_enabled=False).new_page()
    page.goto("/login/card/")
    # The folded QR code opens without script (<details>), and the app's button is a plain link.
    page.locator("details#way-qr > summary").click()
    expect(page.locator("#way-qr .qr")).to_be_visible()
    check_phone_page(page)
    page.locator("#digital-auth-login").click()
    approve_in_app(page, LOGIN_PIN)
    expect(page.get_by_role("heading", name="ログイン", exact=True)).to_be_visible()
    confirm_email(page, "jiro.nojs.phone@example.jp")
    expect(page.get_by_role("heading", name="マイページ")).to_be_visible()
    check_phone_page(page)
