"""Signing a submission with the card's 署名用電子証明書, and pre-filling from it.

What is signed is the RFC 8785 canonical JSON of the city, the procedure, the form version,
the answers and the SHA-256 of every attached file, so the signature covers exactly what the
department receives. The digest is compared again at submission: answers changed after
signing need a new signature. The card client signs through a `CardChallenge`; デジタル認証アプリ
signs the digest in the app (`evidence_from_signed`); both are verified by `cardauth`.
"""

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from cryptography import x509
from django.utils.translation import gettext as _

from madoguchi.applications import engine
from madoguchi.applications.models import Attachment, Draft
from madoguchi.identity import cardauth
from madoguchi.identity.jpki.jcs import canonicalize
from madoguchi.identity.jpki.profile import basic_info_from
from madoguchi.identity.models import CardChallenge

CERTIFICATE = "certificate"
PREFILL_FROM_CERTIFICATE = {
    "applicant_name": lambda info: info.name,
    "applicant_address": lambda info: info.address,
    "applicant_birth_date": lambda info: info.birth_date.isoformat(),
}


class SignatureMismatch(Exception):
    """The answers changed after they were signed."""


@dataclass(frozen=True)
class Evidence:
    certificate: x509.Certificate
    signature: str
    digest: str


def signed_bytes(draft: Draft, procedure, answers: dict) -> bytes:
    form = procedure.form(draft.form_version)
    ids = engine.attachment_ids(form, answers)
    files = dict(Attachment.objects.filter(public_id__in=ids).values_list("public_id", "sha256"))
    return canonicalize({
        "municipality": draft.municipality.code,
        "procedure": procedure.code,
        "form_version": draft.form_version,
        "answers": {k: v for k, v in answers.items() if k != engine.RAW},
        "attachments": {str(k): v for k, v in files.items()},
    })


def request_signature(draft: Draft, procedure, answers: dict, session_key: str) -> CardChallenge:
    challenge = cardauth.new_challenge(draft.municipality, session_key,
                                       CardChallenge.Purpose.SIGN,
                                       signed_bytes(draft, procedure, answers))
    draft.signing_challenge = challenge
    draft.save(update_fields=["signing_challenge"])
    return challenge


def evidence_for(draft: Draft, procedure, answers: dict, session_key: str) -> Evidence:
    """Take the verified signature (once) and check it still covers the current answers."""
    challenge = cardauth.claim(draft.municipality, challenge_id(draft), session_key)
    current = hashlib.sha256(signed_bytes(draft, procedure, answers)).hexdigest()
    if current != challenge.digest:
        raise SignatureMismatch
    return Evidence(cardauth.certificate_of(challenge), challenge.signature, challenge.digest)


def challenge_id(draft: Draft):
    """The id of the card request under way for this draft; CardRefused when there is none (a
    POST sent straight to the sign or pre-fill page, or after the request was disposed of)."""
    if draft.signing_challenge is None:
        raise cardauth.CardRefused("unknown_challenge", _(cardauth.UNKNOWN))
    return draft.signing_challenge.public_id


def digest_of(draft: Draft, procedure, answers: dict) -> bytes:
    """The SHA-256 of the signed bytes: what デジタル認証アプリ is asked to sign."""
    return hashlib.sha256(signed_bytes(draft, procedure, answers)).digest()


def evidence_from_signed(draft: Draft, procedure, answers: dict, digest_hex: str,
                         certificate_pem: str, signature: bytes) -> Evidence:
    """A signature made in デジタル認証アプリ over `digest_hex` (the digest sent when signing
    started). The answers must still have that digest (SignatureMismatch), and the certificate
    and signature are verified exactly as the card client's are (CardRefused)."""
    data = signed_bytes(draft, procedure, answers)
    digest = hashlib.sha256(data).hexdigest()
    if not hmac.compare_digest(digest, str(digest_hex)):
        raise SignatureMismatch
    signature_b64 = base64.b64encode(signature).decode("ascii")
    verified = cardauth.verify_signed(certificate_pem, signature_b64, data,
                                      cardauth.KIND_FOR[CardChallenge.Purpose.SIGN])
    return Evidence(verified.certificate, signature_b64, digest)


def request_prefill(draft: Draft, session_key: str) -> CardChallenge:
    """Reading the signing certificate proves the card is present: it signs a fresh nonce."""
    payload = canonicalize({"purpose": "prefill", "draft": str(draft.public_id),
                            "nonce": secrets.token_hex(16)})
    challenge = cardauth.new_challenge(draft.municipality, session_key,
                                       CardChallenge.Purpose.SIGN, payload)
    draft.signing_challenge = challenge
    draft.save(update_fields=["signing_challenge"])
    return challenge


def prefill_values(form, certificate: x509.Certificate) -> dict[str, str]:
    """Field id → value for every field the form marks as the applicant's 基本4情報."""
    info = basic_info_from(certificate)
    return {field.id: PREFILL_FROM_CERTIFICATE[field.prefill](info)
            for step in form.steps for field in step.fields
            if field.prefill in PREFILL_FROM_CERTIFICATE}
