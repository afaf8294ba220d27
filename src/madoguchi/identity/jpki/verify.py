"""Whether a JPKI certificate and a signature made with it may be accepted.

The chain is checked here rather than with `cryptography`'s PolicyBuilder: that verifier is
built for the Web PKI (TLS server/client), reports one generic error for every failure, and
does no revocation, while the resident needs to be told which rule failed (expired, revoked,
wrong certificate…). So: find the issuer by name and key identifier, check its signature with
`verify_directly_issued_by`, its CA constraints, every validity period at `at`, the kind, and
the CRL (fail closed). See docs/identity.md.
"""

from dataclasses import dataclass
from datetime import datetime

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import SignatureAlgorithmOID

from madoguchi.identity.jpki import errors
from madoguchi.identity.jpki.errors import CertificateRejected, ProfileError, SignatureRejected
from madoguchi.identity.jpki.oids import KINDS, SIGNING, Kind
from madoguchi.identity.jpki.profile import (
    BasicInfo,
    basic_info_from,
    certificate_fingerprint,
    is_authentication,
    is_signing,
)

MAX_CHAIN = 5


@dataclass(frozen=True)
class Verified:
    """An accepted certificate: what the login and signing flows may rely on and record."""

    certificate: x509.Certificate
    kind: Kind
    chain: tuple[x509.Certificate, ...]  # leaf first, trust anchor last
    fingerprint: str  # SHA-256 hex of the leaf
    serial_number: int
    issuer: str  # RFC 4514
    not_after: datetime
    checked_at: datetime
    basic_info: BasicInfo | None  # signing certificates only


def _reject(code: str, detail: str, message_ja: str | None = None):
    return CertificateRejected(code, message_ja, detail=detail)


def _ext(cert: x509.Certificate, kind):
    try:
        return cert.extensions.get_extension_for_class(kind).value
    except x509.ExtensionNotFound:
        return None


def _key_ids_agree(cert: x509.Certificate, issuer: x509.Certificate) -> bool | None:
    """True/False when both key identifiers are present, None when one is missing."""
    aki, ski = _ext(cert, x509.AuthorityKeyIdentifier), _ext(issuer, x509.SubjectKeyIdentifier)
    if aki is None or aki.key_identifier is None or ski is None:
        return None
    return aki.key_identifier == ski.digest


def _may_issue(issuer: x509.Certificate, below: int) -> bool:
    """A CA whose pathLenConstraint allows `below` intermediates under it."""
    constraints, usage = _ext(issuer, x509.BasicConstraints), _ext(issuer, x509.KeyUsage)
    if constraints is None or not constraints.ca:
        return False
    if constraints.path_length is not None and below > constraints.path_length:
        return False
    return usage is None or usage.key_cert_sign


def _chain(cert, anchors, intermediates, depth=0) -> list[x509.Certificate]:
    if depth >= MAX_CHAIN:
        raise _reject(errors.UNTRUSTED, "chain too long")
    candidates = [c for c in anchors + intermediates
                  if c.subject == cert.issuer and _key_ids_agree(cert, c) is not False]
    if not candidates:
        raise _reject(errors.UNTRUSTED, f"no known issuer for {cert.issuer.rfc4514_string()}")
    failure = None
    for issuer in candidates:
        try:
            cert.verify_directly_issued_by(issuer)
        except (ValueError, TypeError, InvalidSignature):
            code = errors.TAMPERED if _key_ids_agree(cert, issuer) else errors.UNTRUSTED
            failure = failure or _reject(code, "signature does not verify under the issuer key")
            continue
        if not _may_issue(issuer, depth):
            failure = _reject(errors.UNTRUSTED, "issuer is not a CA allowed to issue here")
            continue
        if issuer in anchors:
            return [cert, issuer]
        try:
            rest = [c for c in intermediates if c != issuer]
            return [cert, *_chain(issuer, anchors, rest, depth + 1)]
        except CertificateRejected as exc:
            failure = exc
    raise failure


def _check_validity(cert: x509.Certificate, at: datetime, what: str) -> None:
    if at < cert.not_valid_before_utc:
        raise _reject(errors.NOT_YET_VALID, f"{what} valid from {cert.not_valid_before_utc}")
    if at > cert.not_valid_after_utc:
        raise _reject(errors.EXPIRED, f"{what} expired {cert.not_valid_after_utc}")


def _check_algorithms(cert: x509.Certificate) -> None:
    key = cert.public_key()
    if not isinstance(key, rsa.RSAPublicKey) or key.key_size < 2048:
        raise _reject(errors.UNSUPPORTED, "JPKI keys are RSA-2048")
    if cert.signature_algorithm_oid != SignatureAlgorithmOID.RSA_WITH_SHA256:
        raise _reject(errors.UNSUPPORTED, "JPKI certificates are signed sha256WithRSAEncryption")


def _check_revocation(cert: x509.Certificate, crl_source, kind: Kind) -> None:
    if crl_source is None:
        raise _reject(errors.CRL_UNAVAILABLE, "no CRL source configured")
    try:
        revoked, reason, revoked_at = crl_source.is_revoked(cert)
    except Exception as exc:  # any failure to learn the status is a refusal (fail closed)
        raise _reject(errors.CRL_UNAVAILABLE, f"{type(exc).__name__}: {exc}") from exc
    if revoked:
        why = reason.value if reason else "unspecified"
        raise _reject(errors.REVOKED, f"revoked {revoked_at} ({why})", errors.REVOKED_JA[kind])


def verify_certificate(cert: x509.Certificate, trust_anchors: list[x509.Certificate],
                       intermediates: list[x509.Certificate], crl_source, at: datetime,
                       expected: Kind) -> Verified:
    """Accept `cert` as a JPKI `expected` ("signing"|"authentication") certificate at `at`.

    `crl_source` has `is_revoked(cert) -> (revoked, reason, date)` (a CrlCache or CrlSet);
    None, or any error from it, refuses. Raises CertificateRejected; order of checks:
    algorithms, chain (untrusted/tampered), kind, validity of every certificate, revocation.
    """
    if expected not in KINDS:
        raise ValueError(f"expected must be one of {KINDS}")
    if at.tzinfo is None:
        raise ValueError("at must be timezone-aware")
    _check_algorithms(cert)
    anchors = list(trust_anchors)
    chain = _chain(cert, anchors, [c for c in intermediates if c not in anchors])
    try:
        kind_ok = is_signing(cert) if expected == SIGNING else is_authentication(cert)
    except ValueError as exc:  # an extension that does not parse
        raise _reject(errors.UNSUPPORTED, f"extensions: {exc}") from exc
    if not kind_ok:
        raise _reject(errors.WRONG_KIND, f"not a JPKI {expected} certificate",
                      errors.WRONG_KIND_JA[expected])
    for position, member in enumerate(chain):
        _check_validity(member, at, "certificate" if position == 0 else "CA certificate")
    _check_revocation(cert, crl_source, expected)
    info = None
    if expected == SIGNING:
        try:
            info = basic_info_from(cert)
        except ProfileError as exc:
            raise _reject(errors.UNSUPPORTED, f"basic information: {exc}") from exc
    return Verified(
        certificate=cert, kind=expected, chain=tuple(chain),
        fingerprint=certificate_fingerprint(cert), serial_number=cert.serial_number,
        issuer=cert.issuer.rfc4514_string(), not_after=cert.not_valid_after_utc,
        checked_at=at, basic_info=info,
    )


def verify_signature(cert: x509.Certificate, data: bytes, signature: bytes) -> None:
    """RSASSA-PKCS1-v1_5 with SHA-256 over `data`, as the card signs; SignatureRejected if not.

    This checks the signature only: call verify_certificate on `cert` as well.
    """
    key = cert.public_key()
    if not isinstance(key, rsa.RSAPublicKey):
        raise SignatureRejected(errors.BAD_SIGNATURE, detail="certificate key is not RSA")
    try:
        key.verify(bytes(signature), bytes(data), padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature as exc:
        raise SignatureRejected(errors.BAD_SIGNATURE, detail="signature does not verify") from exc
