"""Japanese telephone numbers: normalise, validate and hyphenate."""

import re
import unicodedata

from .errors import JapaneseInputError, gettext_noop

_INVALID = gettext_noop("電話番号は市外局番から入力してください（例: 099-224-1111）")
_SEPARATORS = re.compile(r"[\s()\-‐‑‒–—―−ー－ｰ.]")  # ja-only: separator pattern

_MOBILE_OR_IP = re.compile(r"0[5789]0[0-9]{8}")  # 050 IP phone, 070/080/090 mobile
_FREE_DIAL = re.compile(r"0120[0-9]{6}|0800[0-9]{7}")
_NAVI_DIAL = re.compile(r"0570[0-9]{6}")
_FIXED = re.compile(r"0[1-9][1-9][0-9]{7}")  # 0X0 prefixes are services, not areas

# Best effort: area codes vary in length (2-5 digits) and only the digits that
# follow them tell them apart. The full table is large and changes, so only the
# two-digit codes and a few longer ones are known; the rest default to 3-3-4.
_TWO_DIGIT_AREA_CODES = frozenset({"03", "06"})  # 東京, 大阪
_FOUR_DIGIT_AREA_CODES = frozenset(
    {
        "0138",  # 函館
        "0154",  # 釧路
        "0155",  # 帯広
        "0166",  # 旭川
        "0422",  # 武蔵野・三鷹
        "0428",  # 青梅
        "0465",  # 小田原
        "0466",  # 藤沢
        "0467",  # 茅ヶ崎
        "0476",  # 成田
        "0550",  # 御殿場
        "0942",  # 久留米
        "0956",  # 佐世保
        "0985",  # 宮崎
        "0993",  # 指宿
        "0994",  # 鹿屋
        "0995",  # 加治木
        "0996",  # 川内
        "0997",  # 奄美・種子島
    }
)
_FIVE_DIGIT_AREA_CODES = frozenset({"04992", "04994", "04996", "04998"})  # 伊豆・小笠原諸島
_AREA_CODES_BY_LENGTH = (
    (5, _FIVE_DIGIT_AREA_CODES),
    (4, _FOUR_DIGIT_AREA_CODES),
    (2, _TWO_DIGIT_AREA_CODES),
)


def normalize_phone(s: str) -> str:
    """Digits only: drops hyphens, spaces and brackets, narrows full-width digits, +81 → 0."""
    text = _SEPARATORS.sub("", unicodedata.normalize("NFKC", s or ""))
    if not text:
        raise JapaneseInputError(gettext_noop("電話番号を入力してください"))
    if text.startswith("+81"):
        rest = text[3:]
        text = rest if rest.startswith("0") else "0" + rest  # +81(0)90... is common
    if not re.fullmatch(r"[0-9]+", text):
        raise JapaneseInputError(_INVALID)
    return text


def validate_phone(s: str) -> str:
    """The normalised number if it is a dialable Japanese number with area code."""
    digits = normalize_phone(s)
    patterns = (_MOBILE_OR_IP, _FREE_DIAL, _NAVI_DIAL, _FIXED)
    if not any(p.fullmatch(digits) for p in patterns):
        raise JapaneseInputError(_INVALID)
    return digits


def _fixed_line_parts(digits: str) -> tuple[str, ...]:
    """Area code, local exchange and subscriber number (local part is 6 digits in total)."""
    area_len = 3
    for length, codes in _AREA_CODES_BY_LENGTH:
        if digits[:length] in codes:
            area_len = length
            break
    return digits[:area_len], digits[area_len:6], digits[6:]


def format_phone(s: str) -> str:
    """Readable hyphenated form, e.g. 090-1234-5678, 0120-123-456, 099-224-1111.

    Fixed-line hyphenation is a best effort (see ``_AREA_CODES_BY_LENGTH``); the
    digits are always right even where the grouping is not.
    """
    d = validate_phone(s)
    if d.startswith(("0120", "0570", "0800")):  # before mobiles: 0800 also starts with 080
        parts = (d[:4], d[4:7], d[7:])  # 0120-123-456, 0570-123-456, 0800-123-4567
    elif _MOBILE_OR_IP.fullmatch(d):
        parts = (d[:3], d[3:7], d[7:])
    else:
        parts = _fixed_line_parts(d)
    return "-".join(parts)
