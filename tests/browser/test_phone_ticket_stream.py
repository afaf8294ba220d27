"""The phone status page under the ASGI server (uvicorn), as a visitor's phone sees it: it follows
its ticket's own stream and shows the call when the clerk calls; when the stream cannot be
opened it polls status.json and still shows it."""

import importlib.util
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from playwright.sync_api import expect

from madoguchi.core.actors import Actor
from madoguchi.queueing import events, services
from madoguchi.queueing.models import VisitPurpose, Window

from .helpers import check_a11y

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PHONE = {"width": 390, "height": 844}

_spec = importlib.util.spec_from_file_location(
    "queue_asgi_server", Path(__file__).resolve().parents[1] / "queueing" / "asgi_server.py")
asgi_server = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(asgi_server)


@pytest.fixture
def asgi_site(site, monkeypatch):
    """Madoguchi under uvicorn (in a thread of the test, on the test database)."""
    monkeypatch.setattr(events, "STREAM_SECONDS", 30)
    with asgi_server.in_thread() as (port, _):
        yield f"http://localhost:{port}"
        events.STREAM_SECONDS = 0  # open streams end at their next wake-up


@pytest.fixture
def line(city, site):
    call_command("load_queue_demo", "--history-weeks", "0", stdout=open("/dev/null", "w"))  # noqa: SIM115
    window = Window.objects.filter(group__code="jumin").order_by("number").first()
    Window.objects.filter(group__code="jumin").exclude(pk=window.pk).update(is_open=False)
    tennyu = VisitPurpose.objects.get(group__code="jumin", code="tennyu")
    tickets = [services.issue_ticket(tennyu, f"phone{n}")[0] for n in range(2)]
    clerk = Actor.staff(get_user_model().objects.get(username="shimin-tanto"))
    return window, tickets, clerk


def open_phone(new_context, asgi_site, ticket, asked):
    context = new_context(viewport=PHONE, base_url=asgi_site)
    context.on("request", lambda r: asked.append(r.url))
    phone = context.new_page()
    phone.goto(f"/queue/t/{ticket.token}/")
    state = phone.locator("#ticket-state")
    expect(state).to_have_attribute("aria-live", "polite")
    expect(state).to_have_attribute("data-status", "issued")
    expect(state.locator('[data-field="ahead_text"]')).to_have_text("1人")
    return phone, state


def test_the_phone_page_shows_the_call_from_its_stream(line, new_context, asgi_site):
    window, tickets, clerk = line
    asked = []
    phone, state = open_phone(new_context, asgi_site, tickets[1], asked)
    check_a11y(phone)

    services.call_next(window, clerk)  # the first visitor: this phone is next
    expect(state.locator('[data-field="ahead_text"]')).to_have_text("0人", timeout=5_000)
    services.act(tickets[0], "finish", clerk)
    services.call_next(window, clerk)
    expect(state).to_have_attribute("data-status", "called", timeout=5_000)
    expect(state).to_have_class("panel state-called")
    expect(state.locator('[data-field="status_text"]')).to_contain_text(f"{window.number}")
    check_a11y(phone)
    assert [url for url in asked if f"/t/{tickets[1].token}/events/" in url]
    assert not [url for url in asked if "status.json" in url]  # it followed the stream, no polling
    phone.context.close()  # before the server stops


def test_without_its_stream_the_phone_page_polls(line, new_context, asgi_site):
    window, tickets, clerk = line
    context = new_context(viewport=PHONE, base_url=asgi_site)
    context.route("**/events/**", lambda route: route.fulfill(status=503, body="unavailable"))
    polled = []
    context.on("request", lambda r: polled.append(r.url) if "status.json" in r.url else None)
    phone = context.new_page()
    phone.goto(f"/queue/t/{tickets[1].token}/")
    state = phone.locator("#ticket-state")
    expect(state.locator('[data-field="ahead_text"]')).to_have_text("1人")

    services.call_next(window, clerk)
    expect(state.locator('[data-field="ahead_text"]')).to_have_text("0人", timeout=10_000)
    assert polled
    check_a11y(phone)
