"""The system administrator's pages, walked: every /system/ route, by every kind of caller —
anonymous, a resident, a clerk, a city administrator (of this city and of another) and a
superuser — on two cities' hosts. Only the superuser gets in; the others are sent to the staff
login (not logged in as staff) or refused (403), and nothing changes.

ROUTES must name every route of administration/system_urls.py: adding one without walking it
fails test_every_system_route_is_in_the_walk.
"""

import pytest
from django.urls import reverse

from madoguchi.administration import system_urls
from madoguchi.core.models import AuditEvent, CityAdministrator, Municipality
from madoguchi.payments.models import ProviderSetting

from conftest import login_resident

pytestmark = pytest.mark.django_db

HOSTS = ["testserver", "other.example.jp"]

# URL name → (method, url, data) requests; `w` is the world below.
ROUTES = {
    "system_home": lambda w: [("get", reverse("administration:system_home"), None)],
    "system_city_add": lambda w: [
        ("get", reverse("administration:system_city_add"), None),
        ("post", reverse("administration:system_city_add"),
         {"code": "472018", "name": "那覇市", "slug": "naha", "hostname": "naha.localhost",
          "identity_config": "{}"})],
    "system_city": lambda w: [
        ("get", reverse("administration:system_city", args=[w["other"].pk]), None),
        ("post", reverse("administration:system_city", args=[w["other"].pk]),
         {"code": "999988", "name": "変更町", "slug": "other", "hostname": "other.example.jp",
          "identity_config": "{}"})],
    "system_logo": lambda w: [
        ("post", reverse("administration:system_logo", args=[w["other"].pk]), {"remove": "on"})],
    "system_admin_appoint": lambda w: [
        ("post", reverse("administration:system_admin_appoint", args=[w["other"].pk]), {"username": "kankyo-tanto"})],
    "system_admin_dismiss": lambda w: [
        ("post", reverse("administration:system_admin_dismiss", args=[w["other"].pk, w["other_admin"].pk]), None)],
    "system_provider": lambda w: [
        ("get", reverse("administration:system_provider", args=[w["other"].pk, "stripe"]), None),
        ("post", reverse("administration:system_provider", args=[w["other"].pk, "stripe"]),
         {"enabled": "on", "config": "{}", "new_secrets": '{"secret_key": "sk_live_x"}'})],
}

CALLERS = ["anonymous", "resident", "clerk", "city-admin", "other-city-admin", "superuser"]


def test_every_system_route_is_in_the_walk():
    assert {p.name for p in system_urls.urlpatterns} == set(ROUTES)


@pytest.fixture
def world(settings, city, other_city, staff, resident, django_user_model):
    settings.ALLOWED_HOSTS = [*HOSTS, ".localhost"]
    users = {
        "clerk": staff["kankyo-tanto"],
        "city-admin": django_user_model.objects.create_user("demo-city-admin", password="x-pass-2026"),
        "other-city-admin": django_user_model.objects.create_user("other-city-admin", password="x-pass-2026"),
        "superuser": django_user_model.objects.create_superuser("root", password="x-pass-2026"),
    }
    CityAdministrator.objects.create(user=users["city-admin"], municipality=city)
    CityAdministrator.objects.create(user=users["other-city-admin"], municipality=other_city)
    return {"city": city, "other": other_city, "users": users, "resident": resident,
            "other_admin": users["other-city-admin"]}


def _snapshot():
    return (AuditEvent.objects.count(), Municipality.objects.count(),
            list(Municipality.objects.order_by("pk").values_list("name", "code")),
            CityAdministrator.objects.count(), ProviderSetting.objects.count())


def _as(client, who: str, world):
    client.logout()
    if who == "resident":
        login_resident(client, world["resident"])
    elif who != "anonymous":
        client.force_login(world["users"][who])
    return client


@pytest.mark.parametrize("host", HOSTS)
@pytest.mark.parametrize("who", [c for c in CALLERS if c != "superuser"])
def test_nobody_but_the_system_administrator_gets_in(client, world, who, host):
    before = _snapshot()
    for name, requests in ROUTES.items():
        for method, url, data in requests(world):
            _as(client, who, world)
            response = getattr(client, method)(url, data or {}, HTTP_HOST=host)
            if who in ("anonymous", "resident"):  # no staff login: to the staff login page
                assert response.status_code == 302, (name, method)
                assert response["Location"].startswith(reverse("casework:login")), (name, method)
            else:
                assert response.status_code == 403, (name, method, who)
    assert _snapshot() == before


@pytest.mark.parametrize("host", HOSTS)
def test_the_system_administrator_gets_every_route_on_any_host(client, world, host):
    for name, requests in ROUTES.items():
        for method, url, data in requests(world):
            _as(client, "superuser", world)
            response = getattr(client, method)(url, data or {}, HTTP_HOST=host)
            assert response.status_code in (200, 302), (name, method, response.status_code)
            if method == "post":
                assert response.status_code == 302, (name, response.content.decode()[:2000])
        if name == "system_city_add" and host == HOSTS[0]:
            assert Municipality.objects.filter(slug="naha").exists()
    assert AuditEvent.objects.filter(actor_ref=f"staff:{world['users']['superuser'].pk}").exists()


def test_a_superuser_is_no_city_administrator_nor_clerk(client, world):
    """Above the cities, not inside one: /staff/city/ and the queue refuse a bare superuser."""
    _as(client, "superuser", world)
    assert client.get(reverse("administration:city_home")).status_code == 403
    assert client.get(reverse("casework:queue")).status_code == 403
