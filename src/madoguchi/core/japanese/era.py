"""和暦 (Japanese era) conversion and lenient date parsing.

明治 starts on 1868-01-25. The era was proclaimed on 1868-10-23 but applied
retroactively from the first day of that year, 慶応4年1月1日, which is 1868-01-25
in the Gregorian calendar; so 明治元年 covers the whole year, as the law intended.

Month and day are always Gregorian. Japan switched from the lunisolar calendar
on 明治6年1月1日 (1873-01-01); earlier 明治 dates are not converted to the old
calendar, matching what municipal systems and forms do in practice.
"""

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta

from .errors import JapaneseInputError, gettext_noop


@dataclass(frozen=True)
class Era:
    """One era: its kanji name, its one-letter abbreviation and its first day."""

    name: str
    letter: str
    start: date


ERAS: tuple[Era, ...] = (
    Era("明治", "M", date(1868, 1, 25)),  # ja-only: era names are data
    Era("大正", "T", date(1912, 7, 30)),  # ja-only: era names are data
    Era("昭和", "S", date(1926, 12, 25)),  # ja-only: era names are data
    Era("平成", "H", date(1989, 1, 8)),  # ja-only: era names are data
    Era("令和", "R", date(2019, 5, 1)),  # ja-only: era names are data
)
# The modern eras, oldest first (see the module docstring for 明治's first day).

_FORMAT_HINT = gettext_noop("日付は 令和6年4月1日 や 2024-04-01 のように入力してください")
_NO_SUCH_DATE = gettext_noop("存在しない日付です")


@dataclass(frozen=True)
class Wareki:
    """A date in 和暦; unpacks as ``(era, year, month, day)`` for ``from_wareki``."""

    era: str
    year: int
    month: int
    day: int

    def __iter__(self):
        return iter((self.era, self.year, self.month, self.day))

    def format(self, gannen: bool = True) -> str:
        """「令和元年5月1日」, or 「令和1年5月1日」 with ``gannen=False``."""
        year = "元" if gannen and self.year == 1 else str(self.year)  # ja-only: 和暦 writing
        return f"{self.era}{year}年{self.month}月{self.day}日"  # ja-only: 和暦 writing

    def __str__(self) -> str:
        return self.format()


def _era_end(index: int) -> date | None:
    """Last day of ``ERAS[index]``; None for the current era."""
    if index + 1 < len(ERAS):
        return ERAS[index + 1].start - timedelta(days=1)
    return None


def _find_era(era: str) -> int:
    """Index in ERAS for a name (平成) or letter (H/h)."""
    key = unicodedata.normalize("NFKC", era).strip().upper()
    for i, e in enumerate(ERAS):
        if key in (e.name, e.letter):
            return i
    names = "・".join(e.name for e in ERAS)  # ja-only: list separator of era names
    raise JapaneseInputError(
        gettext_noop("元号は %(names)s のいずれかで入力してください"), names=names
    )


def to_wareki(d: date) -> Wareki:
    """Convert a Gregorian date; dates before 明治 have no supported era."""
    for era in reversed(ERAS):
        if d >= era.start:
            return Wareki(era.name, d.year - era.start.year + 1, d.month, d.day)
    raise JapaneseInputError(gettext_noop("明治より前の日付は入力できません"))


def format_wareki(d: date, gannen: bool = True) -> str:
    """「令和6年4月1日」; 元年 for the first year unless ``gannen`` is False."""
    return to_wareki(d).format(gannen)


def _wareki_text(era: Era, d: date) -> str:
    """Era-relative text for a boundary date, e.g. 「31年4月30日」 or 「元年5月1日」."""
    return (
        Wareki(era.name, d.year - era.start.year + 1, d.month, d.day)
        .format()
        .removeprefix(era.name)
    )


def from_wareki(era: str, year: int, month: int, day: int) -> date:
    """Gregorian date for a 和暦 date, checking that the date exists within that era.

    A wrong era is a common slip (平成31年5月1日 instead of 令和元年), so the
    message names the era's last or first day and the era to use instead.
    """
    index = _find_era(era)
    current = ERAS[index]
    if year < 1:
        raise JapaneseInputError(gettext_noop("年は元年（1年）以降で入力してください"))
    try:
        d = date(current.start.year + year - 1, month, day)
    except (ValueError, OverflowError):
        raise JapaneseInputError(_NO_SUCH_DATE) from None
    if d < current.start:
        first = _wareki_text(current, current.start)
        if index == 0:
            raise JapaneseInputError(
                gettext_noop("%(era)sは%(first)sからです。それより前の日付は入力できません"),
                era=current.name,
                first=first,
            )
        previous = ERAS[index - 1].name
        raise JapaneseInputError(
            gettext_noop("%(era)sは%(first)sからです。それより前は%(previous)sで入力してください"),
            era=current.name,
            first=first,
            previous=previous,
        )
    end = _era_end(index)
    if end is not None and d > end:
        nxt = ERAS[index + 1]
        raise JapaneseInputError(
            gettext_noop(
                "%(era)sは%(last)sまでです。%(next)s%(first)s以降は%(next)sで入力してください"
            ),
            era=current.name,
            last=_wareki_text(current, end),
            next=nxt.name,
            first=_wareki_text(nxt, nxt.start),
        )
    return d


# --- parsing ---------------------------------------------------------------

_NUMERALS = "〇一二三四五六七八九"  # ja-only: numerals
_KANJI_DIGITS = {c: i for i, c in enumerate(_NUMERALS)} | {"零": 0}  # ja-only: numerals
_KANJI_UNITS = {"十": 10, "百": 100, "千": 1000}  # ja-only: input pattern
_KANJI_NUMBER = re.compile(r"[〇零一二三四五六七八九十百千]+")  # ja-only: input pattern
_DASHES = re.compile(r"[‐‑‒–—―−ー－ｰ]")  # ja-only: input pattern
_WHITESPACE = re.compile(r"\s+")

_ERA_NAMES = "|".join(e.name for e in ERAS)
_ERA_LETTERS = "".join(e.letter for e in ERAS)
_WESTERN = (
    re.compile(r"(?P<y>\d{4})(?P<sep>[-/.])(?P<m>\d{1,2})(?P=sep)(?P<d>\d{1,2})"),
    re.compile(r"(?P<y>\d{4})年(?P<m>\d{1,2})月(?P<d>\d{1,2})日?"),  # ja-only: input pattern
    re.compile(r"(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})"),
)
# The 7-digit 元号 code of municipal systems (住民記録・宛名システム and their exports): the era's
# digit, then the year, month and day within the era, two digits each (4050101 = 平成5年1月1日).
_ERA_CODE = re.compile(r"(?P<era>[1-5])(?P<y>\d{2})(?P<m>\d{2})(?P<d>\d{2})")
_WAREKI = re.compile(
    rf"(?P<era>{_ERA_NAMES}|[{_ERA_LETTERS}])(?P<y>\d{{1,2}}|元)"
    r"(?:年(?P<m>\d{1,2})月(?P<d>\d{1,2})日?"  # ja-only: input pattern
    r"|(?P<sep>[-/.])(?P<m2>\d{1,2})(?P=sep)(?P<d2>\d{1,2}))",
    re.IGNORECASE,
)


def _kanji_to_int(text: str) -> int:
    """Value of a kanji numeral, positional (二〇二四) or with units (三十一)."""
    if not any(c in _KANJI_UNITS for c in text):
        return int("".join(str(_KANJI_DIGITS[c]) for c in text))
    total, digit = 0, None
    for c in text:
        if c in _KANJI_UNITS:
            total += (1 if digit is None else digit) * _KANJI_UNITS[c]
            digit = None
        else:
            digit = _KANJI_DIGITS[c]
    return total + (digit or 0)


def _prepare(text: str) -> str:
    """Fold width, dashes, spaces and kanji numerals so the patterns stay simple.

    NFKC is fine here (unlike for names): it turns full-width digits into ASCII
    and the one-character era signs ㍻ and ㋿ into 平成 and 令和.
    """
    s = unicodedata.normalize("NFKC", text or "")
    s = _WHITESPACE.sub("", _DASHES.sub("-", s))
    return _KANJI_NUMBER.sub(lambda m: str(_kanji_to_int(m.group())), s)


def _western(s: str) -> date | None:
    """西暦 forms; None if the text is not one of them."""
    for pattern in _WESTERN:
        if m := pattern.fullmatch(s):
            try:
                return date(int(m["y"]), int(m["m"]), int(m["d"]))
            except ValueError:
                raise JapaneseInputError(_NO_SUCH_DATE) from None
    return None


def _wareki(s: str) -> date | None:
    """和暦 forms such as 令和6年4月1日 or R6.4.1; None if the text is not one."""
    m = _WAREKI.fullmatch(s)
    if m is None:
        return None
    year = 1 if m["y"] == "元" else int(m["y"])  # ja-only: input pattern
    month, day = m["m"] or m["m2"], m["d"] or m["d2"]
    return from_wareki(m["era"], year, int(month), int(day))


def _era_code(s: str) -> date | None:
    """The 7-digit 元号 code (1 明治, 2 大正, 3 昭和, 4 平成, 5 令和); None if the text is not
    one. A code for a day its era does not have (4310501: 令和 began on 5月1日) is refused
    with the same words as the 和暦 it stands for."""
    m = _ERA_CODE.fullmatch(s)
    if m is None:
        return None
    era = ERAS[int(m["era"]) - 1]
    return from_wareki(era.name, int(m["y"]), int(m["m"]), int(m["d"]))


def parse_date(text: str) -> date:
    """Parse a date the way residents write it, in 西暦 or 和暦.

    Accepts 2024-04-01, 2024/4/1, 2024.4.1, 2024年4月1日, 20240401, 令和6年4月1日,
    令和元年5月1日, R6.4.1, r6/4/1, H31.4.30 and 令和六年四月一日, with full-width
    digits and stray spaces; and the 7-digit 元号 code that clerks read off municipal systems
    (4050101 = 平成5年1月1日, see `_era_code`). Every date field reads dates here, the
    counter's and the register's included, so the rule is the same on every page and in the API.
    """
    s = _prepare(text)
    if not s:
        raise JapaneseInputError(gettext_noop("日付を入力してください"))
    d = _western(s) or _wareki(s) or _era_code(s)
    if d is None:
        raise JapaneseInputError(_FORMAT_HINT)
    return d
