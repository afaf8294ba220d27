"""Fixtures for the browser tests: Debian's Chromium through Playwright, against live_server.

This directory is a package (it has __init__.py) so that this file is imported as
`browser.conftest` and does not replace tests/conftest.py as the module `conftest`.
"""

import os
import sys
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect

# The local provider servers (tests/payments/stripe_server.py, paypay_server.py; tests/notify/
# line_server.py, sms_server.py, push_server.py) are imported by their own names, as the tests
# beside them do: a package path `payments.…` would lose to any module named `payments` on
# sys.path (bench/payments.py, once a bench test loads it).
for _servers in ("payments", "notify"):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / _servers))

# Playwright's sync API runs an event loop in this thread; Django's ORM refuses to run
# while one is running unless told it is safe (the test, not the loop, does the queries).
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = "/usr/bin/chromium"
VIEWPORT = {"width": 1280, "height": 900}
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True,
         "device_scale_factor": 2}
NARROW_PHONE = {**PHONE, "viewport": {"width": 320, "height": 640}}
expect.set_options(timeout=10_000)


@pytest.fixture(scope="session")
def playwright_instance():
    from playwright.sync_api import sync_playwright

    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is not installed: run `make browser-deps` (Debian's chromium)")
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(playwright_instance):
    browser = playwright_instance.chromium.launch(executable_path=CHROMIUM, headless=True)
    yield browser
    browser.close()


@pytest.fixture
def site(live_server, audit_log_flushable, city, settings, monkeypatch):
    """The live server's URL, serving the demo city (host 'localhost' → default municipality).

    After the test, the queue screens' event streams it opened (a ticket page, a board) end
    before the database is emptied: they poll it until STREAM_SECONDS, and one left open would
    go on querying through the live server's shared SQLite connection while later tests count
    their queries. They stop at their next wake-up."""
    from madoguchi.queueing import events

    settings.MADOGUCHI_PUBLIC_URL = live_server.url
    settings.MADOGUCHI_OUTBOX_MODE = "inline"
    settings.ALLOWED_HOSTS = ["localhost", "127.0.0.1", "testserver"]
    yield live_server.url
    monkeypatch.setattr(events, "STREAM_SECONDS", 0)
    deadline = time.monotonic() + 20
    while events.open_streams and time.monotonic() < deadline:
        time.sleep(0.05)
    assert events.open_streams == 0, f"{events.open_streams} queue stream(s) outlived their test"


@pytest.fixture
def new_context(browser, site):
    """Make browser contexts (one per person) that are closed after the test."""
    contexts = []

    def make(**options):
        options = {"viewport": VIEWPORT, "locale": "ja-JP", "timezone_id": "Asia/Tokyo",
                   "accept_downloads": True, "base_url": site, **options}
        context = browser.new_context(**options)
        context.set_default_timeout(15_000)
        # helpers.check_a11y runs axe-core elsewhere when scripts cannot run here.
        context.madoguchi_javascript = options.get("java_script_enabled", True)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def phone(new_context):
    """A resident's phone: 390×844, touch, a mobile user agent as Chromium sends on Android."""
    return new_context(**PHONE, user_agent=ANDROID_CHROME).new_page()


ANDROID_CHROME = ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
                  "Chrome/156.0.0.0 Mobile Safari/537.36")


# --- the My Number card: SoftHSM2 software cards issued by the test CA (fixture `ca`) ----------

from madoguchi.identity.card.softcard import Pins, issue_software_card  # noqa: E402

from .helpers import IssuedCard  # noqa: E402

CARD_PINS = Pins(signing="MADO2026", authentication="2468", card_face="1357")


@pytest.fixture
def issue_card(ca, tmp_path):
    """Issue software cards (keys made inside SoftHSM2, certificates from the test CA)."""
    def issue(person, name: str = "card") -> IssuedCard:
        pins = tmp_path / f"{name}-pins"
        pins.mkdir()
        pin_files = {}
        for application in ("signing", "authentication"):
            pin_files[application] = pins / application
            pin_files[application].write_text(getattr(CARD_PINS, application) + "\n")
        card = issue_software_card(ca, person, CARD_PINS, tmp_path / name)
        return IssuedCard(card, person, pin_files)

    return issue
