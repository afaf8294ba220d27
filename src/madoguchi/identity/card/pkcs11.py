"""One client for every PKCS#11 module: SoftHSM2 software cards and OpenSC with a real card.

The module path comes from configuration; nothing here knows which one it talks to, except
that a software card lends a `RetryCounter` (SoftHSM2 does not count wrong PINs the way
the chip does) and an environment (SOFTHSM2_CONF) the module must be initialised with.
A real card reports its counter through the token flags, which is all PKCS#11 gives.
"""

import hashlib
import json
import os
from dataclasses import dataclass
from typing import Protocol

import pkcs11
from cryptography import x509
from django.utils.translation import gettext as _
from pkcs11 import Attribute, CertificateType, KeyType, Mechanism, ObjectClass, TokenFlag
from pkcs11 import exceptions as p11

from madoguchi.identity.card import applications, messages
from madoguchi.identity.card.applications import Application

CARD_FACE_LABEL = "card-face"  # the CKO_DATA object holding the 券面事項 as JSON
# DigestInfo prefix for SHA-256 (RFC 8017 §9.2), for modules without CKM_SHA256_RSA_PKCS.
_SHA256_DIGEST_INFO = bytes.fromhex("3031300d060960864801650304020105000420")


class CardError(Exception):
    """Anything the resident should be told; `message` is Japanese, for the CLI and pages."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class ApplicationNotFound(CardError):
    pass


class NotLoggedIn(CardError):
    pass


class PinError(CardError):
    """A wrong PIN; `remaining` tries are left (None: the card only says "fewer than max")."""

    def __init__(self, application: Application, remaining: int | None):
        super().__init__(messages.wrong_pin(application.key, remaining, application.max_tries))
        self.application = application
        self.remaining = remaining


class PinLocked(CardError):
    """No tries left: even the right PIN is refused until the municipal counter resets it."""

    def __init__(self, application: Application):
        super().__init__(messages.locked(application.key))
        self.application = application


@dataclass(frozen=True)
class Tries:
    remaining: int | None  # None when the card only reports CKF_USER_PIN_COUNT_LOW
    maximum: int

    @property
    def locked(self) -> bool:
        return self.remaining == 0

    def message(self, application: Application) -> str:
        return messages.tries_left(application.key, self.remaining, self.maximum)


class RetryCounter(Protocol):
    """Emulates the chip's PIN counter for modules that keep none (SoftHSM2)."""

    def remaining(self, application: str) -> int: ...
    def failed(self, application: str) -> int: ...
    def succeeded(self, application: str) -> None: ...


@dataclass(frozen=True)
class TokenInfo:
    label: str
    serial: str
    manufacturer: str
    model: str
    application: str | None  # the application key its label names, if any


@dataclass(frozen=True)
class CardFace:
    """券面事項入力補助: the 基本4情報 and the 個人番号."""

    name: str
    address: str
    birth_date: str
    gender: str
    my_number: str


_initialised_with: dict[str, dict[str, str]] = {}


def load_module(module_path: str, environment: dict[str, str] | None = None):
    """The module, initialised with `environment` (C_Finalize + C_Initialize when it changed).

    SoftHSM2 reads SOFTHSM2_CONF only in C_Initialize, so a process that moves between
    software cards must re-initialise; sessions of the previous card end then.
    """
    environment = dict(environment or {})
    if not os.path.exists(module_path):
        raise CardError(_("PKCS#11 モジュールが見つかりません: %(path)s") % {"path": module_path})
    previous = _initialised_with.get(module_path)
    os.environ.update(environment)
    lib = pkcs11.lib(module_path)
    if environment and previous is not None and previous != environment:
        lib.reinitialize()
    if environment or previous is None:
        _initialised_with[module_path] = environment
    return lib


def reload_module(module_path: str) -> None:
    """Re-initialise so that tokens created by another process (softhsm2-util) appear."""
    pkcs11.lib(module_path).reinitialize()


class CardReader:
    """The card in the reader (or a software card): its tokens, one per application."""

    def __init__(self, module_path: str, *, environment: dict[str, str] | None = None,
                 counter: RetryCounter | None = None, card_id: str | None = None):
        self.module_path = module_path
        self.environment = dict(environment or {})
        self.counter = counter
        self.card_id = card_id  # a label prefix to pick one card when several are present

    @property
    def lib(self):
        return load_module(self.module_path, self.environment)

    def _tokens(self):
        for slot in self.lib.get_slots(token_present=True):
            try:
                token = slot.get_token()
            except (p11.TokenNotPresent, p11.TokenNotRecognised):
                continue
            if token.flags & TokenFlag.TOKEN_INITIALIZED and token.label.strip():
                yield token

    def tokens(self) -> list[TokenInfo]:
        out = []
        for t in self._tokens():
            app = applications.for_label(t.label)
            out.append(TokenInfo(t.label.strip(), t.serial.decode(errors="replace").strip(),
                                 t.manufacturer_id.strip(), t.model.strip(),
                                 app.key if app else None))
        return out

    def _token(self, application: Application):
        found = [t for t in self._tokens() if application.matches(t.label)
                 and (self.card_id is None or t.label.strip().startswith(self.card_id))]
        if not found:
            if application.key == "card_face":
                raise ApplicationNotFound(_(
                    "カードに%(app)sが見つかりません（OpenSC ではこのアプリケーションは使えません）。"
                    "カードがリーダーに置かれているか確認してください。") % {"app": application.name})
            raise ApplicationNotFound(_(
                "カードに%(app)sが見つかりません。カードがリーダーに置かれているか確認してください。")
                % {"app": application.name})
        if len(found) > 1:
            raise CardError(_("カードが複数見つかりました。1枚だけリーダーに置いてください。"))
        return found[0]

    def open(self, application: str) -> "CardApplication":
        app = applications.get(application)
        return CardApplication(self, app, self._token(app))


class CardApplication:
    """One application of the card: a session, its PIN counter, its key, cert or data."""

    def __init__(self, reader: CardReader, application: Application, token):
        self.reader = reader
        self.application = application
        self.label = token.label.strip()
        self._token = token
        self._session = token.open()
        self.logged_in = False

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None

    def remaining_tries(self) -> Tries:
        maximum = self.application.max_tries
        if self.reader.counter is not None:
            return Tries(self.reader.counter.remaining(self.application.key), maximum)
        flags = self._token.slot.get_token().flags  # fresh token info: the card's own count
        if flags & TokenFlag.USER_PIN_LOCKED:
            return Tries(0, maximum)
        if flags & TokenFlag.USER_PIN_FINAL_TRY:
            return Tries(1, maximum)
        if flags & TokenFlag.USER_PIN_COUNT_LOW:
            return Tries(2 if maximum == 3 else None, maximum)
        return Tries(maximum, maximum)

    def login(self, pin: str) -> None:
        """Verify the PIN on the card; raises `PinError(remaining)` or `PinLocked`."""
        app, counter = self.application, self.reader.counter
        if counter is not None and counter.remaining(app.key) <= 0:
            raise PinLocked(app)
        try:
            session = self._token.open(user_pin=pin)
        except (p11.PinIncorrect, p11.PinInvalid, p11.PinLenRange):
            if counter is not None:
                remaining = counter.failed(app.key)
            else:
                remaining = self.remaining_tries().remaining
            if remaining == 0:
                raise PinLocked(app) from None
            raise PinError(app, remaining) from None
        except p11.PinLocked:
            raise PinLocked(app) from None
        if counter is not None:
            counter.succeeded(app.key)
        self.close()
        self._session, self.logged_in = session, True

    def certificate(self) -> x509.Certificate:
        """The card's own certificate (not a CA's). JPKI's signing cert needs the PIN first."""
        certs = []
        for obj in self._session.get_objects({Attribute.CLASS: ObjectClass.CERTIFICATE,
                                              Attribute.CERTIFICATE_TYPE: CertificateType.X_509}):
            cert = x509.load_der_x509_certificate(obj[Attribute.VALUE])
            try:
                is_ca = cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
            except x509.ExtensionNotFound:
                is_ca = False
            if not is_ca:
                certs.append((obj[Attribute.ID], cert))
        if not certs:
            if not self.logged_in:
                raise NotLoggedIn(_("%(app)sを読み出すには%(pin)sを入力してください。") % {
                    "app": self.application.name, "pin": self.application.pin_name})
            raise ApplicationNotFound(_("カードに%(app)sがありません。") % {"app": self.application.name})
        key_ids = {k[Attribute.ID] for k in self._session.get_objects(
            {Attribute.CLASS: ObjectClass.PUBLIC_KEY})}
        certs.sort(key=lambda c: c[0] not in key_ids)
        return certs[0][1]

    def sign(self, data: bytes) -> bytes:
        """RSA PKCS#1 v1.5 with SHA-256 (as JPKI), the private key never leaving the card."""
        self._require_login()
        keys = list(self._session.get_objects({Attribute.CLASS: ObjectClass.PRIVATE_KEY,
                                               Attribute.KEY_TYPE: KeyType.RSA}))
        if not keys:
            raise ApplicationNotFound(_("カードに%(app)sの秘密鍵がありません。") % {"app": self.application.name})
        key = keys[0]
        try:
            return key.sign(data, mechanism=Mechanism.SHA256_RSA_PKCS)
        except p11.MechanismInvalid:  # hash here, let the card pad and sign the DigestInfo
            digest_info = _SHA256_DIGEST_INFO + hashlib.sha256(data).digest()
            return key.sign(digest_info, mechanism=Mechanism.RSA_PKCS)

    def card_face(self) -> CardFace:
        """基本4情報 and 個人番号 from the card-face data object (needs the card-face PIN)."""
        if self.application.key != "card_face":
            raise CardError(_("券面事項は券面事項入力補助アプリケーションからのみ読み出せます。"))
        self._require_login()
        for obj in self._session.get_objects({Attribute.CLASS: ObjectClass.DATA,
                                              Attribute.LABEL: CARD_FACE_LABEL}):
            data = json.loads(bytes(obj[Attribute.VALUE]).decode("utf-8"))
            return CardFace(**{k: str(data[k]) for k in CardFace.__dataclass_fields__})
        raise ApplicationNotFound(_("カードに券面事項がありません。"))

    def _require_login(self) -> None:
        if not self.logged_in:
            raise NotLoggedIn(_("%(pin)sを入力してください。") % {"pin": self.application.pin_name})
