"""Personal names: clean without altering characters, and a separate look-up key.

Names are legal identity. Residents whose koseki has 髙 (はしごだか), 﨑 (たつさき)
or 𠮷 (つちよし) expect to see exactly that character on every document, so the
stored name keeps every code point as typed. In particular we never apply
Unicode NFC/NFKC: both replace CJK compatibility ideographs, e.g. U+FA19 神 becomes
U+795E 神, silently changing a registered name. Variant folding happens only in
``name_search_key``, whose result is used for matching and never stored.
"""

import re
import unicodedata

from .errors import JapaneseInputError, gettext_noop

MAX_NAME_LENGTH = 50

# Runs of space separators (half-width, full-width, no-break, ...), not tabs or newlines.
_SPACE_RUN = re.compile(r"[ \u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]+")
# Cc: C0/C1 controls (incl. tab and newline inside a name); Cf: invisible format
# characters such as U+202E that can disguise text; Cs: lone surrogates.
_REJECTED_CATEGORIES = frozenset({"Cc", "Cf", "Cs"})

# Variant (異体字/旧字) → common form, for look-up only. Escapes mark characters
# that look identical to their target in most fonts.
_VARIANTS = {
    "\u9ad9": "高",  # ja-only: variant table; 髙 はしごだか
    "\ufa11": "崎",  # ja-only: variant table; 﨑 たつさき (a unified ideograph in the compatibility block)
    "嵜": "崎",  # ja-only: variant table
    "\u9089": "辺",  # ja-only: variant table; 邉
    "\u908a": "辺",  # ja-only: variant table; 邊
    "\u9f4b": "斉",  # ja-only: variant table; 齋 (old form of 斎)
    "\u9f4a": "斉",  # ja-only: variant table; 齊 (old form of 斉)
    "斎": "斉",  # ja-only: variant table; 斎藤/斉藤 are routinely confused, so look-up folds the whole family
    "\u6ff5": "浜",  # ja-only: variant table; 濵
    "\u6ff1": "浜",  # ja-only: variant table; 濱
    "\u5fb7": "徳",  # ja-only: variant table; 德
    "\U00020bb7": "吉",  # ja-only: variant table; 𠮷 つちよし
    "\ufa10": "塚",  # ja-only: variant table; 塚 (compatibility ideograph)
    "澤": "沢",  # ja-only: variant table
    "櫻": "桜",  # ja-only: variant table
    "國": "国",  # ja-only: variant table
    "廣": "広",  # ja-only: variant table
    "嶋": "島",  # ja-only: variant table
    "嶌": "島",  # ja-only: variant table
    "藏": "蔵",  # ja-only: variant table
    "眞": "真",  # ja-only: variant table
    "惠": "恵",  # ja-only: variant table
    "榮": "栄",  # ja-only: variant table
    "壽": "寿",  # ja-only: variant table
    "實": "実",  # ja-only: variant table
    "與": "与",  # ja-only: variant table
    "禮": "礼",  # ja-only: variant table
    "冨": "富",  # ja-only: variant table
    "槇": "槙",  # ja-only: variant table
    "瀨": "瀬",  # ja-only: variant table
    "黑": "黒",  # ja-only: variant table
    "淺": "浅",  # ja-only: variant table
    "條": "条",  # ja-only: variant table
    "桒": "桑",  # ja-only: variant table
}
# Ideographic variation selectors pick a glyph, not a different character.
_VARIATION_SELECTORS = re.compile(r"[\ufe00-\ufe0f\U000e0100-\U000e01ef]")
_COMPATIBILITY_IDEOGRAPH = re.compile(r"[\uf900-\ufaff\U0002f800-\U0002fa1f]")
_WHITESPACE = re.compile(r"\s+")


def clean_name(s: str) -> str:
    """Trim and single-space a name, keeping every other code point exactly as typed."""
    name = _SPACE_RUN.sub("\u3000", (s or "").strip())  # ja-only: stored space
    if not name:
        raise JapaneseInputError(gettext_noop("氏名を入力してください"))
    if any(unicodedata.category(c) in _REJECTED_CATEGORIES for c in name):
        raise JapaneseInputError(gettext_noop("氏名に使えない文字が含まれています"))
    if len(name) > MAX_NAME_LENGTH:
        raise JapaneseInputError(
            gettext_noop("氏名は%(n)s文字以内で入力してください"), n=MAX_NAME_LENGTH
        )
    return name


def _canonical_ideograph(m: re.Match) -> str:
    """Canonical twin of a compatibility ideograph (U+FA19 → U+795E); safe for keys only."""
    return unicodedata.normalize("NFC", m.group())


def name_search_key(s: str) -> str:
    """Key for finding a person whatever variant kanji or spacing was used. Never store it."""
    key = _WHITESPACE.sub("", s or "")
    key = _VARIATION_SELECTORS.sub("", key)
    key = _COMPATIBILITY_IDEOGRAPH.sub(_canonical_ideograph, key)
    return "".join(_VARIANTS.get(c, c) for c in key)
