"""Keyed hashes and one-time codes, for the places that keep a secret only to recognise it
again: login codes and API tokens (identity), an SMS verification code (notify), a paired
counter tablet (counter), an address looked up by its hash (notify).

The keyed hash is HMAC-SHA256 under SECRET_KEY: a stolen table of hashes names no code, token
or address without the key. Each caller keeps its own prefix in the hashed text ("sms-code:…",
"notify:…"), so one kind's hash never matches another's; the texts are those the stored hashes
were made from, so every stored hash still matches.
"""

import hashlib
import hmac
import secrets
import unicodedata

from django.conf import settings

CODE_DIGITS = 6


def keyed_digest(text: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), text.encode(), hashlib.sha256).hexdigest()


def new_code() -> str:
    """A six-digit one-time code (000000–999999), from the secrets module's generator."""
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def typed_digits(typed: str) -> str:
    """The digits of what a resident typed as a code: full-width digits from a Japanese input
    method count, anything else (spaces, hyphens) is ignored; only the first 64 characters are read."""
    return "".join(ch for ch in unicodedata.normalize("NFKC", typed[:64]) if ch in "0123456789")
