"""Days a city office is closed: weekends, national holidays, 12月29日〜1月3日."""

from datetime import date

import pytest

from madoguchi.core.japanese.calendar import is_closed, next_open_day


@pytest.mark.parametrize(("day", "closed"), [
    (date(2026, 11, 23), True),  # 勤労感謝の日 (a Monday)
    (date(2026, 11, 24), False),
    (date(2026, 11, 28), True),  # Saturday
    (date(2026, 12, 28), False),  # the last open day of the year
    (date(2026, 12, 29), True),
    (date(2027, 1, 3), True),
    (date(2027, 1, 4), False),
    (date(2026, 5, 6), True),  # 振替休日 for 5月3日 (a Sunday)
])
def test_closed_days(day, closed):
    assert is_closed(day) is closed


def test_next_open_day_keeps_an_open_day_and_skips_closed_ones():
    assert next_open_day(date(2026, 11, 24)) == date(2026, 11, 24)
    assert next_open_day(date(2026, 12, 29)) == date(2027, 1, 4)
    assert next_open_day(date(2026, 5, 2)) == date(2026, 5, 7)
