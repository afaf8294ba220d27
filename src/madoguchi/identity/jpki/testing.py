"""A software My Number card for tests: two RSA keys and the certificates the test CA issued.

No PKCS#11 and no card reader: the login and signing flows are tested end to end against
`TestCA`, and the card-reading client is tested separately. RSA-2048 generation takes tens of
milliseconds, so tests should make keys once per module and pass them in.

ja-only file: an invented resident, named and addressed as a card would hold them.
"""

from dataclasses import dataclass
from datetime import date

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from madoguchi.identity.jpki.ca import TestCA
from madoguchi.identity.jpki.profile import GENDER_FEMALE, BasicInfo


@dataclass(frozen=True)
class SoftCard:
    """What the card holds: a signing key and certificate, an authentication key and certificate."""

    person: BasicInfo
    signing_key: rsa.RSAPrivateKey
    auth_key: rsa.RSAPrivateKey
    signing_cert: x509.Certificate
    auth_cert: x509.Certificate

    def sign(self, data: bytes) -> bytes:
        """署名用: sign a document (what the 6–16 character PIN unlocks)."""
        return sign(self.signing_key, data)

    def authenticate(self, challenge: bytes) -> bytes:
        """利用者証明用: sign a login challenge (what the 4-digit PIN unlocks)."""
        return sign(self.auth_key, challenge)


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def sign(key: rsa.RSAPrivateKey, data: bytes) -> bytes:
    """RSASSA-PKCS1-v1_5 with SHA-256, as the JPKI card signs."""
    return key.sign(data, padding.PKCS1v15(), hashes.SHA256())


def sample_person(**changes) -> BasicInfo:
    """An invented resident with 異体字 in the name (髙, 﨑) and a long address."""
    values = {
        "name": "髙橋 﨑子",
        "address": "東京都千代田区霞が関二丁目1番2号　中央合同庁舎第2号館　窓口マンション1201号室",
        "birth_date": date(1985, 7, 14),
        "gender": GENDER_FEMALE,
        "name_kana": "タカハシ サキコ",
    }
    values.update(changes)
    return BasicInfo(**values)


def make_card(ca: TestCA, person: BasicInfo, *, signing_key: rsa.RSAPrivateKey | None = None,
              auth_key: rsa.RSAPrivateKey | None = None, not_before=None,
              not_after=None) -> SoftCard:
    """Issue both certificates to `person`; pass keys in to skip RSA generation."""
    signing_key = signing_key or new_key()
    auth_key = auth_key or new_key()
    signing_cert = ca.issue_signing_certificate(
        signing_key.public_key(), person, not_before=not_before, not_after=not_after)
    auth_cert = ca.issue_authentication_certificate(
        auth_key.public_key(), birth_date=person.birth_date, not_before=not_before,
        not_after=not_after)
    return SoftCard(person, signing_key, auth_key, signing_cert, auth_cert)
