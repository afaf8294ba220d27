"""Shared fixtures: the demo city, a second city, residents, staff, a real SMTP server."""

import importlib
import socket

import pytest
from django.core.cache import caches
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from hypothesis import settings as hypothesis_settings

from madoguchi.applications.models import Draft
from madoguchi.catalog.loader import catalog
from madoguchi.core.models import Department, Municipality, Role, StaffMembership
from madoguchi.identity import trust
from madoguchi.identity.jpki.ca import TestCA
from madoguchi.identity.jpki.testing import make_card, new_key, sample_person
from madoguchi.identity.models import ResidentAccount
from madoguchi.identity.session import SESSION_KEY

from support import fill_form

# Tests never assert on wall-clock time: Hypothesis's per-example deadline would fail a
# correct test on a loaded machine, so it is off for the whole suite.
hypothesis_settings.register_profile("madoguchi", deadline=None)
hypothesis_settings.load_profile("madoguchi")


@pytest.fixture(autouse=True)
def _mail_to_memory(settings, tmp_path):
    """By default mail goes to memory; tests of delivery use the `smtp` fixture instead."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.MADOGUCHI_PUBLIC_URL = "http://testserver"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # No seal certificate in most tests: notices issue unsigned (tests/core/test_seal.py turns
    # the requirement on where it tests the refusal).
    settings.MADOGUCHI_SEAL_REQUIRED = False
    # The demo city's file hand-offs (catalog/municipalities/demo/handoff.yaml) go to the test's
    # own directory, never into the working tree's var/.
    settings.MADOGUCHI_HANDOFF_DIR = str(tmp_path / "handoff")
    settings.STORAGES = {
        "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def audit_log_flushable(transactional_db):
    """For tests that commit for real (live server, threads, migrations). The flush after them
    DELETEs every row, and on SQLite a trigger refuses DELETE on the append-only audit log
    (PostgreSQL's TRUNCATE does not fire it): empty that table with the trigger dropped for a
    moment, then put the trigger back so later tests still see an append-only log.

    The rate limits' counts live in a cache table that the flush does not empty (no model owns
    it): cleared here, or a run of browser logins from 127.0.0.1 makes a later test's login 429."""
    yield
    caches["ratelimit"].clear()
    if connection.vendor != "sqlite":
        return
    migration = importlib.import_module("madoguchi.core.migrations.0002_audit_append_only")
    trigger = next(s for s in migration.SQLITE if "core_auditevent_no_delete" in s)
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER IF EXISTS core_auditevent_no_delete")
        try:
            cursor.execute("DELETE FROM core_auditevent")
        finally:
            cursor.execute(trigger)


@pytest.fixture
def at_attachment_step(resident_client):
    """A child-allowance-claim draft with every step before the attachments step filled."""
    procedure = catalog()["child-allowance-claim"]
    form = procedure.current_form
    index = next(i for i, s in enumerate(form.steps) if s.id == "attachments")
    resident_client.post(reverse("applications:start", args=[procedure.code]))
    draft = Draft.objects.latest("id")
    fill_form(resident_client, lambda i: reverse("applications:step", args=[draft.public_id, i]),
              form.model_copy(update={"steps": form.steps[:index]}))
    return draft, reverse("applications:step", args=[draft.public_id, index])


@pytest.fixture
def city(db):
    call_command("load_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    return Municipality.objects.get(slug="demo")


@pytest.fixture
def other_city(db):
    town = Municipality.objects.create(slug="other", code="888888", name="サンプル町",
                                       hostname="other.example.jp")
    Department.objects.create(municipality=town, code="kankyo", name="住民環境課")
    Department.objects.create(municipality=town, code="kodomo", name="福祉課")
    return town


@pytest.fixture
def staff(city, django_user_model):
    """name → user for the demo staff, plus an extra clerk-and-approver in kankyo."""
    users = {u.username: u for u in django_user_model.objects.all()}
    both = django_user_model.objects.create_user("kankyo-both", password="x-pass-2026")
    kankyo = Department.objects.get(municipality=city, code="kankyo")
    StaffMembership.objects.create(user=both, department=kankyo, role=Role.CLERK)
    StaffMembership.objects.create(user=both, department=kankyo, role=Role.APPROVER)
    users["kankyo-both"] = both
    return users


@pytest.fixture
def resident(city):
    return ResidentAccount.objects.create(municipality=city, email="hanako@example.jp")


def login_resident(client, account):
    from django.conf import settings

    if not client.cookies.get(settings.SESSION_COOKIE_NAME, None) or not client.cookies[
        settings.SESSION_COOKIE_NAME
    ].value:
        client.cookies.pop(settings.SESSION_COOKIE_NAME, None)
    session = client.session
    session[SESSION_KEY] = account.pk
    session.save()
    return client


@pytest.fixture
def resident_client(client, resident):
    return login_resident(client, resident)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Inbox:
    """Messages received by the local SMTP server."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        from email import message_from_bytes, policy

        self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content, policy=policy.default)))
        return "250 OK"


@pytest.fixture
def smtp(settings):
    """A real SMTP server (aiosmtpd) on a free local port; Django sends to it."""
    from aiosmtpd.controller import Controller

    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    yield inbox
    controller.stop()


# --- the My Number card: a test CA standing in for J-LIS, trusted through settings -------------


@pytest.fixture(scope="session")
def ca_dir(tmp_path_factory):
    directory = tmp_path_factory.mktemp("jpki-ca")
    ca = TestCA.create(directory)
    ca.write_crls()
    return directory


@pytest.fixture(scope="session")
def card_keys():
    return [new_key() for _ in range(4)]


@pytest.fixture
def ca(ca_dir, settings):
    settings.MADOGUCHI_JPKI_DIR = ca_dir
    settings.MADOGUCHI_JPKI_TRUST_ANCHORS = []
    settings.MADOGUCHI_JPKI_CRLS = []
    trust.reset()
    yield TestCA.load(ca_dir)
    trust.reset()


@pytest.fixture
def card(ca, card_keys):
    return make_card(ca, sample_person(), signing_key=card_keys[0], auth_key=card_keys[1])


# --- No template source reaches a person ---------------------------------------------------
# Every HTML page any test renders, through the test Client or the browser tests' live server,
# is read as a browser would show it: a `{#`, `{%` or `{{` in its text or attributes (outside
# <script>, <style>, <pre>, <code> and <textarea>) is template source that leaked (a `{# #}`
# comment written over two lines, a tag misspelt) and fails the test that rendered it.

from html.parser import HTMLParser  # noqa: E402

TEMPLATE_MARKS = ("{#", "{%", "{{")


class _ShownText(HTMLParser):
    """Collects what a person sees or a screen reader reads; Python's own HTML parser, since
    only the text outside a few elements matters here, not a document tree."""

    VERBATIM = {"script", "style", "pre", "code", "textarea"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.depth, self.found = 0, []

    def handle_starttag(self, tag, attrs):
        if tag in self.VERBATIM:
            self.depth += 1
        self.found += [f"<{tag} {name}={value!r}>" for name, value in attrs
                       if value and any(mark in value for mark in TEMPLATE_MARKS)]

    def handle_endtag(self, tag):
        if tag in self.VERBATIM and self.depth:
            self.depth -= 1

    def handle_data(self, data):
        if not self.depth and any(mark in data for mark in TEMPLATE_MARKS):
            self.found.append(data.strip()[:120])


def template_source_in(html: str) -> list[str]:
    """The pieces of template source a person would see on this page (empty when none)."""
    parser = _ShownText()
    parser.feed(html)
    parser.close()
    return parser.found


_leaked_template_source: list[str] = []


def _check_page(request, response):
    if getattr(response, "streaming", False) or "text/html" not in response.get("Content-Type", ""):
        return response
    found = template_source_in(response.content.decode(response.charset or "utf-8", "replace"))
    if found:
        _leaked_template_source.append(f"{request.method} {request.path}: {found}")
    return response


@pytest.fixture(scope="session", autouse=True)
def _pages_show_no_template_source():
    """Wraps Django's request handling (the test Client's handler and the live server's alike)."""
    from django.core.handlers.base import BaseHandler

    plain, plain_async = BaseHandler.get_response, BaseHandler.get_response_async

    def get_response(self, request):
        return _check_page(request, plain(self, request))

    async def get_response_async(self, request):
        return _check_page(request, await plain_async(self, request))

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(BaseHandler, "get_response", get_response)
        patch.setattr(BaseHandler, "get_response_async", get_response_async)
        yield


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    """The test that rendered a page with template source on it fails, naming the page."""
    _leaked_template_source.clear()
    result = yield
    if _leaked_template_source:
        pages = "\n".join(_leaked_template_source)
        _leaked_template_source.clear()
        raise AssertionError(f"template source reached a page:\n{pages}")
    return result


@pytest.fixture(autouse=True)
def _fresh_catalogue():
    """No test sees a city's catalogue cached by an earlier test whose saved overrides were rolled
    back (a rollback sends no signal). Cheap: drops the per-city layer, keeps the parsed files."""
    from madoguchi.catalog import loader

    loader.forget()
    yield
    loader.forget()
