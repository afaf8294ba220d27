"""Read queries: the line, measured service times, estimates, the board and the day's figures."""

from collections import defaultdict
from datetime import date, datetime, timedelta

from django.db.models import F
from django.db.models import Window as Over  # SQL window function; `Window` is a counter here
from django.db.models.functions import RowNumber
from django.utils import timezone

from madoguchi.queueing import estimate
from madoguchi.queueing.models import CounterGroup, Ticket, TicketStatus, Window

ACTIVE = (TicketStatus.CALLED, TicketStatus.SERVING)


def groups_of(municipality):
    return CounterGroup.objects.filter(municipality=municipality).prefetch_related("purposes", "windows")


def group_by_code(municipality, code: str) -> CounterGroup | None:
    return CounterGroup.objects.filter(municipality=municipality, code=code).first()


def ticket_by_token(token: str) -> Ticket | None:
    return (Ticket.objects.select_related("group", "purpose", "window", "reservation__slot")
            .filter(token=token).first())


def is_priority(ticket: Ticket, now: datetime) -> bool:
    """Reserved visitors from their slot's start, and visitors sent on from another group."""
    if ticket.transferred_from_id:
        return True
    return ticket.reservation_id is not None and ticket.reservation.slot.starts_at <= now


def call_order(ticket: Ticket, now: datetime):
    """Priority tickets first (reserved by slot start, transferred by issue), then by issue time."""
    if is_priority(ticket, now):
        anchor = ticket.reservation.slot.starts_at if ticket.reservation_id else ticket.issued_at
        return (0, anchor, ticket.id)
    return (1, ticket.issued_at, ticket.id)


def line(group: CounterGroup, now: datetime | None = None) -> list[Ticket]:
    """Today's waiting tickets of a group in the order they will be called."""
    now = now or timezone.now()
    waiting = (Ticket.objects.select_related("group", "purpose", "reservation__slot")
               .filter(group=group, status=TicketStatus.ISSUED, service_date=timezone.localdate(now)))
    return sorted(waiting, key=lambda t: call_order(t, now))


def in_progress(group: CounterGroup, now: datetime | None = None) -> list[Ticket]:
    now = now or timezone.now()
    return list(Ticket.objects.select_related("window", "purpose")
                .filter(group=group, status__in=ACTIVE, service_date=timezone.localdate(now))
                .order_by("called_at"))


def measured_minutes(group: CounterGroup, now: datetime | None = None) -> dict[int, float]:
    """purpose id → expected window minutes from the group's recent served visits."""
    now = now or timezone.now()
    since = now - timedelta(days=estimate.RECENT_DAYS)
    recent = (Ticket.objects.filter(group=group, status=TicketStatus.DONE, finished_at__gte=since,
                                    finished_at__lte=now, called_at__isnull=False)
              .annotate(rank=Over(RowNumber(), partition_by=[F("purpose_id")],
                                    order_by=F("finished_at").desc()))
              .filter(rank__lte=estimate.RECENT).values_list("purpose_id", "called_at", "finished_at"))
    samples = defaultdict(list)
    for purpose_id, start, end in recent:
        samples[purpose_id].append((end - start).total_seconds() / 60)
    return {purpose.pk: estimate.service_minutes(samples[purpose.pk], purpose.expected_minutes)
            for purpose in group.purposes.all()}


def open_windows(group: CounterGroup) -> int:
    return Window.objects.filter(group=group, is_open=True).count()


class Snapshot:
    """One read of a group's state, from which every waiting ticket's estimate follows."""

    def __init__(self, group: CounterGroup, now: datetime | None = None):
        self.group = group
        self.now = now or timezone.now()
        self.line = line(group, self.now)
        self.in_progress = in_progress(group, self.now)
        self.minutes = measured_minutes(group, self.now)
        self.windows_open = open_windows(group)

    def _remaining(self) -> list[float]:
        remaining = []
        for ticket in self.in_progress:
            elapsed = (self.now - ticket.called_at).total_seconds() / 60
            remaining.append(estimate.remaining_minutes(self.minutes.get(ticket.purpose_id, 10), elapsed))
        return remaining

    def wait_for(self, ahead: int) -> float | None:
        """Minutes until the visitor with `ahead` tickets before them is called; None if closed."""
        if self.windows_open == 0:
            return None
        durations = [self.minutes.get(t.purpose_id, t.purpose.expected_minutes) for t in self.line[:ahead]]
        return estimate.wait_minutes(durations, self._remaining(), self.windows_open)

    def position(self, ticket: Ticket) -> int | None:
        for index, waiting in enumerate(self.line):
            if waiting.pk == ticket.pk:
                return index
        return None

    def estimate_for(self, ticket: Ticket) -> float | None:
        ahead = self.position(ticket)
        return None if ahead is None else self.wait_for(ahead)

    def new_arrival(self) -> float | None:
        return self.wait_for(len(self.line))


def recent_calls(municipality, groups=None, limit: int = 8, now: datetime | None = None) -> list[Ticket]:
    """The latest called tickets today (newest first), for the display."""
    now = now or timezone.now()
    tickets = Ticket.objects.select_related("group", "window").filter(
        municipality=municipality, service_date=timezone.localdate(now), called_at__isnull=False,
        status__in=(*ACTIVE, TicketStatus.DONE, TicketStatus.ABSENT))
    if groups is not None:
        tickets = tickets.filter(group__in=groups)
    return list(tickets.order_by("-called_at", "-id")[:limit])


def board(municipality, groups=None, now: datetime | None = None) -> dict:
    """What the display and the public page show: the calls and each group's line and wait."""
    now = now or timezone.now()
    groups = list(groups if groups is not None else groups_of(municipality))
    rows = []
    for group in groups:
        snapshot = Snapshot(group, now)
        wait = snapshot.new_arrival()
        rows.append({
            "code": group.code, "name": group.name, "name_en": group.translations.get("en", ""),
            "translations": group.translations, "prefix": group.prefix,
            "waiting": len(snapshot.line), "windows_open": snapshot.windows_open,
            "estimated_wait_minutes": None if wait is None else estimate.round_up(wait),
        })
    calls = [{
        "ticket": t.label, "group": t.group.code, "window": t.window.number if t.window else None,
        "status": t.status, "called_at": t.called_at.isoformat(), "calls": t.call_count,
    } for t in recent_calls(municipality, groups, now=now)]
    return {"groups": rows, "calls": calls}


def daily_figures(municipality, day: date) -> dict:
    """The day's record: per group average and maximum wait and served count; served per window."""
    tickets = list(Ticket.objects.select_related("group", "window")
                   .filter(municipality=municipality, service_date=day))
    groups = {}
    windows = {}
    for ticket in tickets:
        row = groups.setdefault(ticket.group.code, {
            "group": ticket.group.name, "issued": 0, "served": 0, "absent": 0, "waits": []})
        row["issued"] += ticket.transferred_from_id is None
        row["served"] += ticket.status == TicketStatus.DONE
        row["absent"] += ticket.status == TicketStatus.ABSENT
        if ticket.wait_minutes is not None:
            row["waits"].append(ticket.wait_minutes)
        if ticket.status == TicketStatus.DONE and ticket.window:
            key = (ticket.group.name, ticket.window.number)
            windows[key] = windows.get(key, 0) + 1
    for row in groups.values():
        waits = row.pop("waits")
        row["average_wait_minutes"] = round(sum(waits) / len(waits), 1) if waits else None
        row["max_wait_minutes"] = round(max(waits), 1) if waits else None
    every_wait = [t.wait_minutes for t in tickets if t.wait_minutes is not None]
    return {
        "date": day.isoformat(),
        "groups": groups,
        "windows": [{"group": g, "window": n, "served": c} for (g, n), c in sorted(windows.items())],
        "average_wait_minutes": round(sum(every_wait) / len(every_wait), 1) if every_wait else None,
        "max_wait_minutes": round(max(every_wait), 1) if every_wait else None,
    }


def waiting_tickets_with_notice(group: CounterGroup):
    """Tickets whose visitor asked to be told (by e-mail, kept on the ticket, or by push, a
    contact of the person "ticket:<pk>") and was not told yet."""
    return Ticket.objects.filter(group=group, status=TicketStatus.ISSUED,
                                 notify_when_remaining__isnull=False, notified_at__isnull=True)


def at_windows_of(municipality, departments, now: datetime | None = None) -> list[Ticket]:
    """Today's tickets called or being served at the windows of these departments: whom a
    counter clerk of those departments may be serving now."""
    return list(Ticket.objects.select_related("group", "purpose", "window")
                .filter(municipality=municipality, group__department__in=departments, status__in=ACTIVE,
                        service_date=timezone.localdate(now))
                .order_by("called_at"))
