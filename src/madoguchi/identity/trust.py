"""The configured JPKI trust: anchors, intermediates and CRLs, loaded once per process.

In production the settings name J-LIS's root and CA certificates and CRL locations. When they
are empty (a demo or a laptop), the test CA in MADOGUCHI_JPKI_DIR stands in for J-LIS.
"""

from functools import lru_cache
from pathlib import Path

from cryptography import x509
from django.conf import settings

from madoguchi.identity.jpki.crl import CrlCache, CrlSet


def _certificates(paths) -> list[x509.Certificate]:
    found: list[x509.Certificate] = []
    for path in paths:
        found.extend(x509.load_pem_x509_certificates(Path(path).read_bytes()))
    return found


class Trust:
    def __init__(self, anchors, intermediates, crl_sources, refresh_seconds):
        self.anchors = anchors
        self.intermediates = intermediates
        issuers = anchors + intermediates
        self.crls = CrlSet(CrlCache(source, refresh_seconds, issuers) for source in crl_sources)


@lru_cache(maxsize=1)
def trust() -> Trust:
    anchors = settings.MADOGUCHI_JPKI_TRUST_ANCHORS
    intermediates = settings.MADOGUCHI_JPKI_INTERMEDIATES
    crls = settings.MADOGUCHI_JPKI_CRLS
    directory = Path(settings.MADOGUCHI_JPKI_DIR)
    if not anchors and (directory / "root-ca.pem").exists():
        anchors = [directory / "root-ca.pem"]
        intermediates = [directory / "signing-ca.pem", directory / "authentication-ca.pem"]
        crls = crls or [directory / "signing.crl", directory / "authentication.crl"]
    return Trust(_certificates(anchors), _certificates(intermediates), crls,
                 settings.MADOGUCHI_JPKI_CRL_REFRESH_SECONDS)


def reset() -> None:
    """Forget the loaded trust (tests, or after an operator changes the settings)."""
    trust.cache_clear()
