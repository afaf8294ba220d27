"""Register dates that may be partly unknown (不詳): 生年月日 and 住定日 of the 住民記録.

ja-only file: the register's file format writes 不詳 in Japanese, and its messages go to the
operator of register_import with the rest of csvio's.

A 住民票 may show 「昭和20年5月 日不詳」 or 「1945年 月日不詳」: the person's record never had
the day, or the month and day. Madoguchi keeps that as it is: the stored date is the first day
of the month or year (for sorting and look-up only) and a DatePrecision says how much is known.
Nothing shows, exports or pre-fills such a date as an exact day; `format_partial` writes it back
with 不詳 in place of what is unknown, and `parse_partial` reads that back unchanged.
"""

import re
import unicodedata
from calendar import monthrange
from datetime import date, timedelta

from django.db.models import Q

from madoguchi.core.japanese import ERAS, JapaneseInputError, parse_date
from madoguchi.register.codes import DatePrecision

UNKNOWN = "不詳"
_ERA_NAMES = "|".join(e.name for e in ERAS)
_ERA_LETTERS = "".join(e.letter for e in ERAS)
# Unknown is written 不詳 (any of 不詳・不詳月・不詳日・月日不詳・日不詳) or, as municipal systems
# export it, 0 or 00 in the month or day.
_NO = r"(?:不詳|0{1,2})"
_YEAR = rf"(?:(?P<y>\d{{4}})|(?P<era>{_ERA_NAMES}|[{_ERA_LETTERS}])(?P<ey>\d{{1,2}}|元))"
_PATTERNS = (
    # 1945-05-不詳, 1945/不詳/不詳, S20.5.不詳, 1945-05-00, 昭和20-00-00
    re.compile(rf"{_YEAR}(?P<sep>[-/.])(?P<m>\d{{1,2}}|{_NO})(?P=sep)(?P<d>{_NO})", re.IGNORECASE),
    # 1945年5月不詳日, 昭和20年5月日不詳, 昭和20年5月不詳, 昭和20年不詳月不詳日, 昭和20年月日不詳, 1945年不詳
    re.compile(rf"{_YEAR}年(?:(?P<m>\d{{1,2}})月(?:{_NO}日?|日不詳)"
               rf"|(?:{_NO}月{_NO}日?|月日不詳|不詳))", re.IGNORECASE),
    # 19450500, 19450000 and the 7-digit 元号 code with 00: 3200500 = 昭和20年5月不詳日
    re.compile(r"(?P<y>\d{4})(?P<m>\d{2})00"),
    re.compile(r"(?P<code>[1-5])(?P<ey>\d{2})(?P<m>\d{2})00"),
)


def _prepare(text: str) -> str:
    s = unicodedata.normalize("NFKC", text or "")
    return re.sub(r"\s+", "", re.sub(r"[‐‑‒–—―−－ｰ]", "-", s))


def _era_index(era: str) -> int:
    key = era.upper()
    return next(i for i, e in enumerate(ERAS) if key in (e.name, e.letter))


def _western_year(index: int, year_text: str) -> int:
    year = 1 if year_text == "元" else int(year_text)
    if year < 1:
        raise JapaneseInputError("年は元年（1年）以降で入力してください")
    return ERAS[index].start.year + year - 1


def _check_era(index: int, first: date, last: date) -> None:
    """The month or year must overlap the era it is written in (昭和64年 is 1989-01-01 to 07)."""
    era = ERAS[index]
    end = ERAS[index + 1].start - timedelta(days=1) if index + 1 < len(ERAS) else date.max
    if last < era.start or first > end:
        raise JapaneseInputError(f"{era.name}にない年月です")


def parse_partial(text: str) -> tuple[date, str]:
    """(the first day it could be, DatePrecision) for a date of the register, 不詳 allowed.

    An exact date reads as parse_date reads it (every 西暦・和暦 form and the 元号 code) with
    precision day; a month known and its day not (1945-05-不詳, 昭和20年5月不詳日, 3200500) gives
    the 1st of the month and precision month; a year alone (1945-不詳-不詳, 昭和20年月日不詳)
    gives 1 January and precision year. A day known without its month is refused."""
    if UNKNOWN not in text and not text.rstrip().endswith(("0", "０", "〇")):
        return parse_date(text), str(DatePrecision.DAY)  # the usual exact date, the short way
    s = _prepare(text)
    for pattern in _PATTERNS:
        m = pattern.fullmatch(s)
        if m is None:
            continue
        groups = m.groupdict()
        index = None
        if groups.get("code"):
            index = int(groups["code"]) - 1
        elif groups.get("era"):
            index = _era_index(groups["era"])
        year = int(groups["y"]) if groups.get("y") else _western_year(index, groups["ey"])
        month_text = groups.get("m")
        month = int(month_text) if month_text and month_text.isdigit() else 0
        if month == 0:
            first, last, precision = date(year, 1, 1), date(year, 12, 31), DatePrecision.YEAR
        elif month > 12:
            raise JapaneseInputError("存在しない日付です")
        else:
            first, precision = date(year, month, 1), DatePrecision.MONTH
            last = date(year, month, monthrange(year, month)[1])
        if index is not None:
            _check_era(index, first, last)
        return first, str(precision)
    if UNKNOWN in s:
        raise JapaneseInputError("不詳は 1945-05-不詳 や 昭和20年不詳月不詳日 のように、日か月日を不詳にしてください")
    return parse_date(text), str(DatePrecision.DAY)


def last_day(first: date, precision: str) -> date:
    """The last day a partly unknown date could be (itself when exact)."""
    if precision == DatePrecision.YEAR:
        return date(first.year, 12, 31)
    if precision == DatePrecision.MONTH:
        return date(first.year, first.month, monthrange(first.year, first.month)[1])
    return first


def within(day: date | None, first: date, precision: str) -> bool:
    """Whether an exact day someone gave can be the register's date: the same day, or any day
    of the month or year the register knows only."""
    return day is not None and first <= day <= last_day(first, precision)


def born_on(day: date) -> Q:
    """Residents whose 生年月日 can be `day`: that day exactly, or its month or year where the
    register knows only those (`within` as a query, for look-ups by a typed birth date)."""
    return (Q(birth_date=day, birth_date_precision=DatePrecision.DAY)
            | Q(birth_date=day.replace(day=1), birth_date_precision=DatePrecision.MONTH)
            | Q(birth_date=date(day.year, 1, 1), birth_date_precision=DatePrecision.YEAR))


def format_partial(value: date, precision: str) -> str:
    """西暦 as the export writes it: 1945-05-20, 1945-05-不詳 or 1945-不詳-不詳."""
    if precision == DatePrecision.YEAR:
        return f"{value.year:04d}-{UNKNOWN}-{UNKNOWN}"
    if precision == DatePrecision.MONTH:
        return f"{value.year:04d}-{value.month:02d}-{UNKNOWN}"
    return value.isoformat()
