"""Helpers for the queue tests: the demo counters and tickets at chosen times."""

import asyncio
from datetime import datetime, time, timedelta

from django.core.management import call_command
from django.utils import timezone

from madoguchi.queueing import services
from madoguchi.queueing.models import CounterGroup, VisitPurpose, Window


def load_counters(city, history_weeks: int = 0) -> None:
    call_command("load_queue_demo", "--history-weeks", str(history_weeks), stdout=open("/dev/null", "w"))  # noqa: SIM115


def purpose(city, group: str, code: str) -> VisitPurpose:
    return VisitPurpose.objects.select_related("group").get(group__municipality=city, group__code=group, code=code)


def group(city, code: str) -> CounterGroup:
    return CounterGroup.objects.get(municipality=city, code=code)


def window(city, code: str, index: int = 0) -> Window:
    return Window.objects.filter(group__municipality=city, group__code=code).order_by("number")[index]


def today_at(hour: int, minute: int = 0, days: int = 0) -> datetime:
    day = timezone.localdate() + timedelta(days=days)
    return datetime.combine(day, time(hour, minute), timezone.get_current_timezone())


def issue(p: VisitPurpose, key: str, now: datetime | None = None):
    ticket, created = services.issue_ticket(p, key, now)
    assert created
    return ticket


def run_in_own_loop(coroutine):
    """asyncio.run in a thread of its own: the browser tests' Playwright keeps an event loop
    running in the main thread for the whole session, where asyncio.run refuses to start."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def frames(chunks):
    """The event frames of a stream's chunks (not its retry line or keep-alive comments)."""
    return [c for c in chunks if c.startswith("id: ")]
