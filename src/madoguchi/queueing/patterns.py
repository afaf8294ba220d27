"""The usual pattern by weekday and hour, and a forecast of busy days, from recorded tickets.

The forecast is the average number of visitors on the same weekday over the last WEEKS weeks:
plain history, no model. Saturdays, Sundays and days with no history are shown as closed or
unknown rather than guessed. National holidays are not known to it yet.
"""

from collections import defaultdict
from datetime import date, datetime, timedelta

from django.utils import timezone
from django.utils.translation import gettext

from madoguchi.queueing.models import Ticket

WEEKS = 8
HOURS = range(8, 17)  # the hour from 8:30 to the last ticket at 17:00
WEEKDAYS = ["月", "火", "水", "木", "金", "土", "日"]  # ja-only: the JSON figures' weekday (a fixed format)
BUSY, QUIET = 1.2, 0.8


def _history(municipality, now: datetime):
    today = timezone.localdate(now)
    since = today - timedelta(weeks=WEEKS)
    issued = (Ticket.objects.filter(municipality=municipality, service_date__gte=since,
                                    service_date__lt=today, transferred_from__isnull=True)
              .values_list("service_date", "issued_at", "called_at"))
    return list(issued)


def usual_pattern(municipality, now: datetime | None = None) -> dict:
    """weekday (0 = Monday) → rows of {hour, visitors, wait}: averages per open day."""
    now = now or timezone.now()
    days = defaultdict(set)
    counts = defaultdict(int)
    waits = defaultdict(list)
    for day, issued_at, called_at in _history(municipality, now):
        hour = timezone.localtime(issued_at).hour
        days[day.weekday()].add(day)
        counts[(day.weekday(), hour)] += 1
        if called_at:
            waits[(day.weekday(), hour)].append((called_at - issued_at).total_seconds() / 60)
    pattern = {}
    for weekday in range(7):
        n = len(days[weekday])
        pattern[weekday] = [{
            "hour": hour,
            "visitors": round(counts[(weekday, hour)] / n, 1) if n else None,
            "wait_minutes": round(sum(w) / len(w)) if (w := waits[(weekday, hour)]) else None,
        } for hour in HOURS]
    return pattern


def forecast(municipality, now: datetime | None = None, days: int = 14) -> list[dict]:
    """The next `days` days, each with the usual visitors of its weekday and a busy level."""
    now = now or timezone.now()
    per_day = defaultdict(lambda: defaultdict(int))
    for day, _issued, _called in _history(municipality, now):
        per_day[day.weekday()][day] += 1
    averages = {wd: sum(c.values()) / len(c) for wd, c in per_day.items() if c}
    overall = sum(averages.values()) / len(averages) if averages else 0
    result = []
    start: date = timezone.localdate(now)
    for offset in range(days):
        day = start + timedelta(days=offset)
        expected = averages.get(day.weekday())
        if day.weekday() >= 5:
            level, label = "closed", gettext("閉庁日")
        elif expected is None or not overall:
            level, label = "unknown", gettext("記録なし")
        elif expected >= overall * BUSY:
            level, label = "busy", gettext("混雑")
        elif expected <= overall * QUIET:
            level, label = "quiet", gettext("空いている")
        else:
            level, label = "normal", gettext("ふつう")
        result.append({"date": day.isoformat(), "weekday": WEEKDAYS[day.weekday()],
                       "expected_visitors": None if expected is None else round(expected),
                       "level": level, "label": label})
    return result
