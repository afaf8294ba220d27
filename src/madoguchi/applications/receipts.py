"""受付番号: short, readable aloud, free of look-alike characters, with a check character.

Alphabet: digits 2–9 and upper-case letters without I, L, O (so no 0/O, 1/I/l). Seven
random characters and one check character (weighted sum mod 31) catch a misheard one.
"""

import secrets
import unicodedata

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
assert len(ALPHABET) == 31  # noqa: S101 - a prime modulus makes the check catch swaps
_INDEX = {c: i for i, c in enumerate(ALPHABET)}

def _check_char(body: str) -> str:
    total = sum((i + 1) * _INDEX[c] for i, c in enumerate(body))
    return ALPHABET[total % len(ALPHABET)]

def new_receipt_number() -> str:
    body = "".join(secrets.choice(ALPHABET) for _ in range(7))
    raw = body + _check_char(body)
    return f"{raw[:4]}-{raw[4:]}"

def normalize_receipt_number(text: str) -> str | None:
    """Accept what a person types or reads back (lower case, full width, no hyphen);
    return the canonical form, or None if it cannot be a receipt number."""

    raw = unicodedata.normalize("NFKC", text).upper().replace("-", "").replace(" ", "")
    if len(raw) != 8 or any(c not in _INDEX for c in raw):
        return None
    if _check_char(raw[:7]) != raw[7]:
        return None
    return f"{raw[:4]}-{raw[4:]}"
