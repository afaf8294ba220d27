"""The prefecture portal: on a shared host, choose your city by name, reading or postal code,
then go to the city's own site. The portal's host serves no city's page."""

import re

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from madoguchi.catalog.loader import catalog_for
from madoguchi.core import branding, city_directory, cityconfig
from madoguchi.core.japanese.postal import Place, places_of
from madoguchi.core.models import CityHost, Municipality, StaffMembership
from madoguchi.core.roles import is_staff_of

PORTAL = "portal.localhost"


@pytest.fixture(autouse=True)
def _portal_host(settings):
    settings.MADOGUCHI_PORTAL_HOSTS = [PORTAL]
    settings.ALLOWED_HOSTS = ["testserver", "127.0.0.1", ".localhost", ".example.jp"]


@pytest.fixture
def town(city):
    call_command("load_demo", "--city", "town", stdout=open("/dev/null", "w"))  # noqa: SIM115
    town = Municipality.objects.get(slug="town")
    town.public_url = "http://town.localhost:8000"
    town.save()
    return town


@pytest.fixture
def real_cities(db):
    """Cities with real codes, so that Japan Post's postal codes name them."""
    return {
        "kagoshima": Municipality.objects.create(
            slug="kagoshima", code="462012", name="鹿児島市", name_kana="かごしまし", prefecture="鹿児島県",
            hostname="kagoshima.example.jp"),
        "kirishima": Municipality.objects.create(
            slug="kirishima", code="462187", name="霧島市", name_kana="キリシマシ", prefecture="鹿児島県",
            hostname="kirishima.example.jp"),
        "sapporo": Municipality.objects.create(
            slug="sapporo", code="011002", name="札幌市", name_kana="さっぽろし", prefecture="北海道",
            hostname="sapporo.example.jp"),
    }


def portal():
    return Client(HTTP_HOST=PORTAL)


def found_slugs(response) -> list[str]:
    return re.findall(r'data-found="([a-z0-9-]+)"', response.content.decode())


def listed_slugs(response) -> list[str]:
    return re.findall(r'data-listed="([a-z0-9-]+)"', response.content.decode())


# --- the list ---------------------------------------------------------------------------------


def test_the_portal_lists_open_cities_that_have_a_host(town, real_cities):
    closed = Municipality.objects.create(slug="gone", code="999971", name="閉町", hostname="gone.example.jp",
                                         closed_at=timezone.now())
    other_host_only = Municipality.objects.create(slug="side", code="999963", name="脇村")
    CityHost.objects.create(municipality=other_host_only, hostname="side.example.jp")
    response = portal().get("/")
    assert response.status_code == 200
    listed = listed_slugs(response)
    # デモ市 has no host of its own here (it is the default city), the closed city is left out
    assert "demo" not in listed and closed.slug not in listed
    assert {"town", "side", "kagoshima", "kirishima", "sapporo"} == set(listed)
    assert listed.index("kagoshima") < listed.index("kirishima") < listed.index("sapporo")  # 五十音順
    page = response.content.decode()
    assert 'href="http://town.localhost:8000/"' in page
    assert 'href="https://side.example.jp/"' in page  # no main host: its other host, over https
    assert 'href="https://kagoshima.example.jp/"' in page


def test_a_closed_city_is_not_found_either(real_cities):
    Municipality.objects.filter(slug="kagoshima").update(closed_at=timezone.now())
    response = portal().get("/", {"q": "892-0816"})
    assert found_slugs(response) == [] and "kagoshima" not in listed_slugs(response)
    assert 'id="found-none"' in response.content.decode()


def test_a_portal_without_cities_says_so(db):
    page = portal().get("/").content.decode()
    assert 'id="no-cities"' in page


# --- by name and reading ----------------------------------------------------------------------


@pytest.mark.parametrize("query", ["デモ町", "デモ", " デモ町 ", "でもちょう", "デモチョウ", "ﾃﾞﾓﾁｮｳ", "でも ちょう"])
def test_choose_the_town_by_name_or_reading(town, query):
    response = portal().get("/", {"q": query})
    assert response.status_code == 200
    assert found_slugs(response) == ["town"]
    assert 'href="http://town.localhost:8000/"' in response.content.decode()


def test_kana_matches_in_either_script(real_cities):
    # 霧島市's reading is stored in katakana, 鹿児島市's in hiragana: both are found either way
    assert found_slugs(portal().get("/", {"q": "きりしま"})) == ["kirishima"]
    assert found_slugs(portal().get("/", {"q": "カゴシマ"})) == ["kagoshima"]


def test_an_unknown_name_is_a_plain_message(town):
    response = portal().get("/", {"q": "存在しない村"})
    page = response.content.decode()
    assert response.status_code == 200 and found_slugs(response) == []
    assert 'id="found-none"' in page and "存在しない村" in page


# --- by postal code ---------------------------------------------------------------------------


@pytest.mark.parametrize("query", ["892-0816", "8920816", "〒892-0816", "〒８９２－０８１６", "８９２０８１６",
                                   "892ー0816", " 892 0816 "])
def test_choose_a_city_by_postal_code(real_cities, query):
    response = portal().get("/", {"q": query})
    assert found_slugs(response) == ["kagoshima"]
    page = response.content.decode()
    assert 'href="https://kagoshima.example.jp/"' in page
    assert "892-0816" in page and "鹿児島県鹿児島市" in page


def test_a_business_postal_code_names_its_city(real_cities):
    assert found_slugs(portal().get("/", {"q": "899-5192"})) == ["kirishima"]  # 霧島市役所's own code


def test_a_ward_of_a_designated_city_finds_the_city(real_cities):
    # Japan Post gives 札幌市中央区 (01101); the city that runs the service is 札幌市 (011002)
    assert found_slugs(portal().get("/", {"q": "060-0000"})) == ["sapporo"]


def test_an_unknown_postal_code_is_a_clear_message(real_cities):
    response = portal().get("/", {"q": "999-0000"})
    page = response.content.decode()
    assert response.status_code == 200 and found_slugs(response) == []
    assert 'id="found-none"' in page and "999-0000" in page
    assert 'aria-invalid="true"' not in page  # a well-formed code: not an input error


def test_a_code_of_a_city_not_on_this_portal_names_the_place(real_cities):
    response = portal().get("/", {"q": "100-0001"})
    page = response.content.decode()
    assert found_slugs(response) == []
    assert 'id="found-none"' in page and 'id="found-places"' in page and "東京都千代田区" in page


@pytest.mark.parametrize("query", ["892", "892-081", "12345678", "８９２０８１"])
def test_a_malformed_postal_code_is_an_error_at_the_field(real_cities, query):
    response = portal().get("/", {"q": query})
    page = response.content.decode()
    assert response.status_code == 200
    assert 'id="q-error"' in page and 'aria-invalid="true"' in page
    assert 'aria-describedby="q-help q-error"' in page


def test_whatever_a_client_sends_is_answered_without_an_error(real_cities):
    for query in ["x" * 5000, "\u3000", "<script>", "〒", "-", "%", "0" * 7]:
        response = portal().get("/", {"q": query})
        assert response.status_code == 200, query
    assert "<script>" not in portal().get("/", {"q": "<script>"}).content.decode().split("</header>")[1]


def test_postal_places_are_read_from_japan_posts_data():
    assert places_of("〒８９２－０８１６") == [Place("46201", "鹿児島県", "鹿児島市")]
    assert {p.jis for p in places_of("004-0000")} == {"01108", "01110"}  # one code, two wards
    assert places_of("999-0000") == []


def test_covers_matches_a_ward_only_of_its_own_city():
    sapporo = Municipality(code="011002", name="札幌市")
    assert city_directory.covers(sapporo, Place("01101", "北海道", "札幌市中央区"))
    assert not city_directory.covers(sapporo, Place("01202", "北海道", "函館市"))
    # a city whose name begins another place's name is not that place
    ichikawa = Municipality(code="122033", name="市川市")
    assert not city_directory.covers(ichikawa, Place("19366", "山梨県", "西八代郡市川三郷町"))


# --- then the city's own site -----------------------------------------------------------------


def test_the_link_carries_the_language_chosen_on_the_portal(town):
    client = portal()
    client.get("/?lang=vi")
    response = client.get("/", {"q": "でもちょう"})
    page = response.content.decode()
    assert '<html lang="vi">' in page
    assert 'href="http://town.localhost:8000/?lang=vi"' in page
    # the Japanese default adds nothing
    assert 'href="http://town.localhost:8000/"' in portal().get("/", {"q": "でもちょう"}).content.decode()


def test_each_city_host_serves_its_own_catalogue(town):
    town_page = Client(HTTP_HOST="town.localhost").get("/").content.decode()
    demo_page = Client().get("/").content.decode()
    assert "デモ町" in town_page and "デモ市" in demo_page
    # the town's overrides are its own: a fee of its own, a procedure it withdrew
    assert catalog_for("town")["residence-certificate-copy"].fees.lines[0].unit_yen == 200
    assert catalog_for("demo")["residence-certificate-copy"].fees.lines[0].unit_yen == 300
    assert "home-renovation-subsidy" not in catalog_for("town")
    assert "home-renovation-subsidy" in catalog_for("demo")
    assert Client(HTTP_HOST="town.localhost").get("/procedures/home-renovation-subsidy/").status_code == 404
    assert Client().get("/procedures/home-renovation-subsidy/").status_code == 200


# --- the portal's host serves no city ---------------------------------------------------------


@pytest.mark.parametrize("path", [
    "/procedures/dog-registration/", "/mypage/", "/login/", "/navi/", "/queue/kiosk/", "/staff/",
    "/staff/login/", "/staff/city/", "/system/", "/admin/", "/api/docs", "/api/openapi.json",
    "/payments/books/", "/staff/counter/", "/counter/tablet/", "/nonexistent/",
])
def test_the_portal_host_serves_no_city_page(town, path):
    response = portal().get(path)
    assert response.status_code == 404
    page = response.content.decode()
    assert 'id="portal-home-link"' in page and 'href="/"' in page
    assert "デモ市" not in page and "デモ町" not in page


def test_posting_to_a_city_path_on_the_portal_is_not_found_either(town):
    assert portal().post("/login/email/", {"email": "a@example.jp"}).status_code == 404
    assert portal().post("/", {"q": "x"}).status_code == 405


def test_the_portal_sets_no_city(town, rf):
    response = portal().get("/")
    assert response.wsgi_request.municipality is None


@pytest.mark.parametrize("path", ["/settings/display/", "/accessibility/", "/accessibility/results/"])
def test_display_settings_and_accessibility_pages_answer_on_the_portal(town, path):
    response = portal().get(path)
    assert response.status_code == 200
    assert "デモ市" not in response.content.decode()


def test_health_checks_answer_on_the_portal_host(db):
    assert portal().get("/api/health").status_code == 200


@pytest.mark.parametrize("language", ["ja", "ja-easy", "en", "zh-hans", "ko", "vi", "pt-br"])
def test_the_portal_speaks_every_language(town, real_cities, language):
    client = portal()
    response = client.get("/", {"lang": language, "q": "892-0816"})
    assert response.status_code == 200
    assert found_slugs(response) == ["kagoshima"]
    assert client.get("/nothing/").status_code == 404


def test_load_demo_is_safe_twice_and_serves_each_city_on_its_host(db):
    for _ in range(2):
        call_command("load_demo", "--city", "all", "--port", "8123", stdout=open("/dev/null", "w"))  # noqa: SIM115
    demo, town = Municipality.objects.get(slug="demo"), Municipality.objects.get(slug="town")
    assert (demo.hostname, demo.public_url) == ("demo.localhost", "http://demo.localhost:8123")
    assert (town.hostname, town.public_url) == ("town.localhost", "http://town.localhost:8123")
    assert demo.name != town.name and demo.brand_color != town.brand_color
    assert set(town.departments.values_list("code", flat=True)) >= {"shimin", "kodomo", "kaikei"}
    assert town.departments.get(code="shimin").name != demo.departments.get(code="shimin").name
    assert town.administrators.get().user.username == "town-admin"
    assert demo.administrators.get().user.username == "city-admin"
    clerk = StaffMembership.objects.get(user__username="town-shimin-tanto").user
    assert is_staff_of(clerk, town) and not is_staff_of(clerk, demo)
    # the demo's data passes the rules a system administrator's page applies to any city
    assert cityconfig.problems_of(demo) == {} and cityconfig.problems_of(town) == {}
    for colour in (demo.brand_color, town.brand_color):
        branding.validate_brand_color(colour)
    # 127.0.0.1 still serves デモ市 (the default city)
    assert "デモ市" in Client(HTTP_HOST="127.0.0.1").get("/").content.decode()


def test_the_portal_serves_no_citys_web_app_manifest(client, city):
    """Every page links the manifest (base.html); on the portal's host it names no city."""
    page = client.get("/", HTTP_HOST=PORTAL)
    assert page.status_code == 200
    answer = client.get("/notify/push/manifest.webmanifest", HTTP_HOST=PORTAL)
    assert answer.status_code == 404
