"""The login pages order the ways by device: a phone is offered デジタル認証アプリ first and never the
`madoguchi-card` command; a PC the QR code first, then the command for a card reader."""

import re

import pytest
from django.urls import reverse

from madoguchi.identity import digital_auth
from madoguchi.identity.device import is_phone

pytestmark = pytest.mark.django_db

ANDROID = ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
           "Chrome/156.0.0.0 Mobile Safari/537.36")
IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 "
          "(KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1")
DESKTOP = ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
           "Chrome/156.0.0.0 Safari/537.36")


@pytest.fixture
def app_on(monkeypatch):
    """The city has デジタル認証アプリ configured (its settings are the oidc tests' concern)."""
    monkeypatch.setattr(digital_auth, "enabled", lambda municipality: True)


def _order(html: str, *ids: str) -> list[str]:
    """The given element ids in the order they appear in the page (absent ones left out)."""
    found = [(html.find(f'id="{i}"'), i) for i in ids if f'id="{i}"' in html]
    return [i for _, i in sorted(found)]


class _Request:
    def __init__(self, **headers):
        self.headers = headers


@pytest.mark.parametrize(("headers", "phone"), [
    ({"Sec-CH-UA-Mobile": "?1", "User-Agent": DESKTOP}, True),
    ({"Sec-CH-UA-Mobile": "?0", "User-Agent": ANDROID}, False),  # the browser's own word wins
    ({"User-Agent": ANDROID}, True),
    ({"User-Agent": IPHONE}, True),
    ({"User-Agent": DESKTOP}, False),
    ({}, False),
])
def test_a_phone_is_told_by_its_client_hint_else_its_user_agent(headers, phone):
    assert is_phone(_Request(**headers)) is phone


def test_login_page_on_a_phone_offers_the_app_first(client, city, app_on):
    response = client.get(reverse("identity:login"), HTTP_USER_AGENT=ANDROID,
                          HTTP_SEC_CH_UA_MOBILE="?1")
    html = response.content.decode()
    assert _order(html, "digital-auth-login", "card-login", "email") == \
        ["digital-auth-login", "card-login", "email"]
    assert "Sec-CH-UA-Mobile" in response["Vary"]
    assert "カード読み取りアプリ" not in html


def test_login_page_on_a_pc_offers_the_card_first(client, city, app_on):
    html = client.get(reverse("identity:login"), HTTP_USER_AGENT=DESKTOP).content.decode()
    assert _order(html, "digital-auth-login", "card-login", "email") == \
        ["card-login", "digital-auth-login", "email"]


def test_login_page_without_the_app_offers_the_card_and_email(client, city):
    html = client.get(reverse("identity:login"), HTTP_USER_AGENT=ANDROID).content.decode()
    assert _order(html, "digital-auth-login", "card-login", "email") == ["card-login", "email"]


def test_card_login_on_a_phone_has_no_command_and_the_qr_only_for_a_pc(client, city, app_on):
    html = client.get(reverse("identity:card_login"), HTTP_USER_AGENT=IPHONE).content.decode()
    assert "madoguchi-card" not in html
    assert _order(html, "way-app", "way-qr") == ["way-app", "way-qr"]
    assert re.search(r'<details id="way-qr"', html), "the QR code is folded away on a phone"
    # Without JavaScript the page still finishes with its button.
    assert 'id="card-finish"' in html


def test_card_login_on_a_pc_shows_the_qr_then_the_command(client, city, app_on):
    html = client.get(reverse("identity:card_login"), HTTP_USER_AGENT=DESKTOP).content.decode()
    assert _order(html, "way-qr", "way-reader", "way-app") == ["way-qr", "way-reader", "way-app"]
    assert re.search(r"madoguchi-card login http://testserver/api/identity/challenges/", html)


def test_card_login_on_a_phone_without_the_app_points_to_email(client, city):
    html = client.get(reverse("identity:card_login"), HTTP_USER_AGENT=ANDROID).content.decode()
    assert "madoguchi-card" not in html
    assert _order(html, "way-app", "way-qr") == ["way-app", "way-qr"]
    assert 'id="digital-auth-login"' not in html
    assert f'href="{reverse("identity:login")}?next=' in html.split('id="way-qr"')[0]
