"""The 標準処理期間 (行政手続法 第6条): the last day a case should be decided by.

`Submission.due_on` is the day the case reached the city (its submission, counted in the city's
time zone, Asia/Tokyo) plus the procedure's `processing_days`, in **calendar days**; the day of
arrival itself is not counted (民法 第140条, 初日不算入), so 0 days means the same day.

Calendar days, not 開庁日: many cities state their 標準処理期間 in 開庁日 (行政機関の休日 — weekends,
national holidays and 12/29–1/3 — not counted), and for those a count of 開庁日 would be more
correct. But the procedure files state a number without saying which, and a city's closed days
(its own 閉庁日 besides the national holidays) are not held anywhere yet; calendar days never
mark a case due later than a 開庁日 count would, so an overdue case is never missed, only a few
shown as due a few days early. A per-city 開庁日 calendar can replace `_add_days` alone.

補正 (a 差戻し for correction): 行政手続法 第6条 excludes the time a correction takes from the
period, so the period stops on the day the case is returned and runs again when the resident
resubmits: the due day moves later by the days the case spent returned (`after_correction`),
rather than starting a whole new period (which would give the department the full period again
for a case it had already half worked).
"""

from datetime import date, timedelta

from django.utils import timezone


def due_on(processing_days: int | None, arrived: date | None = None) -> date | None:
    """The last day of the period for a case arriving on `arrived` (today in the city's time
    zone when not given); None when the procedure states no period."""
    if processing_days is None:
        return None
    return _add_days(arrived or today(), processing_days)


def after_correction(due: date | None, returned_on: date | None, resubmitted_on: date | None = None) -> date | None:
    """The due day once a returned case comes back: later by the days it spent with the
    resident (returned_on → resubmitted_on, in the city's days). Unchanged when the case had no
    due day or the return is not known."""
    if due is None or returned_on is None:
        return due
    paused = ((resubmitted_on or today()) - returned_on).days
    return _add_days(due, max(paused, 0))


def today() -> date:
    """Today in the city's time zone (settings.TIME_ZONE, Asia/Tokyo), whatever a request
    activated."""
    return timezone.localdate(timezone=timezone.get_default_timezone())


def _add_days(day: date, days: int) -> date:
    try:
        return day + timedelta(days=days)
    except OverflowError:
        return date.max
