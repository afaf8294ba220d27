"""Encryption at rest for answers, attachments and (later) the 個人番号.

Fernet (AES-128-CBC + HMAC-SHA256) with a MultiFernet key ring from settings: the first
key encrypts, every key decrypts, and `rotate()` re-encrypts under the first key.
"""

import json
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


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
