"""A test certificate authority standing in for LGPKI (地方公共団体組織認証基盤), as the JPKI test
CA (identity/jpki/ca.py) stands in for J-LIS: so a city's notices can be sealed and checked
without a real 職責証明書.

One root, 「LGPKI test 組織認証局」, issues each city a 職責証明書 for its mayor (CN 「デモ市長」),
with the key usage LGPKI gives signing certificates (digitalSignature + nonRepudiation, critical)
and the extended key usage none (PAdES needs none). The names follow the shape of LGPKI's
(C=JP, O=<the CA's organisation>, OU=<団体名>, CN=<職責>) with a test organisation, so that no
test certificate can be mistaken for LGPKI's. Keys are RSA-2048 as LGPKI's; unencrypted PEM for
the CA (test use only), a PKCS#12 with a random passphrase (in a file beside it) for each seal,
the way a city receives its real one.
"""

import json
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from madoguchi.core.files import PRIVATE, PUBLIC, write_atomically

ORGANIZATION = "LGPKI-MADOGUCHI-TEST"  # LGPKI writes O=LGPKI; never confuse the two
ROOT_COMMON_NAME = "LGPKI test 組織認証局"  # ja-only: the test CA's name, as LGPKI's 組織認証局
ROOT_FILE = "root.pem"
ROOT_KEY_FILE = "root.key.pem"
SEAL_YEARS = 3
CRL_URL = "http://lgpki-test.invalid/crl.der"


def _now(value: datetime | None) -> datetime:
    return (value or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _write(path: Path, data: bytes, private: bool = False) -> None:
    write_atomically(path, data, PRIVATE if private else PUBLIC)


def seal_subject(city_name: str, title: str | None = None) -> x509.Name:
    """The 職責証明書's subject: the city (団体名) and the office (職責, e.g. デモ市長)."""
    return x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "JP"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORGANIZATION),
        x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, city_name),
        x509.NameAttribute(NameOID.COMMON_NAME, title or f"{city_name}長"),  # ja-only: 職責 (the mayor)
    ])


@dataclass
class SealFiles:
    """Where one city's test seal was written: what its seal_config names."""

    pkcs12: Path
    passphrase_file: Path
    key: Path  # the same key as PEM, to import into an HSM (SoftHSM2) for the PKCS#11 path
    certificate: Path
    chain: Path

    def config(self) -> dict:
        return {"kind": "file", "pkcs12": str(self.pkcs12), "passphrase_file": str(self.passphrase_file)}


@dataclass
class SealTestCA:
    """The LGPKI stand-in: `create` or `load` a directory, then `issue` a city's seal."""

    __test__ = False  # not a pytest test class

    directory: Path
    key: rsa.RSAPrivateKey = field(repr=False)
    root: x509.Certificate

    @classmethod
    def create(cls, directory, now: datetime | None = None):
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        if (directory / ROOT_FILE).exists():
            raise FileExistsError(f"a test LGPKI already exists in {directory}")
        key, start = new_key(), _now(now)
        name = x509.Name([
            x509.NameAttribute(NameOID.COUNTRY_NAME, "JP"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORGANIZATION),
            x509.NameAttribute(NameOID.COMMON_NAME, ROOT_COMMON_NAME),
        ])
        root = (
            x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(start).not_valid_after(start + timedelta(days=365 * 20))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False),
                           critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256())
        )
        _write(directory / ROOT_KEY_FILE, key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption()), private=True)
        _write(directory / ROOT_FILE, root.public_bytes(serialization.Encoding.PEM))
        return cls(directory, key, root)

    @classmethod
    def load(cls, directory):
        directory = Path(directory)
        key = serialization.load_pem_private_key((directory / ROOT_KEY_FILE).read_bytes(), password=None)
        root = x509.load_pem_x509_certificate((directory / ROOT_FILE).read_bytes())
        return cls(directory, key, root)

    @classmethod
    def open(cls, directory):
        """The CA in `directory`, created when missing."""
        directory = Path(directory)
        return cls.load(directory) if (directory / ROOT_FILE).exists() else cls.create(directory)

    @property
    def root_path(self) -> Path:
        return self.directory / ROOT_FILE

    def issue(self, public_key, city_name: str, *, title: str | None = None,
              not_before: datetime | None = None, days: int = 365 * SEAL_YEARS,
              key_usage: x509.KeyUsage | None = None) -> x509.Certificate:
        """A 職責証明書 for the city's office (its mayor by default)."""
        start = _now(not_before)
        usage = key_usage or x509.KeyUsage(digital_signature=True, content_commitment=True,
                                           key_encipherment=False, data_encipherment=False,
                                           key_agreement=False, key_cert_sign=False, crl_sign=False,
                                           encipher_only=False, decipher_only=False)
        ski = self.root.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
        return (
            x509.CertificateBuilder().subject_name(seal_subject(city_name, title))
            .issuer_name(self.root.subject).public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(start).not_valid_after(start + timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(usage, critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), critical=False)
            # Where the CRL is published, as LGPKI's certificates say; never fetched (.invalid):
            # relying parties are given the file (MADOGUCHI_SEAL_CRLS).
            .add_extension(x509.CRLDistributionPoints([x509.DistributionPoint(
                [x509.UniformResourceIdentifier(CRL_URL)], None, None, None)]), critical=False)
            .sign(self.key, hashes.SHA256())
        )

    def issue_time_stamping(self, public_key, not_before: datetime | None = None) -> x509.Certificate:
        """A time-stamping authority's certificate (RFC 3161: extended key usage timeStamping,
        critical), for a local TSA in tests of PAdES B-T."""
        start = _now(not_before)
        name = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "JP"),
                          x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORGANIZATION),
                          x509.NameAttribute(NameOID.COMMON_NAME, "Madoguchi test TSA")])
        return (
            x509.CertificateBuilder().subject_name(name).issuer_name(self.root.subject)
            .public_key(public_key).serial_number(x509.random_serial_number())
            .not_valid_before(start).not_valid_after(start + timedelta(days=365 * SEAL_YEARS))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(True, True, False, False, False, False, False, False, False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
            .sign(self.key, hashes.SHA256())
        )

    def write_crl(self, revoked: list[x509.Certificate] = (), now: datetime | None = None) -> Path:
        """The CA's CRL (DER, crl.der) listing `revoked`, as LGPKI publishes its CRL for
        relying parties to download (MADOGUCHI_SEAL_CRLS names the files)."""
        start = _now(now)
        builder = (x509.CertificateRevocationListBuilder().issuer_name(self.root.subject)
                   .last_update(start).next_update(start + timedelta(days=7))
                   .add_extension(x509.CRLNumber(int(start.timestamp())), critical=False))
        for cert in revoked:
            builder = builder.add_revoked_certificate(
                x509.RevokedCertificateBuilder().serial_number(cert.serial_number)
                .revocation_date(start - timedelta(minutes=1)).build())
        path = self.directory / "crl.der"
        _write(path, builder.sign(self.key, hashes.SHA256()).public_bytes(serialization.Encoding.DER))
        return path

    def write_seal(self, slug: str, city_name: str, key: rsa.RSAPrivateKey | None = None, **issue) -> SealFiles:
        """Issue the city's seal and write it under seals/<slug>/ as the city would keep it."""
        key = key or new_key()
        cert = self.issue(key.public_key(), city_name, **issue)
        folder = self.directory / "seals" / slug
        folder.mkdir(parents=True, exist_ok=True)
        folder.chmod(0o700)
        passphrase = secrets.token_urlsafe(18)
        files = SealFiles(folder / "seal.p12", folder / "passphrase", folder / "seal.key.pem",
                          folder / "seal.pem", folder / "chain.pem")
        _write(files.passphrase_file, passphrase.encode(), private=True)
        _write(files.pkcs12, pkcs12.serialize_key_and_certificates(
            slug.encode(), key, cert, [self.root],
            serialization.BestAvailableEncryption(passphrase.encode())), private=True)
        _write(files.key, key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                            serialization.NoEncryption()), private=True)
        _write(files.certificate, cert.public_bytes(serialization.Encoding.PEM))
        _write(files.chain, self.root.public_bytes(serialization.Encoding.PEM))
        _write(folder / "issued.json", json.dumps({
            "subject": cert.subject.rfc4514_string(), "serial": format(cert.serial_number, "x"),
            "not_after": cert.not_valid_after_utc.isoformat()}, ensure_ascii=False, indent=1).encode())
        return files
