"""Kana conversion and furigana validation.

Residents type furigana with whatever their IME or phone produces: hiragana,
half-width katakana from old systems, full-width digits, doubled spaces. These
helpers turn all of that into one stored form (full-width katakana with single
full-width spaces) and explain in plain Japanese when the input is not kana.
"""

import re
import unicodedata

from .errors import JapaneseInputError, gettext_noop

# ぁ (U+3041) .. ゖ (U+3096) line up with ァ (U+30A1) .. ヶ (U+30F6); plus ゝゞ <-> ヽヾ.
_KANA_OFFSET = 0x60
_HIRA_TO_KATA = {c: c + _KANA_OFFSET for c in [*range(0x3041, 0x3097), 0x309D, 0x309E]}
_KATA_TO_HIRA = {v: k for k, v in _HIRA_TO_KATA.items()}

_HALFWIDTH_KANA = re.compile(r"[\uff61-\uff9f]+")
# A kana followed by a combining (han)dakuten, e.g. from half-width ﾞ or macOS NFD text.
_KANA_WITH_MARK = re.compile(r"[\u3041-\u309f\u30a1-\u30ff][\u3099\u309a]")
_SPACES = re.compile(r"\s+")

_FULLWIDTH_ALNUM = {
    c: c - 0xFEE0 for c in [*range(0xFF10, 0xFF1A), *range(0xFF21, 0xFF3B), *range(0xFF41, 0xFF5B)]
}

_FURIGANA = re.compile(r"[\u30a1-\u30fa\u30fb\u30fc\u30fd\u30fe\u31f0-\u31ff\u3000]+")

_SMALL_TO_LARGE = str.maketrans(
    "ァィゥェォッャュョヮヵヶㇰㇱㇲㇳㇴㇵㇶㇷㇸㇹㇺㇻㇼㇽㇾㇿ",  # ja-only: kana table
    "アイウエオツヤユヨワカケクシストヌハヒフヘホムラリルレロ",  # ja-only: kana table
)


def _widen(s: str) -> str:
    """Half-width katakana to full width (ｶﾞ → ガ; a lone ﾞ becomes a combining mark).

    NFKC is applied only to the half-width run itself, never to the whole text,
    because NFKC would also rewrite unrelated characters such as kanji variants.
    """
    return _HALFWIDTH_KANA.sub(lambda m: unicodedata.normalize("NFKC", m.group()), s)


def _compose(s: str) -> str:
    """Merge a kana and a following combining (han)dakuten into one character.

    Run after hiragana/katakana conversion: わ+゛ has no precomposed form but
    ワ+゛ does (ヷ), so composing earlier would leave work for a second pass.
    """
    return _KANA_WITH_MARK.sub(lambda m: unicodedata.normalize("NFC", m.group()), s)


def to_katakana(s: str) -> str:
    """Hiragana (and half-width katakana) to full-width katakana; other text unchanged."""
    return _compose(_widen(s).translate(_HIRA_TO_KATA))


def to_hiragana(s: str) -> str:
    """Katakana (incl. half-width) to hiragana; ヷヸヹヺ and other text stay as they are."""
    return _compose(_widen(s).translate(_KATA_TO_HIRA))


def normalize_kana(s: str) -> str:
    """Canonical stored form of kana text: katakana, half-width ASCII, single U+3000 spaces.

    Idempotent, so it is safe to apply on every save.
    """
    s = to_katakana(s).translate(_FULLWIDTH_ALNUM)
    return _SPACES.sub("\u3000", s).strip()  # ja-only: the ideographic space stored in kana


def validate_furigana(s: str) -> str:
    """Return the normalised katakana form, or explain to the resident what is wrong.

    Hiragana is accepted (and converted) because many phone keyboards cannot
    easily switch to katakana.
    """
    kana = normalize_kana(s or "")
    if not kana:
        raise JapaneseInputError(gettext_noop("フリガナを入力してください"))
    if not _FURIGANA.fullmatch(kana):
        raise JapaneseInputError(gettext_noop("フリガナはカタカナで入力してください"))
    return kana


def kana_search_key(s: str) -> str:
    """Matching key for kana: katakana, no spaces or ・, small kana made large.

    Old ledgers often wrote small kana large (キヨウコ for キョウコ), and residents
    separate foreign names with either a space or ・, so both are folded away.
    ヴ and ー are kept because they distinguish names.
    """
    key = normalize_kana(s).translate(_SMALL_TO_LARGE)
    key = key.replace("\u3000", "")  # ja-only: the ideographic space
    key = key.replace("・", "")  # ja-only: kana separator
    return _compose(key)  # a mark freed by the above (ッ+゛ → ツ+゛) now composes: ヅ
