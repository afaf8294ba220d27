"""The system administrator's pages (/system/): the cities, a new city with the same validation
as `madoguchi city`, a city's settings, hosts, administrators and payment providers (secrets
write-only), each provider's check, an audit event for every change, nothing of residents."""

import json

import pytest
from django.urls import reverse

from madoguchi.core.models import AuditEvent, CityAdministrator, CityHost, Municipality
from madoguchi.payments.models import ProviderSetting

pytestmark = pytest.mark.django_db

NEW_CITY = {"code": "462012", "name": "鹿児島市", "name_kana": "かごしまし", "prefecture": "鹿児島県",
            "slug": "kagoshima", "hostname": "kagoshima.localhost",
            "other_hosts": "www.kagoshima.localhost", "public_url": "http://kagoshima.localhost:8000",
            "contact_phone": "099-224-1111", "opening_hours": "平日 8:30〜17:15", "identity_config": "{}"}


@pytest.fixture
def root(django_user_model):
    return django_user_model.objects.create_superuser("root", password="x-pass-2026")


@pytest.fixture
def system(client, city, root):
    client.force_login(root)
    return client


@pytest.fixture
def kagoshima(system):
    response = system.post(reverse("administration:system_city_add"), NEW_CITY)
    assert response.status_code == 302, response.content.decode()[:3000]
    return Municipality.objects.get(slug="kagoshima")


def test_the_list_shows_every_city_with_its_hosts_and_test_codes(system, other_city):
    page = system.get(reverse("administration:system_home")).content.decode()
    assert "デモ市" in page and "サンプル町" in page and "other.example.jp" in page
    assert 'data-slug="demo"' in page and "試験用" in page


def test_a_new_city_serves_its_hosts_and_is_audited(client, system, kagoshima, root):
    assert set(CityHost.objects.filter(municipality=kagoshima).values_list("hostname", flat=True)) == {
        "www.kagoshima.localhost"}
    event = AuditEvent.objects.get(action="city_created")
    assert event.municipality == kagoshima and event.actor_ref == f"staff:{root.pk}"
    page = client.get("/", HTTP_HOST="www.kagoshima.localhost", follow=True).content.decode()
    assert "鹿児島市" in page


@pytest.mark.parametrize("change, field", [
    ({"code": "462013"}, "code"), ({"code": "999999"}, "code"),  # wrong check digit; taken
    ({"hostname": "testserver"}, "hostname"),  # not a domain name
    ({"hostname": "https://x.localhost/"}, "hostname"),
    ({"other_hosts": "kagoshima.localhost"}, "other_hosts"),  # the main one again
    ({"slug": "Kagoshima City"}, "slug"), ({"slug": "demo"}, "slug"),
    ({"prefecture": "沖縄県"}, "prefecture"),
    ({"public_url": "ftp://kagoshima.localhost"}, "public_url"),
    ({"identity_config": '{"issuer": "https://x"}'}, "identity_config"),
    ({"identity_config": "[1"}, "identity_config"),
    ({"contact_phone": "0120"}, "contact_phone"),
])
def test_a_refused_city_says_why_next_to_the_field(system, change, field):
    response = system.post(reverse("administration:system_city_add"), {**NEW_CITY, **change})
    assert response.status_code == 400
    page = response.content.decode()
    assert f'id="id_{field}-error"' in page and 'id="error-summary"' in page
    assert not Municipality.objects.filter(name="鹿児島市").exists()


def test_a_host_of_another_city_is_refused(system, other_city):
    response = system.post(reverse("administration:system_city_add"), {**NEW_CITY, "hostname": "other.example.jp"})
    assert response.status_code == 400 and "サンプル町" in response.content.decode()


def test_editing_saves_through_the_validators_and_is_audited(system, kagoshima):
    url = reverse("administration:system_city", args=[kagoshima.pk])
    page = system.get(url)
    assert page.status_code == 200 and 'data-check="digital_auth"' in page.content.decode()
    assert 'data-check="keys" data-ok="true"' in page.content.decode()  # its first key unwraps
    data = {**NEW_CITY, "other_hosts": "www.kagoshima.localhost\nkago.localhost", "channels": ["online", "queue"],
            "sender_email": "info@kagoshima.example.jp"}
    assert system.post(url, data).status_code == 302
    kagoshima.refresh_from_db()
    assert kagoshima.channels == ["online", "queue"] and kagoshima.sender_email == "info@kagoshima.example.jp"
    assert CityHost.objects.filter(municipality=kagoshima, hostname="kago.localhost").exists()
    event = AuditEvent.objects.get(action="city_updated")
    assert event.detail["hosts_added"] == ["kago.localhost"] and "sender_email" in event.detail["fields"]
    assert "info@" not in json.dumps(event.detail)
    refused = system.post(url, {**data, "public_url": "http://elsewhere.localhost"})
    assert refused.status_code == 400 and 'id="id_public_url-error"' in refused.content.decode()
    assert AuditEvent.objects.filter(action="city_updated").count() == 1


def test_appointing_and_dismissing_a_city_administrator(system, kagoshima, django_user_model):
    clerk = django_user_model.objects.create_user("kago-admin", password="x-pass-2026")
    url = reverse("administration:system_admin_appoint", args=[kagoshima.pk])
    system.post(url, {"username": "kago-admin"})
    assert CityAdministrator.objects.filter(user=clerk, municipality=kagoshima).exists()
    response = system.post(url, {"username": "nobody"}, follow=True)
    assert "有効な職員アカウントはありません" in response.content.decode()
    system.post(reverse("administration:system_admin_dismiss", args=[kagoshima.pk, clerk.pk]))
    assert not CityAdministrator.objects.filter(user=clerk).exists()
    assert [e.action for e in AuditEvent.objects.filter(action__startswith="city_admin")] == [
        "city_admin_appointed", "city_admin_dismissed"]
    assert system.post(reverse("administration:system_admin_dismiss", args=[kagoshima.pk, clerk.pk])).status_code == 404


def test_payment_secrets_are_write_only_and_checked(system, kagoshima):
    url = reverse("administration:system_provider", args=[kagoshima.pk, "stripe"])
    assert system.get(url).status_code == 200
    secret = "sk_live_" + "x" * 24
    response = system.post(url, {"enabled": "on", "methods": ["card"], "config": "{}",
                                 "new_secrets": json.dumps({"secret_key": secret})})
    assert response.status_code == 302
    setting = ProviderSetting.objects.get(municipality=kagoshima, provider="stripe")
    assert setting.enabled and setting.secret_values == {"secret_key": secret}
    page = system.get(url).content.decode()
    assert secret not in page and "secret_key" in page and "whsec_" in page  # the missing webhook secret
    city_page = system.get(reverse("administration:system_city", args=[kagoshima.pk])).content.decode()
    assert 'data-check="payments:stripe" data-ok="false"' in city_page
    system.post(url, {"enabled": "on", "methods": ["card"], "config": "{}", "new_secrets": ""})
    assert ProviderSetting.objects.get(pk=setting.pk).secret_values == {"secret_key": secret}  # kept
    events = AuditEvent.objects.filter(action="payment_provider_updated")
    assert events.count() == 1 and events.get().detail["secrets_set"] == ["secret_key"]
    assert secret not in json.dumps(events.get().detail)
    bad = system.post(url, {"config": "[]", "new_secrets": '{"a": 1}', "methods": ["cash"]})
    assert bad.status_code == 400
    assert system.get(reverse("administration:system_provider", args=[kagoshima.pk, "nope"])).status_code == 404


def test_the_pages_show_no_residents_data(system, kagoshima):
    for url in (reverse("administration:system_home"),
                reverse("administration:system_city", args=[kagoshima.pk])):
        page = system.get(url).content.decode()
        for resident_area in ("/staff/cases", "/staff/register", "casework", "/mypage"):
            assert resident_area not in page


def test_pages_speak_english(system, kagoshima):
    from django.conf import settings

    system.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = system.get(reverse("administration:system_home")).content.decode()
    assert 'lang="en"' in page


def test_the_django_admin_uses_the_same_validation_and_auditing(system, other_city):
    add = reverse("admin:core_municipality_add")
    assert system.get(add).status_code == 200
    refused = system.post(add, {**NEW_CITY, "code": "462013"})
    assert refused.status_code == 200 and "462012" in refused.content.decode()  # the right check digit
    assert system.post(add, NEW_CITY).status_code == 302
    made = Municipality.objects.get(slug="kagoshima")
    assert CityHost.objects.filter(municipality=made, hostname="www.kagoshima.localhost").exists()
    assert AuditEvent.objects.filter(municipality=made, action="city_created").exists()
    change = reverse("admin:core_municipality_change", args=[other_city.pk])
    taken = system.post(change, {"code": "888888", "name": "サンプル町", "slug": "other",
                                 "hostname": "kagoshima.localhost", "identity_config": "{}"})
    assert taken.status_code == 200 and "鹿児島市" in taken.content.decode()
    assert system.post(reverse("admin:core_municipality_delete", args=[made.pk])).status_code == 403


def test_a_logo_is_checked_reencoded_and_audited(system, kagoshima):
    import io

    from PIL import Image

    url = reverse("administration:system_logo", args=[kagoshima.pk])
    image = io.BytesIO()
    Image.new("RGB", (1600, 400), (25, 122, 75)).save(image, format="JPEG")
    image.name = "logo.jpg"
    image.seek(0)
    response = system.post(url, {"logo": image}, follow=True)
    kagoshima.refresh_from_db()
    assert kagoshima.logo, [str(m) for m in response.context["messages"]]
    assert bytes(kagoshima.logo).startswith(b"\x89PNG") and kagoshima.logo_type == "image/png"
    event = AuditEvent.objects.filter(action="city_updated").latest("id")
    assert event.detail["fields"] == ["logo"] and len(event.detail["logo"]) == 20
    svg = io.BytesIO(b"<svg xmlns='http://www.w3.org/2000/svg'/>")
    svg.name = "logo.svg"
    refused = system.post(url, {"logo": svg}, follow=True).content.decode()
    assert "PNG" in refused
    assert system.post(url, {}, follow=True).status_code == 200  # neither: a message, no change
    kagoshima.refresh_from_db()
    assert kagoshima.logo
    system.post(url, {"remove": "on"})
    kagoshima.refresh_from_db()
    assert not kagoshima.logo and kagoshima.logo_type == ""
