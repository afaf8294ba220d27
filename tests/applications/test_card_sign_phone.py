"""The sign page of a card-required procedure orders the ways by device: on a phone
デジタル認証アプリ's signing first and no `madoguchi-card` command; on a PC the QR code, the command,
then the app."""

import pytest
from django.urls import reverse

from madoguchi.applications.models import Draft
from madoguchi.catalog.loader import catalog
from madoguchi.identity import digital_auth

from support import fill_form

pytestmark = pytest.mark.django_db

CODE = "residence-certificate-copy"
ANDROID = ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
           "Chrome/156.0.0.0 Mobile Safari/537.36")
DESKTOP = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
           "Chrome/156.0.0.0 Safari/537.36")


@pytest.fixture
def sign_url(resident_client, ca):
    resident_client.post(reverse("applications:start", args=[CODE]))
    draft = Draft.objects.latest("id")
    fill_form(resident_client, lambda i: reverse("applications:step", args=[draft.public_id, i]),
              catalog()[CODE].current_form)
    response = resident_client.post(reverse("applications:confirm", args=[draft.public_id]))
    assert response["Location"] == reverse("applications:sign", args=[draft.public_id])
    return response["Location"]


def _order(html: str, *ids: str) -> list[str]:
    found = [(html.find(f'id="{i}"'), i) for i in ids if f'id="{i}"' in html]
    return [i for _, i in sorted(found)]


def test_on_a_phone_the_app_comes_first_and_no_command(resident_client, sign_url, monkeypatch):
    monkeypatch.setattr(digital_auth, "signing_enabled", lambda municipality: True)
    response = resident_client.get(sign_url, HTTP_USER_AGENT=ANDROID, HTTP_SEC_CH_UA_MOBILE="?1")
    html = response.content.decode()
    assert _order(html, "digital-auth-sign", "way-qr") == ["digital-auth-sign", "way-qr"]
    assert '<details id="way-qr"' in html
    assert "madoguchi-card" not in html
    assert "カード読み取りアプリ" not in html
    assert "デジタル認証アプリ" in html
    assert "Sec-CH-UA-Mobile" in response["Vary"]


def test_on_a_phone_without_the_app_the_page_says_so(resident_client, sign_url):
    html = resident_client.get(sign_url, HTTP_USER_AGENT=ANDROID).content.decode()
    assert 'id="digital-auth-sign"' not in html
    assert 'class="panel warning"' in html
    assert reverse("applications:procedure", args=[CODE]) in html
    assert "madoguchi-card" not in html


def test_on_a_pc_the_qr_then_the_command_then_the_app(resident_client, sign_url, monkeypatch):
    monkeypatch.setattr(digital_auth, "signing_enabled", lambda municipality: True)
    html = resident_client.get(sign_url, HTTP_USER_AGENT=DESKTOP).content.decode()
    assert _order(html, "way-qr", "way-reader", "digital-auth-sign") == \
        ["way-qr", "way-reader", "digital-auth-sign"]
    assert "madoguchi-card sign http://testserver/api/identity/challenges/" in html


def test_filling_from_the_card_on_a_phone_offers_to_go_on_without_it(resident_client, ca):
    resident_client.post(reverse("applications:start", args=[CODE]))
    draft = Draft.objects.latest("id")
    response = resident_client.post(reverse("applications:prefill_start", args=[draft.public_id]))
    html = resident_client.get(response["Location"], HTTP_USER_AGENT=ANDROID).content.decode()
    assert "madoguchi-card" not in html
    assert _order(html, "way-app", "way-qr") == ["way-app", "way-qr"]
    assert f'id="without-card" href="{reverse("applications:step", args=[draft.public_id, 0])}"' in html
