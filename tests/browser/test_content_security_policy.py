"""The Content-Security-Policy in a real browser (Chromium): the pages residents and staff use
report no violation, and the signing form still goes on to the デジタル認証アプリ — Chrome applies
form-action to the redirects that follow a form, so the policy must name the app's origin."""

from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse
from playwright.sync_api import expect

from madoguchi.applications.models import Draft, Submission
from madoguchi.catalog.loader import catalog
from madoguchi.identity.oidc import client as oidc_client
from madoguchi.identity.oidc.testing_provider import LocalProvider, demo_client_keys

from .helpers import log_in_resident, log_in_staff
from conftest import login_resident
from support import fill_form

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Runs before any page script, so it sees every violation (init scripts are not subject to CSP).
RECORD = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__csp.push(e.violatedDirective + " " + e.blockedURI);
});
"""
PUBLIC = ["/", "/procedures/dog-registration-change/", "/navi/", "/queue/", "/queue/display/",
          "/queue/kiosk/", "/queue/reserve/", "/login/", "/counter/tablet/"]
STAFF = ["/staff/", "/staff/counter/", "/staff/register/", "/queue/staff/"]


def _watched(new_context):
    context = new_context()
    context.add_init_script(RECORD)
    page = context.new_page()
    blocked = []
    page.on("console", lambda m: blocked.append(m.text) if "Content Security Policy" in m.text else None)
    return page, blocked


def _visit(page, url: str) -> list[str]:
    page.goto(url)
    page.wait_for_load_state("networkidle")
    return [f"{url}: {v}" for v in page.evaluate("window.__csp || []")]


def test_no_page_reports_a_violation(new_context):
    page, blocked = _watched(new_context)
    found = [v for url in PUBLIC for v in _visit(page, url)]
    found += _visit(page, "/api/docs")
    expect(page.locator("#swagger-ui .swagger-ui")).to_be_attached()  # the API docs' script ran

    page.goto("/procedures/dog-registration-change/")
    page.get_by_role("button", name="申請をはじめる").click()
    log_in_resident(page, "csp.check@example.jp")
    page.get_by_role("button", name="申請をはじめる").click()
    page.wait_for_load_state("networkidle")
    found += [f"step: {v}" for v in page.evaluate("window.__csp || []")]
    found += _visit(page, "/mypage/")

    staff, staff_blocked = _watched(new_context)
    log_in_staff(staff, "shimin-tanto")
    found += [v for url in STAFF for v in _visit(staff, url)]

    assert found == [] and blocked == [] and staff_blocked == []


def test_the_signing_form_goes_on_to_the_digital_auth_app(new_context, site, settings, card, resident,
                                                          tmp_path):
    code = "residence-certificate-copy"
    oidc_client.clear_caches()
    rp_keys = demo_client_keys(tmp_path)  # the signing result is a JWE to the encryption key
    with LocalProvider(redirect_uris=[f"{site}/login/digital-auth/callback/"], client_secret="s",
                       client_encryption_key=Path(rp_keys["ENCRYPTION_KEY_FILE"]).read_text(),
                       signing_key=card.signing_key, signing_certificate=card.signing_cert) as local:
        settings.MADOGUCHI_DIGITAL_AUTH_ISSUER = local.issuer
        settings.MADOGUCHI_DIGITAL_AUTH_CLIENT_ID = local.client_id
        settings.MADOGUCHI_DIGITAL_AUTH_REDIRECT_URI = f"{site}/login/digital-auth/callback/"
        settings.MADOGUCHI_DIGITAL_AUTH_CLIENT_AUTH_METHOD = "client_secret_basic"
        settings.MADOGUCHI_DIGITAL_AUTH_CLIENT_SECRET = "s"
        settings.MADOGUCHI_DIGITAL_AUTH_SIGN_ENDPOINT = local.sign_endpoint
        settings.MADOGUCHI_DIGITAL_AUTH_ENCRYPTION_KEY_FILE = rp_keys["ENCRYPTION_KEY_FILE"]

        # The draft is made through the test client (same database), then the browser takes over
        # the resident's session.
        client = login_resident(Client(), resident)
        client.post(reverse("applications:start", args=[code]))
        draft = Draft.objects.latest("id")
        fill_form(client, lambda i: reverse("applications:step", args=[draft.public_id, i]),
                  catalog()[code].current_form)
        client.post(reverse("applications:confirm", args=[draft.public_id]))
        page, blocked = _watched(new_context)
        page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "url": site,
                                   "value": client.cookies[settings.SESSION_COOKIE_NAME].value}])

        page.goto(reverse("applications:sign", args=[draft.public_id]))
        page.get_by_role("button", name="デジタル認証アプリで署名する").click()
        # The local app approves at once and sends the browser back: the whole chain ran.
        expect(page.get_by_text("受け付けました")).to_be_visible()
        assert local.authorize_params, "the browser reached the app's authorization endpoint"
        assert Submission.objects.filter(draft=draft).exists()
        assert blocked == []
    oidc_client.clear_caches()
