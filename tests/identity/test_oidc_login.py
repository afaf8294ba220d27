"""Logging in with デジタル認証アプリ through the views, against a local provider."""

import re
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from madoguchi.core.models import AuditEvent
from madoguchi.identity.models import DigitalAuthLink, ResidentAccount
from madoguchi.identity.oidc import client as oidc_client
from madoguchi.identity.oidc.errors import MESSAGES
from madoguchi.identity.oidc.testing_provider import LocalProvider, Resident, follow_authorization
from madoguchi.identity.session import SESSION_KEY
from madoguchi.notify.services import deliver_pending

from conftest import login_resident

pytestmark = pytest.mark.django_db

CALLBACK = "http://testserver/login/digital-auth/callback/"
BUTTON = "デジタル認証アプリでログイン"


@pytest.fixture
def provider(settings):
    oidc_client.clear_caches()
    with LocalProvider(redirect_uris=[CALLBACK], client_secret="test-secret") as local:
        settings.MADOGUCHI_DIGITAL_AUTH_ISSUER = local.issuer
        settings.MADOGUCHI_DIGITAL_AUTH_CLIENT_ID = local.client_id
        settings.MADOGUCHI_DIGITAL_AUTH_REDIRECT_URI = CALLBACK
        settings.MADOGUCHI_DIGITAL_AUTH_CLIENT_AUTH_METHOD = "client_secret_basic"
        settings.MADOGUCHI_DIGITAL_AUTH_CLIENT_SECRET = "test-secret"
        yield local
    oidc_client.clear_caches()


def _authorize(browser, next_url="/mypage/"):
    """Start on our site, then do what the phone's browser does at the provider."""
    response = browser.get(reverse("identity:digital_auth_login"), {"next": next_url})
    assert response.status_code == 302
    url = response["Location"]
    assert "code_verifier" not in url and browser.session["digital_auth"]["state"] in url
    return follow_authorization(url)


def _callback(browser, params):
    return browser.get(reverse("identity:digital_auth_callback"), params)


def _page(browser, response) -> str:
    return browser.get(response["Location"]).content.decode()


def _confirm_email(browser, response, email):
    """The e-mail code login the first link goes through; returns its final redirect."""
    login_url = response["Location"]
    browser.post(login_url, {"email": email})
    deliver_pending()
    code = re.search(r"確認コード: (\d{6})", mail.outbox[-1].body).group(1)
    next_url = reverse("identity:digital_auth_link")
    confirmed = browser.post(f"{reverse('identity:login_code')}?next={next_url}", {"code": code})
    assert confirmed["Location"] == next_url
    return browser.get(next_url)


def test_first_login_links_through_email_then_logs_in_directly(client, city, provider, resident):
    response = _callback(client, _authorize(client, "/mypage/?tab=1"))
    assert urlsplit(response["Location"]).path == reverse("identity:login")
    assert SESSION_KEY not in client.session and not DigitalAuthLink.objects.exists()
    assert 'class="msg msg-info"' in _page(client, response)  # why the e-mail step comes first

    linked = _confirm_email(client, response, resident.email)
    assert linked["Location"] == "/mypage/?tab=1"
    link = DigitalAuthLink.objects.get()
    assert (link.account, link.municipality, link.issuer, link.subject, link.linked_by) == (
        resident, city, provider.issuer, Resident().sub, "email")
    assert client.session[SESSION_KEY] == resident.pk
    assert client.session["login_method"] == "digital_auth"

    fresh = Client()
    response = _callback(fresh, _authorize(fresh))
    assert response["Location"] == "/mypage/"
    assert fresh.session[SESSION_KEY] == resident.pk and fresh.session["login_method"] == "digital_auth"
    assert 'class="msg msg-success"' in _page(fresh, response)

    events = AuditEvent.objects.filter(action__in=["login", "digital_auth_linked"], target_id=str(resident.pk))
    assert [e.detail.get("method") for e in events.filter(action="login")] == [
        "email_code", "digital_auth", "digital_auth"]
    linked_event = events.get(action="digital_auth_linked")
    for event in events:
        text = str(event.detail)
        assert Resident().sub not in text and "髙﨑" not in text and "1985" not in text
    assert linked_event.detail == {"link_id": link.pk, "via": "email"}


def test_a_resident_logged_in_by_email_is_linked_directly(client, city, provider, resident):
    login_resident(client, resident)
    response = _callback(client, _authorize(client))
    assert response["Location"] == "/mypage/"
    assert DigitalAuthLink.objects.get().account == resident
    assert client.session["login_method"] == "digital_auth"


def test_a_tampered_state_is_refused(client, city, provider, resident):
    params = _authorize(client)
    params["state"] += "x"
    response = _callback(client, params)
    assert urlsplit(response["Location"]).path == reverse("identity:login")
    assert str(MESSAGES["state_mismatch"]) in _page(client, response)
    assert SESSION_KEY not in client.session and "digital_auth" not in client.session
    assert provider.count("/token") == 0  # the code was never redeemed


def test_a_callback_without_a_login_in_progress_is_refused(client, city, provider):
    response = _callback(client, {"code": "x", "state": "y"})
    assert str(MESSAGES["state_mismatch"]) in _page(client, response)
    assert SESSION_KEY not in client.session


def test_the_resident_cancelling_in_the_app_says_so(client, city, provider):
    provider.faults.deny = True
    response = _callback(client, _authorize(client))
    assert str(MESSAGES["login_cancelled"]) in _page(client, response)
    assert SESSION_KEY not in client.session


def test_a_subject_linked_in_another_municipality_does_not_log_in_here(client, city, other_city, provider):
    elsewhere = ResidentAccount.objects.create(municipality=other_city, email="saburo@example.jp")
    DigitalAuthLink.objects.create(municipality=other_city, account=elsewhere, issuer=provider.issuer,
                                   subject=Resident().sub, linked_by="email")
    response = _callback(client, _authorize(client))
    assert urlsplit(response["Location"]).path == reverse("identity:login")  # here: first time
    assert SESSION_KEY not in client.session
    assert DigitalAuthLink.objects.get().account == elsewhere


def test_the_button_appears_only_when_configured(client, city, settings):
    settings.MADOGUCHI_DIGITAL_AUTH_ISSUER = ""
    assert BUTTON not in client.get(reverse("identity:login")).content.decode()
    assert client.get(reverse("identity:digital_auth_login")).status_code == 404
    settings.MADOGUCHI_DIGITAL_AUTH_ISSUER = "https://auth.example.jp"
    settings.MADOGUCHI_DIGITAL_AUTH_CLIENT_ID = "RP00000001"
    settings.MADOGUCHI_DIGITAL_AUTH_REDIRECT_URI = CALLBACK
    settings.MADOGUCHI_DIGITAL_AUTH_CLIENT_AUTH_METHOD = "client_secret_basic"
    settings.MADOGUCHI_DIGITAL_AUTH_CLIENT_SECRET = "test-secret"
    assert BUTTON in client.get(reverse("identity:login")).content.decode()


@pytest.mark.parametrize("fault, code", [("wrong_iss", "state_mismatch"), ("low_acr", "id_token_invalid")])
def test_a_callback_from_another_issuer_or_with_a_low_acr_gives_a_plain_message(client, provider, fault, code):
    """No 500 and no login: back to the login page with the client's sentence, nothing linked."""
    setattr(provider.faults, fault, True)
    response = _callback(client, _authorize(client))
    assert response.status_code == 302
    assert urlsplit(response["Location"]).path == reverse("identity:login")
    assert str(MESSAGES[code]) in _page(client, response)
    assert SESSION_KEY not in client.session and not DigitalAuthLink.objects.exists()
