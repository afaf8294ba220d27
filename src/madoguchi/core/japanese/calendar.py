"""The days a city office is closed, the deadline rule that follows from them, and a person's age.

A period that ends on a day the office is closed ends on the next open day instead
(民法第142条; 地方自治法第4条の2第4項 for the 休日 of a municipality: Saturdays, Sundays,
national holidays and 12月29日〜1月3日).
"""

from datetime import date, timedelta

import jpholiday


def is_closed(day: date) -> bool:
    """Saturday, Sunday, a national holiday (振替休日 included) or the year-end break."""
    year_end = (day.month == 12 and day.day >= 29) or (day.month == 1 and day.day <= 3)
    return day.weekday() >= 5 or year_end or jpholiday.is_holiday(day)


def next_open_day(day: date) -> date:
    """`day` itself when the office is open; otherwise the first open day after it."""
    while is_closed(day):
        day += timedelta(days=1)
    return day


def age_on(born: date, on: date) -> int:
    """Full years on `on` (年齢計算ニ関スル法律: a year is reached on the day before the birthday,
    which counts the same for a whole-year age as reaching it on the birthday)."""
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))
