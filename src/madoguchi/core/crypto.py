"""Encryption at rest for answers, attachments, the 個人番号 and free text about a case.

Each city's rows are encrypted with that city's own data key (core/keyring.py: a key ring per
city, keys wrapped by the deployment's settings, a KEK file per city, or a KMS/HSM). Fernet
(AES-128-CBC + HMAC-SHA256).

A token names its key, so decrypting needs no context:

    b"mk1:" + key_id + b":" + fernet_token        (key_id: lowercase hex, no ":")

Encrypting needs the city (`encrypt_bytes(data, municipality)`, a Municipality or its pk).
Tokens without the prefix — everything written before per-city keys — are read with the
deployment's old ring, MADOGUCHI_ENCRYPTION_KEYS (MultiFernet: every key decrypts), so nothing
stored breaks; `madoguchi rotate_keys` moves them to their city's key.

A Fernet token is urlsafe base64 and starts with "gAAAAA": it never contains ":" and never
starts with the prefix, so the two kinds cannot be mistaken for one another.
"""

import json
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.db import models

from madoguchi.core import keyring
from madoguchi.core.keyring import DecryptionError, KeyUnavailable, UnknownKey  # noqa: F401 - public names

PREFIX = b"mk1:"


@lru_cache(maxsize=4)
def _ring(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise RuntimeError("MADOGUCHI_ENCRYPTION_KEYS is empty")
    return MultiFernet([Fernet(k.encode()) for k in keys])


def legacy_ring() -> MultiFernet:
    """The deployment's ring, which reads tokens written before per-city keys."""
    return _ring(tuple(settings.MADOGUCHI_ENCRYPTION_KEYS))


def encrypt_bytes(data: bytes, municipality) -> bytes:
    """`data` encrypted with the city's primary key (made on first use)."""
    key_id, fernet = keyring.primary(municipality)
    return PREFIX + key_id.encode("ascii") + b":" + fernet.encrypt(data)


def key_id_of(token: bytes) -> str | None:
    """The id of the city key a token names; None for a token of the deployment's old ring."""
    token = bytes(token)
    if not token.startswith(PREFIX):
        return None
    key_id, separator, _ = token[len(PREFIX):].partition(b":")
    if not separator or not key_id:
        raise DecryptionError("a token with the key prefix names no key")
    try:
        return key_id.decode("ascii")
    except UnicodeDecodeError:
        raise DecryptionError("a token with the key prefix names no key") from None


def decrypt_bytes(token: bytes) -> bytes:
    token = bytes(token)
    key_id = key_id_of(token)
    try:
        if key_id is None:
            return legacy_ring().decrypt(token)
        return keyring.key(key_id).decrypt(token[len(PREFIX) + len(key_id) + 1:])
    except InvalidToken as exc:
        raise DecryptionError("no key decrypts this value") from exc


def encrypt_json(value, municipality) -> bytes:
    return encrypt_bytes(json.dumps(value, ensure_ascii=False, sort_keys=True).encode(), municipality)


def decrypt_json(token: bytes):
    return json.loads(decrypt_bytes(token))


def is_current(token: bytes, municipality) -> bool:
    """Whether the token is under the city's primary key already (rotate_keys skips it)."""
    return key_id_of(token) == keyring.primary(municipality)[0]


def rotate(token: bytes, municipality) -> bytes:
    """The same value under the city's primary key (used by `madoguchi rotate_keys`); a token
    already under it is returned as it is."""
    if is_current(token, municipality):
        return bytes(token)
    return encrypt_bytes(decrypt_bytes(token), municipality)


def generate_key() -> str:
    return Fernet.generate_key().decode()


def _historical(field) -> bool:
    """Whether the field belongs to a model of the migration state (a data migration's)."""
    return getattr(field, "model", None) is not None and field.model.__module__ == "__fake__"


class Sealed(bytes):
    """A token already made for an EncryptedTextField column (by `pre_save`, or by
    rotate_keys): written as it is."""


class EncryptedTextField(models.BinaryField):
    """Free text that may hold personal data (a 差戻し note, a decision's reason), stored encrypted.

    The column holds the same token as every other encrypted column (so `rotate_keys` covers
    it), but the model attribute is the plain `str`: every read decrypts and every save
    encrypts, so no view, template or PDF can forget to. Empty text is encrypted too (empty
    bytes, as a column default might leave, also read as empty text).
    The value cannot be searched or compared in SQL, which none of these columns needs.

    `city`: the path from the row to its Municipality ("municipality", the default, or e.g.
    "submission__municipality"); the text is encrypted under that city's key when the row is
    saved (`pre_save`). It is not part of the migration state (it changes no column), so the
    models of old data migrations, which lack it, encrypt under the deployment's old ring,
    as they did when they were written; rotate_keys moves those rows to their city's key.
    A `QuerySet.update()` with text has no row to find the city from: it is refused (None,
    to erase, is fine), except from those old migrations.

    Written by hand: the maintained field libraries bring their own key handling, and these
    columns must share the cities' key rings with the rest.
    """

    def __init__(self, *args, city: str = "municipality", **kwargs):
        self.city = city
        kwargs.setdefault("blank", True)
        kwargs.setdefault("default", "")
        kwargs.setdefault("editable", True)
        super().__init__(*args, **kwargs)

    def _check_str_default_value(self):
        return []  # the default is text: the attribute is a str, the column holds the token

    def get_default(self):
        default = super().get_default()
        return "" if default in (b"", None) else default

    def from_db_value(self, value, expression, connection):
        if value is None:
            return None
        return decrypt_bytes(value).decode() if bytes(value) else ""

    def to_python(self, value):
        if value is None or isinstance(value, str):
            return value
        return decrypt_bytes(value).decode() if bytes(value) else ""

    def municipality_id_of(self, instance) -> int | None:
        """The city of the row, following `city` through the row's related objects (loaded with
        it in every caller, so this makes no query); None for a row not tied to a city yet."""
        *hops, last = self.city.split("__")
        target = instance
        for hop in hops:
            if getattr(target, f"{hop}_id", None) is None:
                return None
            target = getattr(target, hop)
        return getattr(target, f"{last}_id", None)

    def pre_save(self, model_instance, add):
        value = super().pre_save(model_instance, add)
        if value is None or isinstance(value, Sealed) or _historical(self):
            return value
        city_id = self.municipality_id_of(model_instance)
        if city_id is None:
            # No city, no key, and nothing stored: the row's own foreign key on the way to
            # its city is NOT NULL, so the database refuses it (fastinsert also compiles its
            # INSERT from such a blank row, whose values it never sends).
            return None
        # empty text too: no row tells whether it has one
        return Sealed(encrypt_bytes(str(value).encode(), city_id))

    def get_prep_value(self, value):
        if value is None or isinstance(value, Sealed):
            return value
        if _historical(self):
            return legacy_ring().encrypt(str(value).encode())  # a data migration's model (above)
        raise ValueError(f"{self.model.__name__}.{self.name}: text is encrypted when the row is "
                         "saved (its city gives the key); QuerySet.update() cannot")

    def value_to_string(self, obj):
        return self.value_from_object(obj) or ""
