"""Software My Number cards in SoftHSM2, for tests and demos without a card or reader.

A card is a directory: `softhsm2.conf` (SOFTHSM2_CONF points here, never at the system
store), `tokens/` (three tokens, one per application), `pins.json` (the retry counters
the chip would keep: SoftHSM2 keeps none) and `card.json` (card id, labels, certificate
serials and validity — nothing personal). Keys are generated inside the token and cannot
leave it; the CA only ever sees the public keys. The counter file is emulation: whoever
can write the directory can reset it, which a real chip would never allow.
"""

import datetime
import json
import os
import secrets
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicNumbers
from cryptography.hazmat.primitives.serialization import Encoding
from django.utils.translation import gettext as _
from pkcs11 import Attribute, CertificateType, KeyType, ObjectClass

from madoguchi.identity.card import mynumber
from madoguchi.identity.card.applications import APPLICATIONS, AUTHENTICATION, SIGNING
from madoguchi.identity.card.pkcs11 import (
    CARD_FACE_LABEL,
    CardReader,
    load_module,
    reload_module,
)

SOFTHSM2_MODULES = (
    "/usr/lib/softhsm/libsofthsm2.so",
    "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
    "/usr/local/lib/softhsm/libsofthsm2.so",
)
SOFTHSM2_MISSING = (
    "SoftHSM2 is not installed (no libsofthsm2.so / softhsm2-util): install Debian's "
    "'softhsm2' package, e.g. `make card-deps` (apt-get install softhsm2)"
)


class SoftHSMMissing(RuntimeError):
    pass


def softhsm2_module() -> str:
    for path in SOFTHSM2_MODULES:
        if os.path.exists(path):
            return path
    raise SoftHSMMissing(SOFTHSM2_MISSING)


def require_softhsm2() -> tuple[str, str]:
    """(module path, softhsm2-util path), or `SoftHSMMissing` saying what to install."""
    util = shutil.which("softhsm2-util")
    if not util:
        raise SoftHSMMissing(SOFTHSM2_MISSING)
    return softhsm2_module(), util


@dataclass(frozen=True)
class Pins:
    signing: str
    authentication: str
    card_face: str


class FileRetryCounter:
    """The chip's retry counters in `pins.json`: wrong PIN −1, right PIN back to max, 0 locks."""

    def __init__(self, path: Path):
        self.path = Path(path)

    def _read(self) -> dict[str, int]:
        return json.loads(self.path.read_text())

    def _write(self, counts: dict[str, int]) -> None:
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(counts, indent=1))
        os.replace(tmp, self.path)

    def reset_all(self) -> None:
        self._write({key: app.max_tries for key, app in APPLICATIONS.items()})

    def remaining(self, application: str) -> int:
        return int(self._read()[application])

    def failed(self, application: str) -> int:
        counts = self._read()
        counts[application] = max(0, int(counts[application]) - 1)
        self._write(counts)
        return counts[application]

    def succeeded(self, application: str) -> None:
        counts = self._read()
        if counts[application] > 0:  # a locked PIN stays locked
            counts[application] = APPLICATIONS[application].max_tries
            self._write(counts)


class SoftwareCard:
    """An issued software card's directory, and a `CardReader` set up for it."""

    def __init__(self, directory):
        self.directory = Path(directory).resolve()
        meta = self.directory / "card.json"
        if not meta.exists():
            raise FileNotFoundError(f"not a software card directory (no card.json): {self.directory}")
        self.meta = json.loads(meta.read_text())
        self.card_id = self.meta["card_id"]

    @property
    def conf(self) -> Path:
        return self.directory / "softhsm2.conf"

    @property
    def environment(self) -> dict[str, str]:
        return {"SOFTHSM2_CONF": str(self.conf)}

    @property
    def counter(self) -> FileRetryCounter:
        return FileRetryCounter(self.directory / "pins.json")

    def reader(self, module: str | None = None) -> CardReader:
        return CardReader(module or softhsm2_module(), environment=self.environment,
                          counter=self.counter, card_id=self.card_id)


def new_card_id() -> str:
    """Six hex digits: short enough for "<id> (User Authentication PIN)" to fit 32 bytes."""
    return secrets.token_hex(3)


def _write_conf(directory: Path) -> None:
    (directory / "softhsm2.conf").write_text(
        f"# SoftHSM2 store of one software My Number card (SOFTHSM2_CONF={directory / 'softhsm2.conf'})\n"
        f"directories.tokendir = {directory / 'tokens'}\n"
        "objectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n"
    )


def _certificate_template(cert, key_id: bytes, label: str, private: bool) -> dict:
    serial = cert.serial_number.to_bytes((cert.serial_number.bit_length() + 8) // 8, "big")
    return {
        Attribute.CLASS: ObjectClass.CERTIFICATE,
        Attribute.CERTIFICATE_TYPE: CertificateType.X_509,
        Attribute.TOKEN: True,
        Attribute.PRIVATE: private,  # JPKI's signing cert is readable only after the PIN
        Attribute.MODIFIABLE: False,
        Attribute.ID: key_id,
        Attribute.LABEL: label,
        Attribute.SUBJECT: cert.subject.public_bytes(),
        Attribute.ISSUER: cert.issuer.public_bytes(),
        Attribute.SERIAL_NUMBER: b"\x02" + bytes([len(serial)]) + serial,  # DER INTEGER
        Attribute.VALUE: cert.public_bytes(Encoding.DER),
    }


def _generate_key(session, key_id: bytes, label: str):
    """RSA-2048 made inside the token: sensitive, never extractable, for signing only."""
    pub, _priv = session.generate_keypair(
        KeyType.RSA, 2048, id=key_id, label=label, store=True,
        public_template={Attribute.VERIFY: True, Attribute.ENCRYPT: False, Attribute.WRAP: False},
        private_template={Attribute.PRIVATE: True, Attribute.SENSITIVE: True,
                          Attribute.EXTRACTABLE: False, Attribute.SIGN: True,
                          Attribute.DECRYPT: False, Attribute.UNWRAP: False},
    )
    n = int.from_bytes(pub[Attribute.MODULUS], "big")
    e = int.from_bytes(pub[Attribute.PUBLIC_EXPONENT], "big")
    return RSAPublicNumbers(e, n).public_key()


def _card_face(person, my_number: str) -> bytes:
    birth = person.birth_date
    return json.dumps({
        "name": person.name, "address": person.address,
        "birth_date": birth.isoformat() if hasattr(birth, "isoformat") else str(birth),
        "gender": str(person.gender), "my_number": my_number,
    }, ensure_ascii=False).encode("utf-8")


def _cert_summary(cert) -> dict:
    return {"serial": format(cert.serial_number, "x"),
            "not_before": cert.not_valid_before_utc.isoformat(),
            "not_after": cert.not_valid_after_utc.isoformat(),
            "issuer": cert.issuer.rfc4514_string()}


def issue_software_card(ca, person, pins: Pins, token_dir, *, my_number: str | None = None,
                        card_id: str | None = None) -> SoftwareCard:
    """Initialise a card's three tokens in `token_dir`, keys made inside, certs from `ca`.

    `ca` is a `jpki.ca.TestCA`, `person` a `jpki.profile.BasicInfo`; without `my_number`
    the card gets a random well-formed test number. `card_id`: 6 characters, else random.
    """
    for key, app in APPLICATIONS.items():
        app.check_pin(getattr(pins, key))
    my_number = my_number or mynumber.generate()
    if not mynumber.is_valid(my_number):
        raise ValueError(_("個人番号が正しくありません（12桁・検査用数字を確認してください）。"))
    card_id = card_id or new_card_id()
    labels = {key: app.token_label(card_id) for key, app in APPLICATIONS.items()}  # fits 32?
    module, util = require_softhsm2()
    directory = Path(token_dir).resolve()
    if directory.exists() and any(directory.iterdir()):
        raise FileExistsError(f"card directory is not empty: {directory}")
    created = not directory.exists()
    try:
        _issue_into(directory, module, util, ca, person, pins, my_number, card_id, labels)
    except BaseException:
        if created:
            shutil.rmtree(directory, ignore_errors=True)
        raise
    return SoftwareCard(directory)


def _init_token(util: str, label: str, pin: str, environment: dict[str, str]) -> None:
    done = subprocess.run(  # noqa: S603
        [util, "--init-token", "--free", "--label", label, "--so-pin", secrets.token_hex(8),
         "--pin", pin], env={**os.environ, **environment}, capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"softhsm2-util --init-token failed: {done.stderr or done.stdout}")


def _issue_into(directory, module, util, ca, person, pins, my_number, card_id, labels):
    (directory / "tokens").mkdir(parents=True, mode=0o700, exist_ok=True)
    directory.chmod(0o700)
    _write_conf(directory)
    environment = {"SOFTHSM2_CONF": str(directory / "softhsm2.conf")}
    # softhsm2-util only takes PINs on its command line: give it throw-away ones (the SO PIN
    # is discarded: a locked software card is re-issued), then set the real PINs in-process.
    temporary = {key: secrets.token_hex(8) for key in APPLICATIONS}
    for key in APPLICATIONS:
        _init_token(util, labels[key], temporary[key], environment)
    lib = load_module(module, environment)
    reload_module(module)
    summaries = {}
    for key, app in APPLICATIONS.items():
        token = lib.get_token(token_label=labels[key])
        with token.open(rw=True, user_pin=temporary[key]) as session:
            session.set_pin(temporary[key], getattr(pins, key))
            if app is SIGNING or app is AUTHENTICATION:
                key_id = bytes([1 if app is AUTHENTICATION else 2])  # as OpenSC numbers JPKI's
                public_key = _generate_key(session, key_id, f"{app.pin_label.removesuffix(' PIN')} Key")
                cert = (ca.issue_signing_certificate(public_key, person) if app is SIGNING
                        # birth_date only sets the validity (5th birthday); it is not written
                        else ca.issue_authentication_certificate(public_key,
                                                                 birth_date=person.birth_date))
                session.create_object(_certificate_template(
                    cert, key_id, f"{app.pin_label.removesuffix(' PIN')} Certificate",
                    private=app is SIGNING))
                summaries[key] = _cert_summary(cert)
            else:
                session.create_object({
                    Attribute.CLASS: ObjectClass.DATA, Attribute.TOKEN: True,
                    Attribute.PRIVATE: True, Attribute.MODIFIABLE: False,
                    Attribute.LABEL: CARD_FACE_LABEL, Attribute.APPLICATION: "madoguchi",
                    Attribute.VALUE: _card_face(person, my_number),
                })
    FileRetryCounter(directory / "pins.json").reset_all()
    (directory / "card.json").write_text(json.dumps({
        "card_id": card_id,
        "issued_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "labels": labels,
        "certificates": summaries,
    }, indent=1, ensure_ascii=False))
