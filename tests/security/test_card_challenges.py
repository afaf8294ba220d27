"""Card challenges: only the party that may sign one can read it, and only while it is live.

The challenge of a signature carries the answers being signed (name, address). Before, any
caller who knew (or guessed from a log) its id read them, even after it expired or was used,
and the rows stayed forever.
"""

import re
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from madoguchi.identity import cardauth
from madoguchi.identity.models import CardChallenge

from support import b64, b64url_decode, pem

pytestmark = pytest.mark.django_db

SECRET_NAME = "髙﨑 花子"


def _shown_url(browser) -> str:
    """The challenge URL the login page gives the card client (its command and QR code)."""
    page = browser.get(reverse("identity:card_login")).content.decode()
    found = re.search(r"madoguchi-card login (http://testserver/api/identity/challenges/[^\s<]+)<", page)
    assert found, "the page shows no card command"
    assert "?" not in found.group(1)  # nothing a shell would expand: the command is copied as is
    return found.group(1).removeprefix("http://testserver")


def _signing_challenge(browser, city) -> CardChallenge:
    """A signature's challenge, as applications/signing.py makes one: the answers are its payload."""
    browser.get(reverse("identity:card_login"))  # a session
    answers = f'{{"name":"{SECRET_NAME}","address":"鹿児島県鹿児島市山下町11番1号"}}'.encode()
    return cardauth.new_challenge(city, browser.session.session_key, CardChallenge.Purpose.SIGN,
                                  answers)


def test_a_stranger_with_the_id_reads_nothing(client, city):
    challenge = _signing_challenge(client, city)
    stranger = Client()
    response = stranger.get(f"/api/identity/challenges/{challenge.public_id}")
    assert response.status_code == 404
    assert SECRET_NAME.encode() not in response.content
    assert "payload" not in response.json()


def test_a_wrong_key_reads_nothing(client, city):
    challenge = _signing_challenge(client, city)
    response = Client().get(f"/api/identity/challenges/{challenge.public_id}/key/forged")
    assert response.status_code == 404
    assert "payload" not in response.json()


def test_the_card_client_reads_it_with_the_url_the_page_shows(client, city):
    url = _shown_url(client)
    response = Client().get(url)
    assert response.status_code == 200
    assert response.json()["challenge"]
    # The answer goes back with the same key (the client posts to `response_url`).
    assert response.json()["response_url"].startswith(f"http://testserver{url}/")


def test_the_browser_that_asked_reads_it_without_the_key(client, city):
    challenge = _signing_challenge(client, city)
    response = client.get(f"/api/identity/challenges/{challenge.public_id}")
    assert response.status_code == 200
    assert response.json()["digest"] == challenge.digest


def test_an_answer_without_the_key_is_refused(client, city, card):
    url = _shown_url(client)
    challenge = CardChallenge.objects.latest("created_at")
    data = b64url_decode(Client().get(url).json()["challenge"])
    response = Client().post(f"/api/identity/challenges/{challenge.public_id}/response",
                             {"certificate": pem(card.auth_cert),
                              "signature": b64(card.authenticate(data))},
                             content_type="application/json")
    assert response.status_code == 404
    challenge.refresh_from_db()
    assert challenge.state == CardChallenge.State.PENDING


def test_an_expired_challenge_is_gone(client, city):
    url = _shown_url(client)
    CardChallenge.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = Client().get(url)
    assert response.status_code == 410
    assert "challenge" not in response.json() and response.json()["detail"]


def test_a_used_challenge_is_gone(client, city, card):
    url = _shown_url(client)
    reader = Client()
    described = reader.get(url).json()
    data = b64url_decode(described["challenge"])
    answer = reader.post(described["response_url"].removeprefix("http://testserver"),
                         {"certificate": pem(card.auth_cert), "signature": b64(card.authenticate(data))},
                         content_type="application/json")
    assert answer.json()["state"] == "verified"
    again = reader.get(url)
    assert again.status_code == 410
    assert "challenge" not in again.json()


def test_dispose_deletes_lapsed_challenges_and_keeps_live_ones(client, city, settings):
    from madoguchi.identity.retention import dispose_challenges

    assert "madoguchi.identity.retention.dispose_challenges" in settings.MADOGUCHI_RETENTION_TASKS
    old = _signing_challenge(client, city)
    live = _signing_challenge(client, city)
    CardChallenge.objects.filter(pk=old.pk).update(expires_at=timezone.now() - timedelta(days=2))
    assert dispose_challenges() == 1
    assert not CardChallenge.objects.filter(pk=old.pk).exists()
    assert CardChallenge.objects.filter(pk=live.pk).exists()
    # and `madoguchi dispose` runs it
    CardChallenge.objects.update(expires_at=timezone.now() - timedelta(days=2))
    call_command("dispose", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert not CardChallenge.objects.exists()
