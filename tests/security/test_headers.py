"""Headers and cookies under production settings (MADOGUCHI_DEBUG off, the test default):
a Content-Security-Policy without inline script, HSTS, Permissions-Policy, secure cookies,
a configurable proxy TLS header, and Cache-Control: no-store on every page with personal data."""

import re
import runpy
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.checks import WARNING, run_checks
from django.urls import reverse

from madoguchi.core.crypto import generate_key

from conftest import login_resident

pytestmark = pytest.mark.django_db

SETTINGS_FILE = Path(django_settings.BASE_DIR) / "settings.py"
TEMPLATE_DIRS = [Path(django_settings.BASE_DIR)]


def _csp(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


def test_pages_carry_a_policy_that_forbids_inline_script(client, city):
    policy = _csp(client.get("/"))
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert sorted(policy["img-src"]) == sorted(["'self'", "data:"])
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["form-action"] == ["'self'"]
    assert policy["base-uri"] == ["'none'"]
    assert policy["object-src"] == ["'none'"]
    assert not any("unsafe" in value for values in policy.values() for value in values)


@pytest.mark.parametrize("url", ["/staff/login/", "/navi/", "/queue/", "/api/health"])
def test_every_kind_of_page_carries_the_policy(client, city, url):
    assert "script-src 'self'" in client.get(url)["Content-Security-Policy"]


def _templates():
    for base in TEMPLATE_DIRS:
        yield from base.rglob("templates/**/*.html")


def test_no_template_holds_inline_script_style_or_event_handlers():
    """What the policy would block must not be in a page: <script> without src (JSON data
    blocks aside), on…= handlers, style= attributes, <style> blocks, javascript: URLs."""
    offenders = []
    for path in _templates():
        text = path.read_text()
        for match in re.finditer(r"<script\b[^>]*>", text):
            tag = match.group(0)
            if "src=" not in tag and 'type="application/json"' not in tag:
                offenders.append(f"{path.name}: {tag}")
        for pattern in (r"\son[a-z]+\s*=", r"\sstyle\s*=", r"<style\b", r"javascript:"):
            offenders += [f"{path.name}: {m.group(0)}" for m in re.finditer(pattern, text)]
    assert offenders == []


def test_data_uri_images_are_allowed_for_the_signature_and_qr_codes(client, city):
    assert "data:" in _csp(client.get("/"))["img-src"]


def test_hsts_on_secure_requests_and_permissions_policy_everywhere(client, city):
    secure = client.get("/", secure=True)
    assert secure["Strict-Transport-Security"].startswith("max-age=31536000")
    policy = client.get("/")["Permissions-Policy"]
    for feature in ("camera", "microphone", "geolocation", "payment", "usb"):
        assert f"{feature}=()" in policy


def test_the_proxy_tls_header_makes_a_request_secure(client, city, settings):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    response = client.get("/", HTTP_X_FORWARDED_PROTO="https")
    assert "Strict-Transport-Security" in response
    assert "Strict-Transport-Security" not in client.get("/", HTTP_X_FORWARDED_PROTO="http")


def test_session_and_csrf_cookies_are_secure(client, city, staff):
    page = client.get("/staff/login/")
    assert page.cookies["csrftoken"]["secure"] is True
    response = client.post("/staff/login/", {"username": "kankyo-both", "password": "x-pass-2026"})
    assert response.status_code == 302
    session = response.cookies[django_settings.SESSION_COOKIE_NAME]
    assert session["secure"] is True and session["httponly"] is True


# --- settings from the environment -------------------------------------------------------------

def _settings_with(monkeypatch, **env) -> dict:
    for name in ("MADOGUCHI_DEBUG", "MADOGUCHI_SECURE_COOKIES", "MADOGUCHI_HSTS_SECONDS",
                 "MADOGUCHI_PROXY_SSL_HEADER"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(SETTINGS_FILE))


def test_production_defaults(monkeypatch):
    values = _settings_with(monkeypatch)
    assert values["SESSION_COOKIE_SECURE"] is True and values["CSRF_COOKIE_SECURE"] is True
    assert values["SECURE_HSTS_SECONDS"] == 31536000
    assert values["CONTENT_SECURITY_POLICY"]["DIRECTIVES"]["script-src"] == ["'self'"]
    assert values.get("SECURE_PROXY_SSL_HEADER") is None


def test_make_run_defaults_work_over_plain_http(monkeypatch):
    values = _settings_with(monkeypatch, MADOGUCHI_DEBUG="1")
    assert values["SESSION_COOKIE_SECURE"] is False and values["CSRF_COOKIE_SECURE"] is False
    assert values["SECURE_HSTS_SECONDS"] == 0
    assert values["CONTENT_SECURITY_POLICY"] is None  # report-only while developing
    assert values["CONTENT_SECURITY_POLICY_REPORT_ONLY"]["DIRECTIVES"]["script-src"] == ["'self'"]


def test_environment_overrides(monkeypatch):
    values = _settings_with(monkeypatch, MADOGUCHI_HSTS_SECONDS="600", MADOGUCHI_SECURE_COOKIES="0",
                            MADOGUCHI_PROXY_SSL_HEADER="X-Forwarded-Proto")
    assert values["SECURE_HSTS_SECONDS"] == 600
    assert values["SESSION_COOKIE_SECURE"] is False
    assert values["SECURE_PROXY_SSL_HEADER"] == ("HTTP_X_FORWARDED_PROTO", "https")


def test_deploy_check_agrees(settings):
    settings.SECRET_KEY = "a-real-secret-" + "x" * 40
    settings.MADOGUCHI_ENCRYPTION_KEYS = [generate_key()]
    # Warnings and errors only: content shown in Japanese for want of a translation is listed (I001).
    ids = {e.id for e in run_checks(include_deployment_checks=True) if e.level >= WARNING}
    assert not {"security.W004", "security.W012", "security.W016"} & ids
    assert not {i for i in ids if i.startswith("madoguchi")}
    settings.SESSION_COOKIE_SECURE = False
    settings.CONTENT_SECURITY_POLICY = None
    ids = {e.id for e in run_checks(include_deployment_checks=True)}
    assert {"madoguchi.W001", "madoguchi.E003"} <= ids


# --- Cache-Control ------------------------------------------------------------------------------

def _no_store(response) -> bool:
    return "no-store" in response.get("Cache-Control", "")


@pytest.mark.parametrize("url", ["/", "/navi/", "/queue/", "/queue/kiosk/", "/api/procedures",
                                 "/api/health"])
def test_public_pages_for_anonymous_visitors_may_be_cached(client, city, url):
    """The kiosk too: its page carries a one-time form token, and a second press after going back
    must send the same token (one ticket), which a no-store page would replace."""
    assert not _no_store(client.get(url))


def test_static_files_may_be_cached(client, city):
    response = client.get("/static/madoguchi/site.css")
    assert response.status_code == 200 and not _no_store(response)


@pytest.mark.parametrize("url", ["/", "/mypage/", "/navi/"])
def test_every_page_of_a_logged_in_resident_is_no_store(client, resident, url):
    login_resident(client, resident)
    assert _no_store(client.get(url))


@pytest.mark.parametrize("url", ["/staff/", "/staff/register/", "/staff/counter/", "/queue/staff/", "/"])
def test_every_page_of_staff_is_no_store(client, staff, url):
    client.force_login(staff["shimin-tanto"])
    assert _no_store(client.get(url))


@pytest.mark.parametrize("url", ["/staff/login/", "/login/", "/navi/p/unknown-token/",
                                 "/queue/t/unknown-token/", "/queue/r/unknown-token/",
                                 "/api/submissions/K7M3-9PXR/status", "/api/staff/cases",
                                 "/mypage/"])
def test_personal_and_token_urls_are_no_store_even_anonymously(client, city, url):
    assert _no_store(client.get(url))


def test_a_view_that_sets_its_own_cache_policy_keeps_it(rf):
    from django.http import HttpResponse

    from madoguchi.core.security import NoStoreMiddleware

    def view(request):
        response = HttpResponse("board")
        response["Cache-Control"] = "no-cache"
        return response

    assert NoStoreMiddleware(view)(rf.get("/queue/display/events/"))["Cache-Control"] == "no-cache"
    assert "no-store" in NoStoreMiddleware(lambda r: HttpResponse("x"))(rf.get("/staff/"))["Cache-Control"]


def test_the_signing_form_may_post_on_to_the_digital_auth_app(client, city, settings):
    """Chrome applies form-action to the redirects after a form is sent: the signing form
    posts here, then goes on to the app's origin, which the policy must name."""
    settings.MADOGUCHI_DIGITAL_AUTH_ISSUER = "https://auth.example.go.jp/realms/x"
    settings.MADOGUCHI_DIGITAL_AUTH_SIGN_ENDPOINT = "https://sign.example.go.jp/v1/sign"
    policy = _csp(client.get(reverse("identity:login")))
    assert set(policy["form-action"]) == {"'self'", "https://auth.example.go.jp", "https://sign.example.go.jp"}
