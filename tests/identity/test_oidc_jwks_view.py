"""The relying party's public JWKS as Madoguchi serves it: the two keys to register, no private
part, and nothing while デジタル認証アプリ is off."""

import json

import pytest
from django.http import Http404
from django.test import RequestFactory
from django.urls import reverse

from madoguchi.core.models import Municipality
from madoguchi.identity import views_oidc
from madoguchi.identity.oidc.testing_provider import demo_client_keys


def _request(path: str):
    """A request as the middleware leaves it: for a city (here one using the deployment's client)."""
    request = RequestFactory().get(path)
    request.municipality = Municipality(slug="demo", identity_config={})
    return request


def test_jwks_lists_the_signing_and_the_encryption_key(settings, tmp_path):
    for name, value in demo_client_keys(tmp_path).items():
        setattr(settings, f"MADOGUCHI_DIGITAL_AUTH_{name}", value)
    settings.MADOGUCHI_DIGITAL_AUTH_ISSUER = "https://sb-auth-and-sign.go.jp/api/realms/main"
    settings.MADOGUCHI_DIGITAL_AUTH_CLIENT_ID = "RP00000001"
    settings.MADOGUCHI_DIGITAL_AUTH_REDIRECT_URI = "https://city.example.lg.jp/login/digital-auth/callback/"
    response = views_oidc.jwks(_request(reverse("identity:digital_auth_jwks")))
    keys = json.loads(response.content)["keys"]
    assert [(key["use"], key["kid"]) for key in keys] == [
        ("sig", "madoguchi-demo-sig"), ("enc", "madoguchi-demo-enc")]
    assert not any("d" in key for key in keys)


def test_jwks_is_absent_when_digital_auth_is_off(settings):
    settings.MADOGUCHI_DIGITAL_AUTH_ISSUER = ""
    with pytest.raises(Http404):
        views_oidc.jwks(_request("/login/digital-auth/jwks.json"))


@pytest.mark.django_db
def test_jwks_is_served_at_its_route(client, city, settings, tmp_path):
    for name, value in demo_client_keys(tmp_path).items():
        setattr(settings, f"MADOGUCHI_DIGITAL_AUTH_{name}", value)
    settings.MADOGUCHI_DIGITAL_AUTH_ISSUER = "https://sb-auth-and-sign.go.jp/api/realms/main"
    settings.MADOGUCHI_DIGITAL_AUTH_CLIENT_ID = "RP00000001"
    settings.MADOGUCHI_DIGITAL_AUTH_REDIRECT_URI = "https://city.example.lg.jp/login/digital-auth/callback/"
    response = client.get("/login/digital-auth/jwks.json")
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    assert {key["use"] for key in response.json()["keys"]} == {"sig", "enc"}
