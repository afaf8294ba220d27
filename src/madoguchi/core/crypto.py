"""Encryption at rest for answers, attachments, the 個人番号 and free text about a case.

Fernet (AES-128-CBC + HMAC-SHA256) with a MultiFernet key ring from settings: the first
key encrypts, every key decrypts, and `rotate()` re-encrypts under the first key.
"""

import json
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.db import models


class DecryptionError(Exception):
    """Stored data cannot be read with any configured key."""


@lru_cache(maxsize=4)
def _ring(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise RuntimeError("MADOGUCHI_ENCRYPTION_KEYS is empty")
    return MultiFernet([Fernet(k.encode()) for k in keys])


def keyring() -> MultiFernet:
    return _ring(tuple(settings.MADOGUCHI_ENCRYPTION_KEYS))


def encrypt_bytes(data: bytes) -> bytes:
    return keyring().encrypt(data)


def decrypt_bytes(token: bytes) -> bytes:
    try:
        return keyring().decrypt(bytes(token))
    except InvalidToken as exc:
        raise DecryptionError("no configured key decrypts this value") from exc


def encrypt_json(value) -> bytes:
    return encrypt_bytes(json.dumps(value, ensure_ascii=False, sort_keys=True).encode())


def decrypt_json(token: bytes):
    return json.loads(decrypt_bytes(token))


def rotate(token: bytes) -> bytes:
    """Re-encrypt under the newest key (used by `madoguchi rotate_keys`)."""
    return keyring().rotate(bytes(token))


def generate_key() -> str:
    return Fernet.generate_key().decode()


class EncryptedTextField(models.BinaryField):
    """Free text that may hold personal data (a 差戻し note, a decision's reason), stored encrypted.

    The column holds the same Fernet token as every other encrypted column (so `rotate_keys`
    covers it), but the model attribute is the plain `str`: every read decrypts and every save
    encrypts, so no view, template or PDF can forget to. Empty text is encrypted too (empty
    bytes, as a column default might leave, also read as empty text).
    The value cannot be searched or compared in SQL, which none of these columns needs.
    Written by hand: the maintained field libraries bring their own key handling, and these
    columns must share the key ring with the rest.
    """

    def __init__(self, *args, **kwargs):
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

    def get_prep_value(self, value):
        if value is None:
            return None
        return encrypt_bytes(str(value).encode())  # empty text too: no row tells whether it has one

    def value_to_string(self, obj):
        return self.value_from_object(obj) or ""
