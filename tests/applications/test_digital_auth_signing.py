"""Signing a submission with デジタル認証アプリ, against a local provider that signs with a card
issued by the test CA: the same verification as the card client, then the same submission."""

import base64
import hashlib

import pytest
from cryptography.hazmat.primitives.serialization import Encoding
from django.urls import reverse

from madoguchi.applications import signing
from madoguchi.applications.models import Draft, Submission, SubmissionSignature
from madoguchi.applications.services import answers_of
from madoguchi.catalog.loader import catalog
from madoguchi.core.crypto import decrypt_bytes
from madoguchi.core.models import AuditEvent
from madoguchi.identity import cardauth
from madoguchi.identity.jpki import errors
from madoguchi.identity.jpki.ca import TestCA
from madoguchi.identity.jpki.testing import make_card, sample_person, sign
from madoguchi.identity.jpki.verify import verify_signature
from madoguchi.identity.models import DigitalAuthLink
from madoguchi.identity.oidc import client as oidc_client
from madoguchi.identity.oidc.testing_provider import (
    LocalProvider,
    Resident,
    card_from_test_ca,
    demo_client_keys,
    follow_authorization,
)
from madoguchi.identity.session import SESSION_KEY
from madoguchi.identity.views_oidc import SIGN_STATE

from support import b64, fill_form, pem

pytestmark = pytest.mark.django_db

CODE = "residence-certificate-copy"
CALLBACK = "http://testserver/login/digital-auth/callback/"
BUTTON = "デジタル認証アプリで署名する"
CHANGED = "署名のあとで入力内容が変わりました。もう一度確認して署名してください。"


@pytest.fixture(autouse=True)
def rp_keys(tmp_path):
    """The relying party's key files; the signing result is a JWE to its encryption key."""
    return demo_client_keys(tmp_path / "rp-keys")


def _configure(settings, local: LocalProvider, *, sign_endpoint: bool = True) -> None:
    settings.MADOGUCHI_DIGITAL_AUTH_ISSUER = local.issuer
    settings.MADOGUCHI_DIGITAL_AUTH_CLIENT_ID = local.client_id
    settings.MADOGUCHI_DIGITAL_AUTH_REDIRECT_URI = CALLBACK
    settings.MADOGUCHI_DIGITAL_AUTH_CLIENT_AUTH_METHOD = "client_secret_basic"
    settings.MADOGUCHI_DIGITAL_AUTH_CLIENT_SECRET = "test-secret"
    settings.MADOGUCHI_DIGITAL_AUTH_SIGN_ENDPOINT = local.sign_endpoint if sign_endpoint else ""
    settings.MADOGUCHI_DIGITAL_AUTH_ENCRYPTION_KEY_FILE = local.rp_encryption_key_file


@pytest.fixture
def provider(settings, card, rp_keys):
    """The app signs with the card's 署名用 key and the certificate the test CA issued."""
    oidc_client.clear_caches()
    with LocalProvider(redirect_uris=[CALLBACK], client_secret="test-secret",
                       client_encryption_key=_encryption_key(rp_keys),
                       signing_key=card.signing_key, signing_certificate=card.signing_cert) as local:
        local.rp_encryption_key_file = rp_keys["ENCRYPTION_KEY_FILE"]
        _configure(settings, local)
        yield local
    oidc_client.clear_caches()


def _encryption_key(rp_keys) -> str:
    with open(rp_keys["ENCRYPTION_KEY_FILE"], encoding="ascii") as handle:
        return handle.read()


def _confirmed_draft(client) -> Draft:
    """Fill the card-required procedure and confirm: the sign page comes next."""
    client.post(reverse("applications:start", args=[CODE]))
    draft = Draft.objects.latest("id")
    fill_form(client, lambda i: reverse("applications:step", args=[draft.public_id, i]),
              catalog()[CODE].current_form)
    response = client.post(reverse("applications:confirm", args=[draft.public_id]))
    assert response["Location"] == reverse("applications:sign", args=[draft.public_id])
    return draft


def _sign_page(client, draft) -> str:
    return client.get(reverse("applications:sign", args=[draft.public_id])).content.decode()


def _approve_in_app(client, provider, draft) -> dict:
    """Press the button, then do what the phone does at the provider; returns the callback."""
    assert BUTTON in _sign_page(client, draft)
    response = client.post(reverse("applications:digital_auth_sign", args=[draft.public_id]))
    assert response.status_code == 302 and response["Location"].startswith(provider.issuer)
    params = follow_authorization(response["Location"])
    sent = provider.authorize_params[-1]
    assert "sign" in sent["scope"].split()
    assert sent["sign_transaction_id"] == client.session[SIGN_STATE]["transaction_id"]
    return params


def _callback(client, params):
    return client.get(reverse("identity:digital_auth_callback"), params)


def _followed(client, response) -> str:
    return client.get(response["Location"], follow=True).content.decode()


def test_signing_in_the_app_submits_with_a_verified_signature(resident_client, resident, provider, card):
    draft = _confirmed_draft(resident_client)
    response = _callback(resident_client, _approve_in_app(resident_client, provider, draft))

    submission = Submission.objects.get(draft=draft)
    assert response["Location"] == reverse("applications:submitted", args=[submission.public_id])
    stored = SubmissionSignature.objects.get(version__submission=submission)
    signed = signing.signed_bytes(draft, catalog()[CODE], answers_of(submission.current_version))
    assert stored.digest == hashlib.sha256(signed).hexdigest()
    verify_signature(card.signing_cert, signed, base64.b64decode(stored.signature))
    assert decrypt_bytes(stored.certificate) == card.signing_cert.public_bytes(Encoding.DER)
    assert stored.serial == str(card.signing_cert.serial_number)

    event = AuditEvent.objects.get(action="signed", target_id=str(submission.public_id))
    assert event.actor_ref == f"resident:{resident.pk}"
    # Signing is not a login: the session keeps its account, nothing is linked or left behind.
    assert resident_client.session[SESSION_KEY] == resident.pk
    assert SIGN_STATE not in resident_client.session and not DigitalAuthLink.objects.exists()
    assert provider.count("/token") == 2  # client credentials to start, the code to finish


def test_a_certificate_from_another_ca_is_refused(resident_client, provider, card_keys, tmp_path):
    stranger = make_card(TestCA.create(tmp_path / "other-ca"), sample_person(),
                         signing_key=card_keys[2], auth_key=card_keys[3])
    provider.use_signing_card(stranger.signing_key, stranger.signing_cert)
    draft = _confirmed_draft(resident_client)
    response = _callback(resident_client, _approve_in_app(resident_client, provider, draft))

    assert response["Location"] == reverse("applications:confirm", args=[draft.public_id])
    assert str(errors.MESSAGES_JA[errors.UNTRUSTED]) in _followed(resident_client, response)
    assert not Submission.objects.exists()
    refused = AuditEvent.objects.get(action="card_refused")
    assert (refused.target_type, refused.target_id) == ("draft", str(draft.public_id))
    assert refused.detail == {"reason": "untrusted", "purpose": "sign", "via": "digital_auth"}


def test_answers_changed_between_start_and_callback_are_refused(resident_client, provider):
    draft = _confirmed_draft(resident_client)
    params = _approve_in_app(resident_client, provider, draft)
    resident_client.post(reverse("applications:step", args=[draft.public_id, 0]),
                         {"_action": "save", "requester_phone": "099-000-9999"})
    response = _callback(resident_client, params)

    assert response["Location"] == reverse("applications:confirm", args=[draft.public_id])
    assert CHANGED in _followed(resident_client, response)
    assert not Submission.objects.exists()


def test_a_signature_over_another_digest_is_refused(resident_client, provider):
    provider.faults.sign_other_digest = True
    draft = _confirmed_draft(resident_client)
    response = _callback(resident_client, _approve_in_app(resident_client, provider, draft))
    assert "電子署名を確認できませんでした。" in _followed(resident_client, response)
    assert not Submission.objects.exists()


def test_cancelling_in_the_app_says_so_on_the_confirm_page(resident_client, provider):
    draft = _confirmed_draft(resident_client)
    provider.faults.deny = True
    response = _callback(resident_client, _approve_in_app(resident_client, provider, draft))
    assert response["Location"] == reverse("applications:confirm", args=[draft.public_id])
    assert "デジタル認証アプリでの署名が取り消されました。" in _followed(resident_client, response)
    assert not Submission.objects.exists() and SIGN_STATE not in resident_client.session


def test_the_button_is_absent_when_not_configured(resident_client, settings, rp_keys):
    settings.MADOGUCHI_DIGITAL_AUTH_ISSUER = ""
    draft = _confirmed_draft(resident_client)
    assert BUTTON not in _sign_page(resident_client, draft)
    start = reverse("applications:digital_auth_sign", args=[draft.public_id])
    assert resident_client.post(start).status_code == 404

    oidc_client.clear_caches()
    with LocalProvider(redirect_uris=[CALLBACK], client_secret="test-secret",
                       client_encryption_key=_encryption_key(rp_keys)) as local:
        local.rp_encryption_key_file = rp_keys["ENCRYPTION_KEY_FILE"]
        _configure(settings, local, sign_endpoint=False)  # login only: no signing API
        assert BUTTON not in _sign_page(resident_client, draft)
        assert resident_client.post(start).status_code == 404
        _configure(settings, local)
        assert BUTTON in _sign_page(resident_client, draft)
    oidc_client.clear_caches()


def test_the_demo_provider_signs_with_a_certificate_from_the_servers_test_ca(ca, ca_dir):
    """`testing_provider --jpki-dir`: a demo's signatures pass the server's JPKI checks."""
    key, certificate = card_from_test_ca(ca_dir)
    verified = cardauth.verify_signed(pem(certificate), b64(sign(key, b"data")), b"data", "signing")
    assert verified.basic_info.name == Resident().name
    with pytest.raises(ValueError, match="not for this key"):
        LocalProvider(client_secret="s", signing_key=key,
                      signing_certificate=card_from_test_ca(ca_dir)[1])
