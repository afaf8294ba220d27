"""Look-up keys stored beside the register's data, so the counter finds a person without
decrypting anything or scanning a city: a keyed hash of the 個人番号, kana keys, an address key.

ja-only file: matching patterns for Japanese names and addresses (regexes, kanji numerals).
"""

import hashlib
import hmac
import re
import unicodedata
from functools import lru_cache

from django.conf import settings

from madoguchi.core.japanese import kana_search_key, name_search_key, normalize_kana

_PREFECTURE = re.compile(r"^.{2,3}?[都道府県](?=.+?[市区町村郡])")
_KANJI_DIGITS = str.maketrans("〇一二三四五六七八九", "0123456789")
_DASHES = re.compile(r"[‐‑‒–—―−ー－ｰ]")
_SEPARATORS = re.compile(r"(丁目|番地の|番地|番の|番|号|の)")


@lru_cache(maxsize=4)
def _my_number_key(secret: str) -> bytes:
    return hmac.new(secret.encode(), b"madoguchi register my-number v1", hashlib.sha256).digest()


def my_number_hash(number: str) -> str:
    """HMAC-SHA256 of the 12 digits under a key derived from settings: equal numbers give equal
    hashes, so an exact look-up needs no decryption, and the hash alone reveals nothing.

    MADOGUCHI_MY_NUMBER_HASH_KEY, when set, is the secret; otherwise SECRET_KEY is. Changing
    the secret needs `madoguchi register_import` of an export (which re-hashes every row)."""
    secret = getattr(settings, "MADOGUCHI_MY_NUMBER_HASH_KEY", "") or settings.SECRET_KEY
    return hmac.new(_my_number_key(secret), number.encode(), hashlib.sha256).hexdigest()


def kana_keys(kana: str) -> tuple[str, str, str]:
    """(whole name, surname, given name) keys of a stored フリガナ 'ヤマダ　タロウ'."""
    parts = normalize_kana(kana).split("\u3000", 1)
    surname = kana_search_key(parts[0])
    given = kana_search_key(parts[1]) if len(parts) > 1 else ""
    return surname + given, surname, given


def address_key(address: str) -> str:
    """Fold the ways one address is written: prefecture or not, 二丁目/2丁目/2-, spaces, width.

    For matching only (like `name_search_key`); the register keeps the address as written."""
    text = unicodedata.normalize("NFKC", address or "")
    text = re.sub(r"\s+", "", text)
    text = _PREFECTURE.sub("", text).replace("ヶ", "ケ").replace("ヵ", "ケ")
    text = _kanji_numbers(text)
    text = _SEPARATORS.sub("-", _DASHES.sub("-", text))
    return re.sub(r"-+", "-", text).strip("-")


def _kanji_numbers(text: str) -> str:
    """二丁目 → 2丁目, 十二番 → 12番: only numbers followed by an address unit."""
    def number(m: re.Match) -> str:
        s = m.group(1)
        if "十" in s:
            tens, _, ones = s.partition("十")
            value = int((tens or "一").translate(_KANJI_DIGITS)) * 10 + int((ones or "0").translate(_KANJI_DIGITS))
            return str(value) + m.group(2)
        return s.translate(_KANJI_DIGITS) + m.group(2)

    return re.sub(r"([〇一二三四五六七八九十]+)(丁目|番地|番|号)", number, text)


def name_key(name: str) -> str:
    return name_search_key(name)
