"""The My Number card flows on the server: a challenge the card signs, its verification, and
the link between a certificate and a resident account.

Login (利用者証明): the browser asks for a challenge; the card client signs it with the
authentication key and posts the certificate and signature; the server verifies the chain to
the configured trust anchor, validity, revocation and the signature; the browser that asked
then claims it once. Signing (署名) uses the same object with the answers as the payload and
the signing key. Every refusal carries a reason code, a plain Japanese message and an audit
event. The 12-digit マイナンバー plays no part: accounts link through certificates.
"""

import base64
import hashlib
import hmac
import secrets
import uuid
from datetime import timedelta

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from django.conf import settings
from django.core import signing
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from madoguchi.core import audit
from madoguchi.core.actors import Actor
from madoguchi.core.crypto import decrypt_bytes, encrypt_bytes
from madoguchi.identity.jpki import errors
from madoguchi.identity.jpki.errors import CertificateRejected, SignatureRejected
from madoguchi.identity.jpki.profile import certificate_fingerprint
from madoguchi.identity.jpki.verify import Verified, verify_certificate, verify_signature
from madoguchi.identity.models import CardChallenge, CardCredential, ResidentAccount
from madoguchi.identity.trust import trust

# Marked for translation, kept as Japanese msgids: shown through gettext where raised.
KIND_FOR = {CardChallenge.Purpose.LOGIN: "authentication", CardChallenge.Purpose.SIGN: "signing"}
UNKNOWN = gettext_noop("確認の情報が見つかりません。最初からやり直してください。")
GONE = gettext_noop("この確認は終わったか、有効期限が切れています。画面を読み込み直してやり直してください。")

# The key a challenge's URL carries to the card client: Django's signature of its id, so it
# can be shown again on every page of the wait without being stored, and no one without the
# SECRET_KEY can make one from an id seen in a log.
_KEYS = signing.Signer(salt="madoguchi.identity.card-challenge")


class CardRefused(Exception):
    def __init__(self, reason: str, message: str):
        message = str(message)  # a lazy text, in the language of the request that raised it
        super().__init__(message)
        self.reason = reason
        self.message = message


def _session_hash(session_key: str) -> str:
    return hashlib.sha256(f"card-challenge:{session_key}".encode()).hexdigest()


def new_challenge(municipality, session_key: str, purpose: str, payload: bytes | None = None):
    """A fresh challenge for this browser session. Login signs 32 random bytes."""
    data = payload if payload is not None else secrets.token_bytes(32)
    return CardChallenge.objects.create(
        public_id=uuid.uuid4(), municipality=municipality, purpose=purpose,
        payload=encrypt_bytes(data, municipality), digest=hashlib.sha256(data).hexdigest(),
        session_key_hash=_session_hash(session_key),
        expires_at=timezone.now() + timedelta(seconds=settings.MADOGUCHI_CARD_CHALLENGE_SECONDS),
    )


def read_key(public_id) -> str:
    """The secret in the challenge's URL (QR code, `madoguchi-card` command)."""
    return _KEYS.sign(str(public_id)).rpartition(_KEYS.sep)[2]


def _key_matches(public_id, key: str) -> bool:
    try:
        _KEYS.unsign(f"{public_id}{_KEYS.sep}{key}")
    except signing.BadSignature:
        return False
    return True


def readable(municipality, public_id, key: str, session_key: str | None) -> CardChallenge | None:
    """The challenge for the card client holding its key, or for the browser session that asked
    for it; None for anyone else (they learn nothing, not even that it exists)."""
    challenge = CardChallenge.objects.filter(municipality=municipality, public_id=public_id).first()
    if challenge is None:
        return None
    if key and _key_matches(public_id, key):
        return challenge
    if session_key and hmac.compare_digest(challenge.session_key_hash, _session_hash(session_key)):
        return challenge
    return None


def is_live(challenge: CardChallenge) -> bool:
    """Still waiting for the card: not answered, used or refused, and not expired."""
    return challenge.state == CardChallenge.State.PENDING and challenge.expires_at >= timezone.now()


def payload_of(challenge: CardChallenge) -> bytes:
    return decrypt_bytes(challenge.payload)


def certificate_of(challenge: CardChallenge) -> x509.Certificate:
    return x509.load_der_x509_certificate(decrypt_bytes(challenge.certificate))


def describe(challenge: CardChallenge, response_url: str) -> dict:
    """What the card client reads (GET on the challenge URL)."""
    data = payload_of(challenge)
    body = {"id": str(challenge.public_id), "purpose": challenge.purpose,
            "expires_at": challenge.expires_at.isoformat(), "response_url": response_url}
    if challenge.purpose == CardChallenge.Purpose.LOGIN:
        body["challenge"] = base64.urlsafe_b64encode(data).rstrip(b"=").decode()
    else:
        body["payload"] = base64.b64encode(data).decode()
        body["digest"] = challenge.digest
    return body


def verify_signed(certificate_pem: str, signature_b64: str, data: bytes, kind: str) -> Verified:
    """Accept a JPKI `kind` certificate (PEM) under the configured trust, and its signature
    (base64) over `data`; CardRefused with the reason otherwise. Every way a card signature
    reaches the server (card client, デジタル認証アプリ) goes through here."""
    try:
        cert = x509.load_pem_x509_certificate(certificate_pem.encode())
        signature = base64.b64decode(signature_b64, validate=True)
    except (ValueError, TypeError):
        raise CardRefused(errors.UNSUPPORTED, errors.MESSAGES_JA[errors.UNSUPPORTED]) from None
    configured = trust()
    try:
        verified = verify_certificate(cert, configured.anchors, configured.intermediates,
                                      configured.crls, timezone.now(), kind)
        verify_signature(cert, data, signature)
    except (CertificateRejected, SignatureRejected) as exc:
        raise CardRefused(exc.reason_code, exc.message_ja) from None
    return verified


def _verify(challenge: CardChallenge, certificate_pem: str, signature_b64: str) -> Verified:
    return verify_signed(certificate_pem, signature_b64, payload_of(challenge),
                         KIND_FOR[challenge.purpose])


def answer(municipality, public_id, certificate_pem: str, signature_b64: str, ip_address=None):
    """The card client's response. Returns the challenge, verified or refused with a reason."""
    with transaction.atomic():
        challenge = CardChallenge.objects.select_for_update().filter(
            municipality=municipality, public_id=public_id).first()
        if challenge is None:
            return None
        if not is_live(challenge):
            raise CardRefused("expired_challenge", _(GONE))
        try:
            verified = _verify(challenge, certificate_pem, signature_b64)
        except CardRefused as exc:
            # Kept as the Japanese msgid, shown later in the language of whoever reads it.
            with translation.override("ja"):
                challenge.state, challenge.reason, challenge.message = (
                    CardChallenge.State.REJECTED, exc.reason, str(exc.message))
            challenge.save(update_fields=["state", "reason", "message"])
            audit.record(municipality, Actor("system", "card-client", ip_address), "card_refused",
                         "card_challenge", challenge.public_id, reason=exc.reason,
                         purpose=challenge.purpose)
            return challenge
        challenge.state = CardChallenge.State.VERIFIED
        challenge.certificate = encrypt_bytes(verified.certificate.public_bytes(Encoding.DER),
                                              challenge.municipality_id)
        challenge.signature = signature_b64
        challenge.save(update_fields=["state", "certificate", "signature"])
        audit.record(municipality, Actor("system", "card-client", ip_address), "card_verified",
                     "card_challenge", challenge.public_id, purpose=challenge.purpose,
                     serial=str(verified.serial_number))
        return challenge


def status_for(municipality, public_id, session_key: str) -> CardChallenge | None:
    """The challenge as the browser that asked for it sees it (None for any other browser)."""
    return CardChallenge.objects.filter(
        municipality=municipality, public_id=public_id, session_key_hash=_session_hash(session_key)
    ).first()


@transaction.atomic
def claim(municipality, public_id, session_key: str) -> CardChallenge:
    """Take a verified challenge once, from the browser that asked for it."""
    challenge = CardChallenge.objects.select_for_update().filter(
        municipality=municipality, public_id=public_id, session_key_hash=_session_hash(session_key)
    ).first()
    if challenge is None:
        raise CardRefused("unknown_challenge", _(UNKNOWN))
    if challenge.state == CardChallenge.State.REJECTED:
        raise CardRefused(challenge.reason, challenge.message_shown)
    if challenge.state != CardChallenge.State.VERIFIED:
        raise CardRefused("pending", _("まだマイナンバーカードでの確認が終わっていません。"))
    challenge.state = CardChallenge.State.USED
    challenge.save(update_fields=["state"])
    return challenge


def account_for(municipality, cert: x509.Certificate) -> ResidentAccount | None:
    credential = CardCredential.objects.filter(
        municipality=municipality, fingerprint=certificate_fingerprint(cert), replaced_at__isnull=True
    ).select_related("account").first()
    return credential.account if credential else None


@transaction.atomic
def link(account: ResidentAccount, cert: x509.Certificate, kind: str, linked_by: str,
         ip_address=None) -> CardCredential:
    """Link a certificate to the account; a previous one of the same kind is marked replaced
    (a renewed or re-issued card) but kept, so the history stays readable."""
    fingerprint = certificate_fingerprint(cert)
    existing = CardCredential.objects.filter(municipality=account.municipality,
                                             fingerprint=fingerprint).first()
    if existing is not None:
        if existing.account_id != account.pk:
            raise CardRefused("linked_elsewhere", _(
                "このマイナンバーカードは別のアカウントに登録されています。市役所にお問い合わせください。"))
        return existing
    CardCredential.objects.filter(account=account, kind=kind, replaced_at__isnull=True).update(
        replaced_at=timezone.now())
    credential = CardCredential.objects.create(
        municipality=account.municipality, account=account, kind=kind, fingerprint=fingerprint,
        issuer=cert.issuer.rfc4514_string()[:255], serial=str(cert.serial_number),
        not_after=cert.not_valid_after_utc, linked_by=linked_by,
    )
    audit.record(account.municipality, Actor.resident(account.pk, ip_address), "card_linked",
                 "account", account.pk, subject_ref=account.ref, kind=kind, via=linked_by)
    return credential
