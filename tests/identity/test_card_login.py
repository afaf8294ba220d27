"""Logging in with the My Number card: challenge, card client answer, claim, account link."""

from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives.serialization import Encoding
from django.test import Client
from django.urls import reverse

from madoguchi.core.models import AuditEvent
from madoguchi.identity import cardauth, trust
from madoguchi.identity.jpki.ca import TestCA
from madoguchi.identity.jpki.errors import REVOKED_JA
from madoguchi.identity.jpki.testing import make_card, sample_person
from madoguchi.identity.models import CardChallenge, CardCredential
from madoguchi.identity.session import SESSION_KEY

from conftest import login_resident
from support import b64, b64url_decode, pem

pytestmark = pytest.mark.django_db


def _challenge(browser) -> CardChallenge:
    response = browser.get(reverse("identity:card_login"))
    assert response.status_code == 200
    challenge = CardChallenge.objects.latest("created_at")
    assert f"madoguchi-card login http://testserver/api/identity/challenges/{challenge.public_id}" \
        in response.content.decode()
    return challenge


def _url(challenge) -> str:
    """The challenge's URL as the page shows it, with its key."""
    return f"/api/identity/challenges/{challenge.public_id}/key/{cardauth.read_key(challenge.public_id)}"


def _answer(challenge, cert, key_sign):
    """What the card client does: read the challenge, sign it, post certificate and signature."""
    reader = Client()
    described = reader.get(_url(challenge)).json()
    data = b64url_decode(described["challenge"])
    return reader.post(described["response_url"].removeprefix("http://testserver"),
                       {"certificate": pem(cert), "signature": b64(key_sign(data))},
                       content_type="application/json")


def _finish(browser, challenge):
    return browser.post(reverse("identity:card_finish", args=[challenge.public_id]))


def test_first_card_login_links_through_email_then_logs_in_directly(client, city, card, resident):
    challenge = _challenge(client)
    assert _answer(challenge, card.auth_cert, card.authenticate).json()["state"] == "verified"
    assert client.get(reverse("identity:card_status", args=[challenge.public_id])).json()["state"] \
        == "verified"
    response = _finish(client, challenge)
    assert response["Location"].startswith(reverse("identity:login"))  # first time: confirm e-mail
    login_resident(client, resident)
    assert client.get(reverse("identity:card_link"))["Location"] == reverse("applications:mypage")
    credential = CardCredential.objects.get()
    assert credential.account == resident and credential.kind == "authentication"

    fresh = Client()
    challenge = _challenge(fresh)
    _answer(challenge, card.auth_cert, card.authenticate)
    assert _finish(fresh, challenge)["Location"] == reverse("applications:mypage")
    assert fresh.session[SESSION_KEY] == resident.pk
    assert fresh.session["login_method"] == "card"
    assert AuditEvent.objects.filter(action="login", actor_ref=resident.ref,
                                     detail__method="card").count() == 1  # the first was by e-mail


def test_no_personal_data_from_the_authentication_certificate_is_needed(card):
    der = card.auth_cert.public_bytes(Encoding.DER)
    assert "髙橋".encode() not in der and b"1985" not in der


@pytest.mark.parametrize("case, reason", [
    ("wrong_kind", "wrong_kind"),
    ("bad_signature", "bad_signature"),
    ("untrusted", "untrusted"),
    ("expired", "expired"),
])
def test_refusals_have_a_reason_a_message_and_an_audit_event(client, city, ca, card, card_keys,
                                                               tmp_path, case, reason):
    challenge = _challenge(client)
    if case == "wrong_kind":
        response = _answer(challenge, card.signing_cert, card.sign)
    elif case == "bad_signature":
        response = _answer(challenge, card.auth_cert, lambda data: card.authenticate(data + b"x"))
    elif case == "untrusted":
        other = make_card(TestCA.create(tmp_path / "other"), sample_person(),
                          signing_key=card_keys[2], auth_key=card_keys[3])
        response = _answer(challenge, other.auth_cert, other.authenticate)
    else:
        old = make_card(ca, sample_person(), signing_key=card_keys[2], auth_key=card_keys[3],
                        not_before=datetime(2015, 1, 1, tzinfo=UTC),
                        not_after=datetime(2020, 1, 1, tzinfo=UTC))
        response = _answer(challenge, old.auth_cert, old.authenticate)
    assert response.status_code == 422
    body = response.json()
    assert body["reason"] == reason and body["message"]
    assert AuditEvent.objects.filter(action="card_refused", detail__reason=reason).exists()
    page = _finish(client, challenge)
    assert page.status_code == 302
    assert body["message"] in client.get(page["Location"]).content.decode()
    assert SESSION_KEY not in client.session


def test_a_revoked_card_stops_working_after_the_crl_refresh(client, city, ca, card, resident):
    login_resident(client, resident)
    challenge = _challenge(client)
    _answer(challenge, card.auth_cert, card.authenticate)
    _finish(client, challenge)
    ca.revoke(card.auth_cert.serial_number)
    ca.write_crls()
    trust.reset()  # the CRL refresh interval has passed (CrlCache tests cover the interval itself)
    challenge = _challenge(Client())
    response = _answer(challenge, card.auth_cert, card.authenticate)
    assert response.json()["reason"] == "revoked"
    assert response.json()["message"] == str(REVOKED_JA["authentication"])


def test_another_browser_cannot_claim_the_challenge(client, city, card):
    challenge = _challenge(client)
    _answer(challenge, card.auth_cert, card.authenticate)
    thief = Client()
    response = _finish(thief, challenge)
    assert response.status_code == 302 and SESSION_KEY not in thief.session
    assert thief.get(reverse("identity:card_status", args=[challenge.public_id])).status_code == 404


def test_a_challenge_is_answered_once(client, city, card):
    challenge = _challenge(client)
    reader = Client()
    described = reader.get(_url(challenge)).json()
    answer = {"certificate": pem(card.auth_cert),
              "signature": b64(card.authenticate(b64url_decode(described["challenge"])))}
    url = described["response_url"].removeprefix("http://testserver")
    assert reader.post(url, answer, content_type="application/json").status_code == 200
    again = reader.post(url, answer, content_type="application/json")
    assert again.status_code == 410 and again.json()["detail"]
    assert reader.get(_url(challenge)).status_code == 410  # nothing left to read either


def test_a_renewed_card_is_linked_after_re_verification_and_the_old_one_kept(
        client, city, ca, card, card_keys, resident):
    login_resident(client, resident)
    for current in (card, make_card(ca, sample_person(), signing_key=card_keys[2], auth_key=card_keys[3])):
        challenge = _challenge(client)
        _answer(challenge, current.auth_cert, current.authenticate)
        _finish(client, challenge)
    old, new = CardCredential.objects.order_by("linked_at", "id")
    assert old.account == new.account == resident
    assert old.replaced_at is not None and new.replaced_at is None
