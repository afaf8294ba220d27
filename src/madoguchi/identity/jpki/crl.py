"""Revocation lists, fetched, signature-checked and cached; unknown status means refusal.

A CRL is reloaded once `refresh_seconds` have passed, so a card revoked at the counter stops
working within that interval. If a reload fails the previous CRL keeps serving until its own
nextUpdate; past nextUpdate nothing is answered (CrlUnavailable) and the verifier refuses.
"""

import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import NamedTuple

from cryptography import x509
from cryptography.exceptions import InvalidSignature

Clock = Callable[[], datetime]
RETRY_AFTER_FAILURE = timedelta(seconds=30)
CLOCK_SKEW = timedelta(minutes=5)


class CrlUnavailable(Exception):
    """No trustworthy, current CRL covers the certificate: callers must fail closed."""


class Revocation(NamedTuple):
    revoked: bool
    reason: x509.ReasonFlags | None
    revoked_at: datetime | None


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _issued_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    try:
        cert.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


class CrlCache:
    """One CRL (path or http(s) URL, DER or PEM) checked against `issuer_certs` and cached."""

    def __init__(self, source, refresh_seconds: float, issuer_certs: Iterable[x509.Certificate],
                 *, clock: Clock | None = None, timeout: float = 10.0,
                 max_bytes: int = 64 * 1024 * 1024):
        self.source = str(source)
        self.refresh = timedelta(seconds=refresh_seconds)
        self.issuer_certs = list(issuer_certs)
        self.clock = clock or _utc_now
        self.timeout = timeout
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        self._crl: x509.CertificateRevocationList | None = None
        self._signer: x509.Certificate | None = None
        self._next_load: datetime | None = None

    def _fetch(self) -> bytes:
        if self.source.startswith(("http://", "https://")):
            request = urllib.request.Request(  # noqa: S310 (http/https only)
                self.source, headers={"User-Agent": "madoguchi-crl"})
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                    data = response.read(self.max_bytes + 1)
            except (OSError, ValueError) as exc:  # URLError and HTTPError are OSErrors
                raise CrlUnavailable(f"fetching {self.source}: {exc}") from exc
        else:
            try:
                data = Path(self.source).read_bytes()
            except OSError as exc:
                raise CrlUnavailable(f"reading {self.source}: {exc}") from exc
        if len(data) > self.max_bytes:
            raise CrlUnavailable(f"{self.source} is larger than {self.max_bytes} bytes")
        return data

    def _parse(self, data: bytes, now: datetime):
        try:
            if data.lstrip().startswith(b"-----BEGIN"):
                crl = x509.load_pem_x509_crl(data)
            else:
                crl = x509.load_der_x509_crl(data)
        except ValueError as exc:
            raise CrlUnavailable(f"{self.source} is not a CRL") from exc
        signer = next((c for c in self.issuer_certs if c.subject == crl.issuer
                       and _may_sign_crls(c) and crl.is_signature_valid(c.public_key())), None)
        if signer is None:
            raise CrlUnavailable(f"{self.source}: signature does not verify under any issuer")
        if crl.last_update_utc > now + CLOCK_SKEW:
            raise CrlUnavailable(f"{self.source}: thisUpdate is in the future")
        if self._crl is not None and crl.last_update_utc < self._crl.last_update_utc:
            raise CrlUnavailable(f"{self.source}: older than the CRL already held (replay?)")
        _check_current(crl, now, self.source)
        return crl, signer

    def current(self) -> tuple[x509.CertificateRevocationList, x509.Certificate]:
        """The CRL and the certificate whose key signed it, reloading when due."""
        now = self.clock()
        with self._lock:
            if self._next_load is None or now >= self._next_load:
                try:
                    self._crl, self._signer = self._parse(self._fetch(), now)
                    self._next_load = now + self.refresh
                except CrlUnavailable:
                    self._next_load = now + min(self.refresh, RETRY_AFTER_FAILURE)
                    if self._crl is None:
                        raise
            crl, signer = self._crl, self._signer
        if crl is None or signer is None:
            raise CrlUnavailable(f"{self.source}: no CRL loaded")
        _check_current(crl, now, self.source)
        return crl, signer

    def refresh_now(self) -> None:
        """Forget the schedule so the next lookup reloads (e.g. after a revocation at the counter)."""
        with self._lock:
            self._next_load = None

    def covers(self, cert: x509.Certificate) -> bool:
        """Whether this CRL is the one for `cert`: same issuer name, and its signer issued `cert`."""
        crl, signer = self.current()
        return cert.issuer == crl.issuer and _issued_by(cert, signer)

    def is_revoked(self, cert: x509.Certificate) -> Revocation:
        """(revoked, reason, date); CrlUnavailable unless this CRL's signer issued `cert`."""
        found = self.lookup(cert)
        if found is None:
            raise CrlUnavailable(f"{self.source} does not cover this certificate's issuer")
        return found

    def lookup(self, cert: x509.Certificate) -> Revocation | None:
        """Like is_revoked, but None when this CRL is not the one for `cert` (one signature
        check instead of covers() followed by is_revoked())."""
        crl, signer = self.current()
        if cert.issuer != crl.issuer or not _issued_by(cert, signer):
            return None
        entry = crl.get_revoked_certificate_by_serial_number(cert.serial_number)
        if entry is None:
            return Revocation(False, None, None)
        try:
            reason = entry.extensions.get_extension_for_class(x509.CRLReason).value.reason
        except x509.ExtensionNotFound:
            reason = None
        return Revocation(True, reason, entry.revocation_date_utc)


class CrlSet:
    """Several CRLs (one per issuing CA: 署名用, 利用者証明用); asks the one issued for the cert.

    Each cache may be given every CA certificate as `issuer_certs`: the loaded CRL's issuer and
    signer decide which certificates it answers for.
    """

    def __init__(self, caches: Iterable[CrlCache]):
        self.caches = list(caches)

    def is_revoked(self, cert: x509.Certificate) -> Revocation:
        failures = []
        for cache in self.caches:
            try:
                found = cache.lookup(cert)
                if found is not None:
                    return found
            except CrlUnavailable as exc:  # another CRL may still be the right one
                failures.append(str(exc))
        raise CrlUnavailable("; ".join(failures) or "no configured CRL covers this issuer")


def _may_sign_crls(cert: x509.Certificate) -> bool:
    try:
        return cert.extensions.get_extension_for_class(x509.KeyUsage).value.crl_sign
    except x509.ExtensionNotFound:
        return True


def _check_current(crl: x509.CertificateRevocationList, now: datetime, source: str) -> None:
    if crl.next_update_utc is None or now >= crl.next_update_utc:
        raise CrlUnavailable(f"{source}: past nextUpdate")
