"""A test certificate authority standing in for J-LIS, so every rule can be tested without a card.

One root and two issuing CAs (署名用, 利用者証明用), because J-LIS keeps the two hierarchies
apart and the verifier must not accept one kind's CA for the other. J-LIS's CA certificates
are self-signed; the extra root here makes tests walk a real intermediate as well (the verifier
accepts a leaf issued directly by an anchor too). Keys are unencrypted PEM: test use only.
"""

import json
import secrets
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from madoguchi.core.files import PRIVATE, PUBLIC, write_atomically
from madoguchi.identity.jpki import oids
from madoguchi.identity.jpki.oids import AUTHENTICATION, KINDS, SIGNING, Kind
from madoguchi.identity.jpki.profile import BasicInfo, default_not_after, subject_alt_names

ORGANIZATION = "JPKI-MADOGUCHI-TEST"  # J-LIS writes O=JPKI; never confuse the two
CPS_URI = "https://madoguchi.invalid/jpki-test/cps"
ROOT_NAME = x509.Name([
    x509.NameAttribute(NameOID.COUNTRY_NAME, "JP"),
    x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORGANIZATION),
    x509.NameAttribute(NameOID.COMMON_NAME, "Madoguchi test root (not J-LIS)"),
])
FILES = {"root": "root-ca", SIGNING: "signing-ca", AUTHENTICATION: "authentication-ca"}
FIRST_SERIAL = 0x1000
_ID_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def issuer_name(kind: Kind) -> x509.Name:
    """The profile's issuer DN form, with the test organisation."""
    return x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "JP"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORGANIZATION),
        x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, oids.OU_BY_KIND[kind]),
        x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, oids.OU_JLIS),
    ])


def _now(value: datetime | None) -> datetime:
    value = value or datetime.now(UTC)
    if value.tzinfo is None:
        raise ValueError("datetimes must be timezone-aware")
    return value.astimezone(UTC).replace(microsecond=0)


def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _ca_cert(subject, key, issuer, issuer_key, start, years, path_length):
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    builder = (
        x509.CertificateBuilder().subject_name(subject).issuer_name(issuer.subject if issuer else subject)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(start).not_valid_after(start + timedelta(days=365 * years))
        .add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
        .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False),
                       critical=True)
        .add_extension(ski, critical=False)
    )
    if issuer:
        builder = builder.add_extension(_aki(issuer), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def _aki(issuer: x509.Certificate) -> x509.AuthorityKeyIdentifier:
    ski = issuer.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    return x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski)


def _write(path: Path, data: bytes, private: bool = False) -> None:
    write_atomically(path, data, PRIVATE if private else PUBLIC)


def _reason(reason) -> x509.ReasonFlags:
    if isinstance(reason, x509.ReasonFlags):
        flag = reason
    else:
        flag = x509.ReasonFlags[reason] if reason in x509.ReasonFlags.__members__ \
            else x509.ReasonFlags(reason)
    if flag is x509.ReasonFlags.remove_from_crl:
        raise ValueError("removeFromCRL is for delta CRLs")
    return flag


@dataclass
class TestCA:
    """J-LIS stand-in: `create` or `load` a directory, issue, revoke, publish CRLs."""

    __test__ = False  # not a pytest test class

    directory: Path
    keys: dict = field(repr=False)
    certs: dict
    state: dict

    @classmethod
    def create(cls, directory, now: datetime | None = None, *, crl_base_url: str | None = None):
        """New keys and CA certificates in `directory` (refuses to overwrite an existing CA)."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        if (directory / "state.json").exists():
            raise FileExistsError(f"a test CA already exists in {directory}")
        start = _now(now)
        keys = {name: _key() for name in FILES}
        certs = {"root": _ca_cert(ROOT_NAME, keys["root"], None, keys["root"], start, 20, None)}
        for kind in KINDS:
            certs[kind] = _ca_cert(issuer_name(kind), keys[kind], certs["root"], keys["root"],
                                   start, 10, 0)
        state = {"version": 1, "next_serial": FIRST_SERIAL, "crl_base_url": crl_base_url,
                 "crl_number": dict.fromkeys(KINDS, 1), "issued": {}, "revoked": {}}
        ca = cls(directory, keys, certs, state)
        for name, stem in FILES.items():
            _write(directory / f"{stem}.key.pem", keys[name].private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption()), private=True)
            _write(directory / f"{stem}.pem", certs[name].public_bytes(serialization.Encoding.PEM))
        ca._save()
        return ca

    @classmethod
    def load(cls, directory):
        directory = Path(directory)
        keys, certs = {}, {}
        for name, stem in FILES.items():
            keys[name] = serialization.load_pem_private_key(
                (directory / f"{stem}.key.pem").read_bytes(), password=None)
            certs[name] = x509.load_pem_x509_certificate((directory / f"{stem}.pem").read_bytes())
        state = json.loads((directory / "state.json").read_text(encoding="utf-8"))
        return cls(directory, keys, certs, state)

    def _save(self) -> None:
        data = json.dumps(self.state, ensure_ascii=False, indent=2, sort_keys=True)
        _write(self.directory / "state.json", data.encode("utf-8"))

    @property
    def root_certificate(self) -> x509.Certificate:
        return self.certs["root"]

    def issuer_certificate(self, kind: Kind) -> x509.Certificate:
        return self.certs[kind]

    @property
    def trust_anchors(self) -> list[x509.Certificate]:
        return [self.certs["root"]]

    @property
    def intermediates(self) -> list[x509.Certificate]:
        return [self.certs[SIGNING], self.certs[AUTHENTICATION]]

    def _issue(self, kind: Kind, public_key, subject, not_before, not_after, extensions):
        if not isinstance(public_key, rsa.RSAPublicKey) or public_key.key_size != 2048:
            raise ValueError("JPKI keys are RSA-2048")
        serial = self.state["next_serial"]
        issuer = self.certs[kind]
        builder = (
            x509.CertificateBuilder().subject_name(subject).issuer_name(issuer.subject)
            .public_key(public_key).serial_number(serial)
            .not_valid_before(not_before).not_valid_after(not_after)
            .add_extension(x509.CertificatePolicies([x509.PolicyInformation(
                oids.POLICY_BY_KIND[kind], [CPS_URI])]), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
            .add_extension(_aki(issuer), critical=False)
        )
        for extension, critical in extensions:
            builder = builder.add_extension(extension, critical=critical)
        if self.state.get("crl_base_url"):
            url = f"{self.state['crl_base_url'].rstrip('/')}/{kind}.crl"
            builder = builder.add_extension(x509.CRLDistributionPoints([x509.DistributionPoint(
                [x509.UniformResourceIdentifier(url)], None, None, None)]), critical=False)
        cert = builder.sign(self.keys[kind], hashes.SHA256())
        self.state["next_serial"] = serial + 1
        self.state["issued"][str(serial)] = kind
        self._save()
        return cert

    def _validity(self, not_before, not_after, birth_date: date | None):
        start = _now(not_before)
        if not_after is None:
            if birth_date is None:
                raise ValueError("give birth_date or not_after")
            not_after = default_not_after(start, birth_date)
        return start, _now(not_after)

    def issue_signing_certificate(self, public_key, person: BasicInfo, not_before=None,
                                  not_after=None, *, locality=("Tokyo", "Chiyoda-ku")):
        """署名用: subject C=JP, L=<都道府県>, L=<市区町村> (romaji), CN=<opaque id>; 基本4情報 in SAN."""
        start, end = self._validity(not_before, not_after, person.birth_date)
        subject = x509.Name([
            x509.NameAttribute(NameOID.COUNTRY_NAME, "JP"),
            x509.NameAttribute(NameOID.LOCALITY_NAME, locality[0]),
            x509.NameAttribute(NameOID.LOCALITY_NAME, locality[1]),
            x509.NameAttribute(NameOID.COMMON_NAME, _opaque_id(start)),
        ])
        usage = x509.KeyUsage(True, True, False, False, False, False, False, False, False)
        san = x509.SubjectAlternativeName(subject_alt_names(person))
        return self._issue(SIGNING, public_key, subject, start, end, [(usage, True), (san, False)])

    def issue_authentication_certificate(self, public_key, *, birth_date: date | None = None,
                                         not_before=None, not_after=None):
        """利用者証明用: subject C=JP, CN=<opaque id>, no personal data at all.

        `birth_date` only sets the default validity (5th birthday) and is not written.
        """
        start, end = self._validity(not_before, not_after, birth_date)
        subject = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "JP"),
                             x509.NameAttribute(NameOID.COMMON_NAME, _opaque_id(start))])
        usage = x509.KeyUsage(True, False, False, False, False, False, False, False, False)
        return self._issue(AUTHENTICATION, public_key, subject, start, end, [(usage, True)])

    def revoke(self, serial: int, reason=x509.ReasonFlags.unspecified,
               when: datetime | None = None) -> None:
        """Record a revocation (first one wins); it appears in CRLs made at or after `when`."""
        kind = self.state["issued"].get(str(serial))
        if kind is None:
            raise ValueError(f"serial {serial} was not issued by this CA")
        self.state["revoked"].setdefault(str(serial), {
            "kind": kind, "date": _now(when).isoformat(), "reason": _reason(reason).value})
        self._save()

    def crl(self, kind: Kind, now: datetime | None = None,
            lifetime: timedelta = timedelta(days=1)) -> x509.CertificateRevocationList:
        """A signed full CRL for one issuing CA, thisUpdate `now`, nextUpdate `now + lifetime`."""
        this_update = _now(now)
        number = self.state["crl_number"][kind]
        builder = (
            x509.CertificateRevocationListBuilder().issuer_name(self.certs[kind].subject)
            .last_update(this_update).next_update(this_update + lifetime)
            .add_extension(x509.CRLNumber(number), critical=False)
            .add_extension(_aki(self.certs[kind]), critical=False)
        )
        for serial, entry in sorted(self.state["revoked"].items()):
            revoked_at = datetime.fromisoformat(entry["date"])
            if entry["kind"] != kind or revoked_at > this_update:
                continue
            revoked = x509.RevokedCertificateBuilder().serial_number(int(serial)) \
                .revocation_date(revoked_at)
            if entry["reason"] != x509.ReasonFlags.unspecified.value:
                revoked = revoked.add_extension(
                    x509.CRLReason(x509.ReasonFlags(entry["reason"])), critical=False)
            builder = builder.add_revoked_certificate(revoked.build())
        self.state["crl_number"][kind] = number + 1
        self._save()
        return builder.sign(self.keys[kind], hashes.SHA256())

    def write_crls(self, now: datetime | None = None,
                   lifetime: timedelta = timedelta(days=1)) -> dict[str, Path]:
        """Write <kind>.crl (DER) and <kind>.crl.pem for both kinds; returns the DER paths."""
        paths = {}
        for kind in KINDS:
            crl = self.crl(kind, now, lifetime)
            paths[kind] = self.directory / f"{kind}.crl"
            _write(paths[kind], crl.public_bytes(serialization.Encoding.DER))
            _write(self.directory / f"{kind}.crl.pem", crl.public_bytes(serialization.Encoding.PEM))
        return paths


def _opaque_id(issued_at: datetime) -> str:
    """23 characters, like J-LIS's subject CN: issue date then random upper-case alphanumerics."""
    return issued_at.strftime("%Y%m%d") + "".join(
        secrets.choice(_ID_ALPHABET) for _ in range(15))
