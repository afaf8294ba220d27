"""Japanese text helpers for resident input: kana, 和暦, postal codes, phones, names.

Pure Python (no Django), so forms, the API schemas and batch imports can share
one set of rules. Every rejection is a ``JapaneseInputError`` whose message is
plain Japanese ready to show next to the form field.
"""

from .era import ERAS, Era, Wareki, format_wareki, from_wareki, parse_date, to_wareki
from .errors import JapaneseInputError
from .kana import (
    kana_search_key,
    normalize_kana,
    to_hiragana,
    to_katakana,
    validate_furigana,
)
from .names import MAX_NAME_LENGTH, clean_name, name_search_key
from .phone import format_phone, normalize_phone, validate_phone
from .postal import format_postal_code, lookup_address, municipality_of, normalize_postal_code

__all__ = [
    "ERAS",
    "MAX_NAME_LENGTH",
    "Era",
    "JapaneseInputError",
    "Wareki",
    "clean_name",
    "format_phone",
    "format_postal_code",
    "format_wareki",
    "from_wareki",
    "kana_search_key",
    "lookup_address",
    "municipality_of",
    "name_search_key",
    "normalize_kana",
    "normalize_phone",
    "normalize_postal_code",
    "parse_date",
    "to_hiragana",
    "to_katakana",
    "to_wareki",
    "validate_furigana",
    "validate_phone",
]
