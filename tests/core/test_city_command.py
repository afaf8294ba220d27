"""`madoguchi city`: a city made from the command line serves its host at once; a wrong code,
host or address is refused with a message that says what to fix; every change is audited with
the system as its actor; nothing about people is printed."""

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.utils import timezone

from madoguchi.core import cityconfig
from madoguchi.core.models import AuditEvent, CityAdministrator, CityHost, Municipality

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = io.StringIO()
    call_command("city", *args, stdout=out)
    return out.getvalue()


def create(*extra, code="462012", slug="kagoshima", host="kagoshima.localhost"):
    return run("create", "--code", code, "--name", "鹿児島市", "--slug", slug, f"--host={host}", *extra)


@pytest.mark.parametrize("code", ["131016", "462012", "011002", "472018", "012050", "011011"])
def test_real_codes_pass_their_check_digit(code):
    assert cityconfig.validate_code(code) == code


@pytest.mark.parametrize("code", ["131017", "462010", "011003", "472019"])
def test_a_wrong_check_digit_is_refused_with_the_right_one(code):
    with pytest.raises(ValidationError) as exc:
        cityconfig.validate_code(code)
    assert code[:5] + str(cityconfig.check_digit(code[:5])) in exc.value.messages[0]


@pytest.mark.parametrize("code", ["12345", "1234567", "ab1234", "", "481234", "001234"])
def test_codes_that_are_not_six_digits_of_a_prefecture_are_refused(code):
    with pytest.raises(ValidationError):
        cityconfig.validate_code(code)


def test_test_codes_begin_with_99_and_need_no_check_digit():
    assert cityconfig.validate_code("999999") == "999999"  # the demo city
    assert cityconfig.is_test_code("999999") and not cityconfig.is_test_code("462012")
    assert cityconfig.validate_code("４６２０１２") == "462012"  # typed full-width


def test_the_prefecture_must_be_the_codes():
    assert cityconfig.validate_prefecture("鹿児島県", "462012") == "鹿児島県"
    with pytest.raises(ValidationError):
        cityconfig.validate_prefecture("沖縄県", "462012")
    with pytest.raises(ValidationError):
        cityconfig.validate_prefecture("鹿児島", "462012")


def test_the_auth_methods_are_the_identity_clients():
    from madoguchi.identity.oidc.config import AUTH_METHODS, CLIENT_ID

    assert cityconfig.AUTH_METHODS == AUTH_METHODS
    assert cityconfig.CLIENT_ID.pattern == CLIENT_ID.pattern


def test_create_makes_a_city_that_serves_its_host(client, city, django_user_model):
    django_user_model.objects.create_user("kagoshima-admin", password="x-pass-2026")
    out = create("--host", "www.kagoshima.localhost", "--kana", "かごしまし", "--prefecture", "鹿児島県",
                 "--public-url", "http://kagoshima.localhost:8000", "--sender-email", "info@kagoshima.example.jp",
                 "--admin", "kagoshima-admin")
    assert "created kagoshima" in out and "kagoshima-admin" not in out  # nothing about people
    made = Municipality.objects.get(slug="kagoshima")
    assert made.hostname == "kagoshima.localhost" and made.public_url == "http://kagoshima.localhost:8000"
    assert list(CityHost.objects.filter(municipality=made).values_list("hostname", flat=True)) == [
        "www.kagoshima.localhost"]
    assert CityAdministrator.objects.filter(municipality=made, user__username="kagoshima-admin").exists()
    events = AuditEvent.objects.filter(municipality=made).order_by("id")
    assert [e.action for e in events] == ["keys.created", "city_created", "city_admin_appointed"]
    assert made.keys.filter(retired_at__isnull=True).count() == 1  # its first data key
    assert {e.actor_ref for e in events} == {"system"}
    assert "kagoshima-admin" not in str([e.detail for e in events])
    for host in ("kagoshima.localhost", "www.kagoshima.localhost"):
        page = client.get("/", HTTP_HOST=host, follow=True)
        assert page.status_code == 200 and "鹿児島市" in page.content.decode()
    assert "鹿児島市" not in client.get("/", HTTP_HOST="testserver", follow=True).content.decode()


def test_a_key_wrapper_that_cannot_wrap_leaves_nothing(city):
    with pytest.raises(CommandError, match="wrapper"):
        create("--key-wrapper", "nope")
    assert not Municipality.objects.filter(slug="kagoshima").exists()


def test_a_bad_code_is_refused_and_nothing_is_made(city):
    with pytest.raises(CommandError, match="462012"):
        create(code="462011")
    with pytest.raises(CommandError, match="6"):
        create(code="46201")
    assert not Municipality.objects.filter(slug="kagoshima").exists()
    assert not AuditEvent.objects.filter(action="city_created").exists()


@pytest.mark.parametrize("host", ["https://kagoshima.localhost", "kagoshima.localhost:8000",
                                  "kago shima.localhost", "-kagoshima.localhost", "kagoshima.example.jp"])
def test_a_bad_host_is_refused_with_a_clear_message(city, host):
    with pytest.raises(CommandError, match="hostname"):  # names the field, then says why
        create(host=host)
    assert not Municipality.objects.filter(slug="kagoshima").exists()


def test_a_host_not_in_allowed_hosts_is_refused(city, settings):
    settings.ALLOWED_HOSTS = ["testserver"]
    with pytest.raises(CommandError, match="ALLOWED_HOSTS"):
        create()


def test_a_duplicate_host_is_refused(city):
    create()
    with pytest.raises(CommandError, match="鹿児島市"):  # names the city that has it
        create(code="472018", slug="naha", host="KAGOSHIMA.localhost")
    with pytest.raises(CommandError, match="鹿児島市"):
        city_ = Municipality.objects.get(slug="kagoshima")
        CityHost.objects.create(municipality=city_, hostname="kago.localhost")
        create("--host", "kago.localhost", code="472018", slug="naha", host="naha.localhost")
    with pytest.raises(CommandError):  # the same code twice
        create(slug="kagoshima2", host="kagoshima2.localhost")
    assert Municipality.objects.filter(code="472018").count() == 0


def test_a_closed_citys_host_is_not_reused(city):
    create()
    Municipality.objects.filter(slug="kagoshima").update(closed_at=timezone.now())
    with pytest.raises(CommandError, match="kagoshima.localhost"):
        create(code="472018", slug="naha", host="kagoshima.localhost")


def test_public_url_must_be_on_the_citys_host_and_https_in_production(city, settings):
    with pytest.raises(CommandError, match="public_url"):
        create("--public-url", "https://elsewhere.example.jp")
    settings.DEBUG = False
    create("--public-url", "http://kagoshima.localhost:8000")  # *.localhost: development
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, ".example.jp"]
    with pytest.raises(CommandError, match="https"):
        create("--public-url", "http://naha.example.jp", code="472018", slug="naha", host="naha.example.jp")


def test_set_changes_settings_through_the_same_validation(city):
    create()
    out = run("set", "kagoshima", "--phone", "０９９-２２４-１１１１", "--hours", "平日 8:30〜17:15",
               "--channels", "online,counter", "--identity", "client_id=abc123",
               "--identity", "redirect_uri=http://kagoshima.localhost:8000/login/digital-auth/callback/")
    assert "contact_phone" in out and "identity_config" in out
    made = Municipality.objects.get(slug="kagoshima")
    assert made.contact_phone == "099-224-1111" and made.channels == ["online", "counter"]
    assert made.identity_config["client_id"] == "abc123"
    event = AuditEvent.objects.filter(municipality=made, action="city_updated").get()
    assert event.actor_ref == "system" and "099" not in str(event.detail)
    for bad, field in ((["--phone", "12"], "contact_phone"), (["--channels", "fax"], "fax"),
                       (["--identity", "issuer=https://x.example"], "issuer"),
                       (["--identity", "redirect_uri=https://evil.example/cb"], "redirect_uri"),
                       (["--sender-email", "not-an-address"], "sender_email"),
                       (["--hours", "いつでも"], "opening_hours")):
        with pytest.raises(CommandError, match=field):
            run("set", "kagoshima", *bad)
    assert AuditEvent.objects.filter(municipality=made, action="city_updated").count() == 1
    assert "nothing changed" in run("set", "kagoshima", "--phone", "099-224-1111")


def test_add_host_list_and_show(client, city):
    create()
    run("add-host", "kagoshima", "Kagoshima2.localhost")
    assert client.get("/", HTTP_HOST="kagoshima2.localhost", follow=True).content.decode().count("鹿児島市")
    with pytest.raises(CommandError):
        run("add-host", "kagoshima", "kagoshima2.localhost")
    with pytest.raises(CommandError, match="デモ市|kagoshima"):
        run("add-host", "demo", "kagoshima.localhost")
    listing = run("list")
    assert "kagoshima\t462012\t鹿児島市\tkagoshima.localhost kagoshima2.localhost" in listing
    assert "demo\t999999" in listing and "[test code]" in listing
    shown = run("show", "kagoshima")
    assert "hostname: kagoshima.localhost" in shown and "problem" not in shown
    run("remove-host", "kagoshima", "kagoshima2.localhost")
    assert not CityHost.objects.filter(hostname="kagoshima2.localhost").exists()
    assert [e.action for e in AuditEvent.objects.filter(action__startswith="city_host")] == [
        "city_host_added", "city_host_removed"]
    with pytest.raises(CommandError, match="nowhere"):
        run("show", "nowhere")


def test_the_colour_is_a_design_token_with_aa_contrast(city):
    create("--brand-color", "green-800")
    assert Municipality.objects.get(slug="kagoshima").brand_color == "green-800"
    with pytest.raises(CommandError, match="brand_color"):
        run("set", "kagoshima", "--brand-color", "pink")
    with pytest.raises(CommandError, match="4.5"):
        run("set", "kagoshima", "--brand-color", "yellow-300")
