"""Signing a submission with the resident's 署名用電子証明書 through デジタル認証アプリ.

The provider's signing is a transaction around the login redirect: `start_signing` registers
the digest (with a client-credentials token, before the resident is involved), `begin_login`
carries the transaction id and the `sign` scope to the app where the resident enters the
signing PIN, and `sign_document` fetches the result with the resident's access token. The result
is only accepted if the signature verifies, with the returned certificate's key, over the very
digest we asked to be signed. Field names of the two calls are assumptions: docs/identity.md.
Whether the certificate is a valid, unrevoked JPKI certificate is a separate check (J-LIS).
"""

import base64
import re
import urllib.parse
from dataclasses import dataclass

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed

from madoguchi.identity.oidc import transport
from madoguchi.identity.oidc.config import ProviderConfig
from madoguchi.identity.oidc.endpoints import discover, token_request
from madoguchi.identity.oidc.errors import OidcError

_TRANSACTION_ID = re.compile(r"[A-Za-z0-9-]{1,64}")


@dataclass(frozen=True)
class SignedDocument:
    signature: bytes  # RSASSA-PKCS1-v1_5 over DigestInfo(SHA-256, digest)
    certificate_pem: str  # the resident's 署名用電子証明書


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


def start_signing(config: ProviderConfig, digest: bytes) -> str:
    """Register the SHA-256 digest to be signed; returns the id to pass to `begin_login`."""
    _check_digest(digest)
    endpoint = _endpoint(config)
    try:
        token = token_request(config, discover(config), {"grant_type": "client_credentials"})
    except OidcError as exc:
        if exc.code != "token_rejected":
            raise
        raise OidcError("signing_failed", exc.detail) from exc
    resp = transport.request(
        endpoint, method="POST", timeout=config.timeout,
        json_body={"hash_algorithm": "SHA-256", "digest": base64.b64encode(digest).decode("ascii")},
        headers={"Authorization": f"Bearer {token['access_token']}"},
    )
    transaction_id = resp.body.get("sign_transaction_id") if isinstance(resp.body, dict) else None
    if resp.status not in (200, 201) or not isinstance(transaction_id, str) \
            or not _TRANSACTION_ID.fullmatch(transaction_id):
        raise _failure(resp, "start signing")
    return transaction_id


def _certificate(value) -> x509.Certificate:
    if isinstance(value, str) and value.lstrip().startswith("-----BEGIN"):
        return x509.load_pem_x509_certificate(value.encode("ascii"))
    return x509.load_der_x509_certificate(base64.b64decode(value, validate=True))


def sign_document(config: ProviderConfig, access_token: str, digest: bytes, *,
                  transaction_id: str) -> SignedDocument:
    """Fetch the resident's signature over `digest` and check it before returning it."""
    _check_digest(digest)
    url = f"{_endpoint(config)}/{urllib.parse.quote(transaction_id, safe='')}/result"
    resp = transport.request(url, headers={"Authorization": f"Bearer {access_token}"},
                             timeout=config.timeout)
    if resp.status != 200 or not isinstance(resp.body, dict):
        raise _failure(resp, "sign result")
    try:
        signature = base64.b64decode(resp.body["signature"], validate=True)
        certificate = _certificate(resp.body["certificate"])
    except (KeyError, TypeError, ValueError) as exc:
        raise OidcError("signing_failed", f"sign result is malformed: {exc!r}") from exc
    public_key = certificate.public_key()
    if not isinstance(public_key, rsa.RSAPublicKey):
        raise OidcError("signature_invalid", "the certificate's key is not RSA")
    try:
        public_key.verify(signature, digest, padding.PKCS1v15(), Prehashed(hashes.SHA256()))
    except InvalidSignature as exc:
        raise OidcError("signature_invalid", "signature does not verify over our digest") from exc
    return SignedDocument(signature, certificate.public_bytes(serialization.Encoding.PEM).decode("ascii"))
