"""Each city is its own relying party of デジタル認証アプリ: its `identity_config` over the
deployment's MADOGUCHI_DIGITAL_AUTH_* settings, picked by the host the resident is on."""

from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse

from madoguchi.core.models import CityHost, Municipality
from madoguchi.identity import digital_auth
from madoguchi.identity.oidc import client as oidc_client
from madoguchi.identity.oidc.config import CITY_KEYS, config_for_city
from madoguchi.identity.oidc.testing_provider import LocalProvider, follow_authorization

pytestmark = pytest.mark.django_db

TOWN_CALLBACK = "http://town.localhost/login/digital-auth/callback/"


@pytest.fixture
def town():
    town = Municipality.objects.create(slug="town", code="999989", name="デモ町", hostname="town.localhost")
    CityHost.objects.create(municipality=town, hostname="www.town.localhost")
    return town


@pytest.fixture
def deployment(settings):
    """The deployment's own client, as a one-city site has it."""
    settings.MADOGUCHI_DIGITAL_AUTH_ISSUER = "https://auth.example.jp"
    settings.MADOGUCHI_DIGITAL_AUTH_CLIENT_ID = "RP00000001"
    settings.MADOGUCHI_DIGITAL_AUTH_REDIRECT_URI = "http://testserver/login/digital-auth/callback/"
    settings.MADOGUCHI_DIGITAL_AUTH_CLIENT_AUTH_METHOD = "client_secret_basic"
    settings.MADOGUCHI_DIGITAL_AUTH_CLIENT_SECRET = "deployment-secret"
    return settings


def test_the_city_keys_are_those_the_validator_allows():
    from madoguchi.core.cityconfig import IDENTITY_KEYS

    assert set(IDENTITY_KEYS) == set(CITY_KEYS) | {"enabled"}


def test_a_city_without_its_own_settings_uses_the_deployments_client(deployment, city):
    found = config_for_city(city)
    assert (found.client_id, found.client_secret) == ("RP00000001", "deployment-secret")


def test_a_city_may_change_one_value_of_a_shared_client(deployment, town):
    town.identity_config = {"redirect_uri": TOWN_CALLBACK}
    found = config_for_city(town)
    assert (found.client_id, found.redirect_uri, found.client_secret) == (
        "RP00000001", TOWN_CALLBACK, "deployment-secret")


def test_a_city_with_its_own_client_takes_nothing_of_the_deployments_credentials(deployment, town, tmp_path):
    secret = tmp_path / "town.secret"
    secret.write_text("town-secret\n")
    town.identity_config = {"client_id": "RPtown0001", "redirect_uri": TOWN_CALLBACK,
                            "client_auth_method": "client_secret_basic", "client_secret_file": str(secret)}
    found = config_for_city(town)
    assert (found.client_id, found.client_secret, found.issuer) == (
        "RPtown0001", "town-secret", "https://auth.example.jp")
    town.identity_config = {"client_id": "RPtown0001"}  # no redirect URI of its own: unusable
    with pytest.raises(ValueError):
        config_for_city(town)
    assert digital_auth.config(town) is None
    state, problems = digital_auth.check_config(town)
    assert state == "off" and problems


def test_a_city_can_turn_it_off(deployment, client, city, town):
    town.identity_config = {"enabled": False}
    town.save()
    assert digital_auth.config(town) is None
    assert client.get(reverse("identity:digital_auth_login"), HTTP_HOST="town.localhost").status_code == 404
    assert client.get(reverse("identity:digital_auth_login")).status_code == 302  # デモ市 still has it


def test_check_config_names_a_redirect_uri_on_another_citys_host(deployment, city, town):
    state, problems = digital_auth.check_config(town)
    assert state == "login" and any("testserver" in p for p in problems)
    town.identity_config = {"redirect_uri": TOWN_CALLBACK}
    assert digital_auth.check_config(town) == ("login", [])
    town.identity_config = {"redirect_uri": "http://town.localhost/elsewhere/"}
    assert len(digital_auth.check_config(town)[1]) == 1
    town.identity_config = {"enabled": False}
    assert digital_auth.check_config(town) == ("off", [])


def test_the_login_uses_the_client_of_the_host_it_is_on(deployment, client, city, town, tmp_path):
    """The whole login on デモ町's host, with デモ町's own client at the provider; デモ市's host
    still sends the deployment's client."""
    oidc_client.clear_caches()
    secret = tmp_path / "town.secret"
    secret.write_text("town-secret")
    with LocalProvider(client_id="RPtown0001", redirect_uris=[TOWN_CALLBACK], client_secret="town-secret") as local:
        deployment.MADOGUCHI_DIGITAL_AUTH_ISSUER = local.issuer
        town.identity_config = {"client_id": "RPtown0001", "redirect_uri": TOWN_CALLBACK,
                                "client_auth_method": "client_secret_basic", "client_secret_file": str(secret)}
        town.save()
        begun = client.get(reverse("identity:digital_auth_login"), HTTP_HOST="town.localhost")
        query = parse_qs(urlsplit(begun["Location"]).query)
        assert query["client_id"] == ["RPtown0001"] and query["redirect_uri"] == [TOWN_CALLBACK]
        params = follow_authorization(begun["Location"])
        done = client.get(reverse("identity:digital_auth_callback"), params, HTTP_HOST="town.localhost")
        # verified at the provider with デモ町's secret: the first login goes on to the e-mail link
        assert done.status_code == 302 and urlsplit(done["Location"]).path == reverse("identity:login")
        assert client.session["digital_auth_pending_link"]["issuer"] == local.issuer
        other = client.get(reverse("identity:digital_auth_login"))
        assert parse_qs(urlsplit(other["Location"]).query)["client_id"] == ["RP00000001"]
    oidc_client.clear_caches()
