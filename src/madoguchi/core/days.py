"""The city's day. Every 市区町村 keeps Japan's time (settings.TIME_ZONE, Asia/Tokyo): its books,
its daily figures and its audit seals turn over at midnight there, whatever zone a request
activated. One place says where a day begins and ends, so the three agree."""

from datetime import date, datetime, time, timedelta

from django.utils import timezone


def day_of(moment: datetime) -> date:
    """The city's date of an aware instant."""
    return moment.astimezone(timezone.get_default_timezone()).date()


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """The aware instants the city's day runs between: [start, end)."""
    zone = timezone.get_default_timezone()
    return (datetime.combine(day, time.min, tzinfo=zone),
            datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone))
