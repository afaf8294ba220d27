"""Signing a submission with the resident's 署名用電子証明書 through デジタル認証アプリ.

The provider's signing is a transaction around the login redirect: `start_signing` registers
what is to be signed (with a client-credentials token, before the resident is involved),
`begin_login` carries the transaction id (a UUID) and the `sign` scope to the app where the
resident enters the signing PIN, and `sign_document` fetches the result with the resident's
access token.

What is sent is the DER DigestInfo (RFC 8017 9.2) of the SHA-256 digest, the form integrators
document for signatures that J-LIS is to verify: the card signs the bytes it is given, so the
signature is then plain RSASSA-PKCS1-v1_5 with SHA-256 over the submission, verifiable by
anyone. The result comes back as a JWE encrypted to the relying party's encryption key; plain
JSON, another key or another algorithm is refused. It is only accepted if the signature
verifies, with the returned certificate's key, over the very digest we asked to be signed.
Whether the certificate is a valid, unrevoked JPKI certificate is a separate check (J-LIS).
Field names not confirmed against the Agency's sandbox are listed in docs/identity.md.
"""

import base64
import binascii
import json
import uuid
from dataclasses import dataclass

from asn1crypto import algos
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed
from joserfc import jwe
from joserfc.errors import JoseError

from madoguchi.identity.oidc import transport
from madoguchi.identity.oidc.config import JWE_ENCRYPTION, ProviderConfig
from madoguchi.identity.oidc.endpoints import discover, token_request
from madoguchi.identity.oidc.errors import OidcError

JWE_CONTENT_TYPES = ("application/jose", "application/jwt", "text/plain")


@dataclass(frozen=True)
class SignedDocument:
    signature: bytes  # RSASSA-PKCS1-v1_5 over DigestInfo(SHA-256, digest)
    certificate_pem: str  # the resident's 署名用電子証明書


def digest_info(digest: bytes) -> bytes:
    """DER DigestInfo for a SHA-256 digest: what the card is asked to sign."""
    _check_digest(digest)
    return algos.DigestInfo({"digest_algorithm": {"algorithm": "sha256"}, "digest": digest}).dump()


def _endpoint(config: ProviderConfig) -> str:
    if not config.sign_endpoint:
        raise OidcError("signing_failed", "MADOGUCHI_DIGITAL_AUTH_SIGN_ENDPOINT is not set")
    return config.sign_endpoint.rstrip("/")


def _check_digest(digest: bytes) -> None:
    if not isinstance(digest, bytes) or len(digest) != 32:
        raise ValueError("digest must be the 32 bytes of a SHA-256 hash")


def _failure(resp: transport.Response, what: str) -> OidcError:
    body = resp.body if isinstance(resp.body, dict) else {}
    code = "provider_error" if resp.status >= 500 else "signing_failed"
    return OidcError(code, f"{what}: HTTP {resp.status} {body.get('error', '')}")


def _transaction_id(value) -> str | None:
    """The reference gives the id as a UUID; anything else is not put in a URL of ours."""
    try:
        return str(uuid.UUID(value)) if isinstance(value, str) and len(value) == 36 else None
    except ValueError:
        return None


def start_signing(config: ProviderConfig, digest: bytes) -> str:
    """Register the DigestInfo of the SHA-256 digest; returns the id to pass to `begin_login`."""
    to_sign = digest_info(digest)
    endpoint = _endpoint(config)
    try:
        token = token_request(config, discover(config), "client_credentials")
    except OidcError as exc:
        if exc.code != "token_rejected":
            raise
        raise OidcError("signing_failed", exc.detail) from exc
    resp = transport.request(
        endpoint, method="POST", timeout=config.timeout,
        json_body={"client_id": config.client_id,
                   "digest": base64.b64encode(to_sign).decode("ascii")},
        headers={"Authorization": f"Bearer {token['access_token']}"},
    )
    found = resp.body.get("sign_transaction_id") if isinstance(resp.body, dict) else None
    transaction_id = _transaction_id(found)
    if resp.status not in (200, 201) or transaction_id is None:
        raise _failure(resp, "start signing")
    return transaction_id


def _certificate(value) -> x509.Certificate:
    if isinstance(value, str) and value.lstrip().startswith("-----BEGIN"):
        return x509.load_pem_x509_certificate(value.encode("ascii"))
    return x509.load_der_x509_certificate(base64.b64decode(value, validate=True))


def decrypt_result(config: ProviderConfig, text: str) -> dict:
    """The signing result's JSON from its JWE: only to our key, only with the algorithms we
    registered (joserfc refuses the rest); plain JSON is refused, never read."""
    if not config.encryption_key_pem:
        raise OidcError("signing_failed", "MADOGUCHI_DIGITAL_AUTH_ENCRYPTION_KEY_FILE is not set")
    key = config.encryption_key()
    try:
        decrypted = jwe.decrypt_compact(text.strip(), key, algorithms=[config.jwe_algorithm(), JWE_ENCRYPTION])
        kid = decrypted.headers().get("kid")
        if config.encryption_key_id and kid not in (None, config.encryption_key_id):
            raise ValueError(f"encrypted to key {kid!r}, not ours")
        result = json.loads(decrypted.plaintext.decode("utf-8"))
    except (JoseError, ValueError, TypeError, UnicodeDecodeError, binascii.Error) as exc:
        raise OidcError("signing_failed", f"sign result is not a JWE to our key: {type(exc).__name__}: {exc}"[:300]) from exc
    if not isinstance(result, dict):
        raise OidcError("signing_failed", "sign result is not a JSON object")
    return result


def sign_document(config: ProviderConfig, access_token: str, digest: bytes, *,
                  transaction_id: str) -> SignedDocument:
    """Fetch the resident's signature over `digest` and check it before returning it."""
    _check_digest(digest)
    checked_id = _transaction_id(transaction_id)
    if checked_id is None:
        raise OidcError("signing_failed", "transaction id is not a UUID")
    url = f"{_endpoint(config)}/{checked_id}/result"
    resp = transport.request(url, headers={"Authorization": f"Bearer {access_token}"},
                             timeout=config.timeout)
    if resp.status != 200:
        raise _failure(resp, "sign result")
    if isinstance(resp.body, dict):
        raise OidcError("signing_failed", "sign result is plain JSON, not a JWE")
    result = decrypt_result(config, resp.text)
    try:
        signature = base64.b64decode(result["signature"], validate=True)
        certificate = _certificate(result["certificate"])
    except (KeyError, TypeError, ValueError) as exc:
        raise OidcError("signing_failed", f"sign result is malformed: {exc!r}") from exc
    public_key = certificate.public_key()
    if not isinstance(public_key, rsa.RSAPublicKey):
        raise OidcError("signature_invalid", "the certificate's key is not RSA")
    try:
        # PKCS#1 v1.5 with the DigestInfo for SHA-256 inside: a signature over a bare digest
        # (or over another one) does not verify.
        public_key.verify(signature, digest, padding.PKCS1v15(), Prehashed(hashes.SHA256()))
    except InvalidSignature as exc:
        raise OidcError("signature_invalid", "signature does not verify over our DigestInfo") from exc
    return SignedDocument(signature, certificate.public_bytes(serialization.Encoding.PEM).decode("ascii"))
