"""Shared steps of the LINE tests: the local LINE platform configured as the city's channel, its
webhooks handed to Django's test client (in the test's own thread and transaction), and a
resident walking the account-link flow the way LINE's reply and dialog lead them."""

from urllib.parse import parse_qsl, urlsplit

import pytest
from django.test import Client
from line_server import LocalLine, configure_city

WEBHOOK = "/notify/line/webhook/"


def post_webhook(client: Client, body: bytes, signature: str | None):
    headers = {} if signature is None else {"HTTP_X_LINE_SIGNATURE": signature}
    return client.post(WEBHOOK, data=body, content_type="application/json; charset=utf-8", **headers)


@pytest.fixture
def line(city):
    """The local LINE platform as the demo city's channel (every channel offered)."""
    city.channels = []
    city.save(update_fields=["channels"])
    hooks = Client()
    with LocalLine() as server:
        configure_city(city, server)
        server.transport = lambda body, signature: post_webhook(hooks, body, signature).status_code
        yield server


def link_path(url: str) -> str:
    """The path and query of the link LINE's reply carried (the test client speaks paths)."""
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def query_of(url: str) -> dict:
    return dict(parse_qsl(urlsplit(url).query))


def walk_to_dialog(client: Client, line: LocalLine, user: str) -> str:
    """From LINE's link reply to the dialog's URL: open the link, confirm on My Page."""
    answer = client.get(link_path(line.link_for(user)))
    assert answer.status_code == 302 and "linkToken" not in answer["Location"]
    page = client.get(answer["Location"])
    assert page.status_code == 200 and b'id="line-link-confirm"' in page.content
    answer = client.post("/mypage/notifications/line/link/")
    assert answer.status_code == 302
    return answer["Location"]


def link_line(client: Client, line: LocalLine, user: str | None = None) -> str:
    """The whole flow for a logged-in `client`: follow, the link, the dialog. Returns the user."""
    user, status = line.follow(user)
    assert status == 200
    dialog = walk_to_dialog(client, line, user)
    assert line.open_dialog(dialog, user).status == 200
    return user
