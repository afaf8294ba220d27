"""Changes to the queue: issuing, calling, serving, transferring, and the notices they cause.

Every change runs in one transaction that locks the group's row, so two clerks never call the
same ticket and numbers never repeat; each writes a `QueueChange` row (the display's event) and,
for staff actions, the audit log. `TRANSITIONS` is the ticket's one table of allowed changes.
"""

from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext

from madoguchi.core import audit
from madoguchi.core.actors import Actor
from madoguchi.core.crypto import encrypt_bytes
from madoguchi.queueing import estimate, notices, selectors
from madoguchi.queueing.models import (
    CounterGroup,
    QueueChange,
    Ticket,
    TicketStatus,
    VisitPurpose,
    Window,
)

S = TicketStatus
TRANSITIONS = {
    "call": ({S.ISSUED, S.ABSENT}, S.CALLED),
    "recall": ({S.CALLED}, S.CALLED),
    "start": ({S.CALLED}, S.SERVING),
    "finish": ({S.CALLED, S.SERVING}, S.DONE),
    "absent": ({S.CALLED}, S.ABSENT),
    "transfer": ({S.ISSUED, S.CALLED, S.SERVING}, S.TRANSFERRED),
    "cancel": ({S.ISSUED}, S.CANCELLED),
}
NOTICE_CHOICES = (1, 3, 5, 10)


class QueueError(Exception):
    """A refused queue action; the message is plain Japanese for the clerk or the visitor."""


def _lock(group: CounterGroup) -> None:
    CounterGroup.objects.select_for_update().filter(pk=group.pk).first()


def _log(ticket: Ticket, kind: str, actor: Actor | None) -> None:
    QueueChange.objects.create(municipality_id=ticket.municipality_id, group_id=ticket.group_id,
                               ticket=ticket, kind=kind, actor_ref=actor.ref if actor else "")
    if actor is not None and actor.staff_user_id is not None:
        audit.record(ticket.municipality, actor, f"queue.{kind}", "ticket", ticket.pk,
                     group=ticket.group.code, window=ticket.window.number if ticket.window else None)


def apply(ticket: Ticket, action: str, actor: Actor | None, now: datetime, **changes) -> Ticket:
    """The one place a ticket's status changes: checks the table, stamps the time, logs."""
    allowed, target = TRANSITIONS[action]
    ticket.refresh_from_db()
    if ticket.status not in allowed:
        raise QueueError(gettext("%(ticket)s は「%(status)s」のため、この操作はできません。") % {
            "ticket": ticket.label, "status": ticket.get_status_display()})
    ticket.status = target
    if action in ("call", "recall"):
        ticket.called_at = now
        ticket.call_count += 1
    elif action == "start":
        ticket.started_at = now
    elif action in ("finish", "transfer"):
        ticket.finished_at = now
    ticket.contact = None  # only needed while waiting for the notice: kept no longer
    if ticket.notify_when_remaining is not None and action != "transfer":
        notices.forget(ticket)  # its push subscription too (a transfer passes it on)
    for name, value in changes.items():
        setattr(ticket, name, value)
    ticket.save()
    _log(ticket, action, actor)
    return ticket


def _next_number(group: CounterGroup, day) -> int:
    last = Ticket.objects.filter(group=group, service_date=day).aggregate(n=Max("number"))["n"]
    return (last or 0) + 1


def issue_ticket(purpose: VisitPurpose, form_token: str, now: datetime | None = None,
                 reservation=None, transferred_from: Ticket | None = None,
                 language: str = "") -> tuple[Ticket, bool]:
    """Issue the next number of the purpose's group today. The same form token (a double
    click, a reload) returns the ticket already issued instead of a second one. `language`:
    the visitor's (its mails and links); a reservation's or a transferred ticket's by default."""
    language = (language or (reservation.language if reservation is not None else "")
                or (transferred_from.language if transferred_from is not None else "") or "ja")
    now = now or timezone.now()
    group = purpose.group
    existing = Ticket.objects.filter(municipality_id=group.municipality_id, form_token=form_token).first()
    if existing:
        return existing, False
    try:
        with transaction.atomic():
            _lock(group)
            day = timezone.localdate(now)
            ticket = Ticket(municipality_id=group.municipality_id, group=group, purpose=purpose,
                            service_date=day, number=_next_number(group, day), form_token=form_token,
                            issued_at=now, reservation=reservation, transferred_from=transferred_from,
                            language=language)
            ticket.save()
            snapshot = selectors.Snapshot(group, now)
            wait = snapshot.estimate_for(ticket)
            if wait is not None:
                ticket.estimate_minutes = estimate.round_up(wait)
                ticket.save(update_fields=["estimate_minutes"])
            _log(ticket, "issue", None)
    except IntegrityError:
        existing = Ticket.objects.filter(municipality_id=group.municipality_id, form_token=form_token).first()
        if existing is None:
            raise
        return existing, False
    return ticket, True


def current_at(window: Window) -> Ticket | None:
    return (Ticket.objects.select_related("group", "purpose")
            .filter(window=window, status__in=selectors.ACTIVE).first())


def _check_window_free(window: Window) -> None:
    busy = current_at(window)
    if busy is not None:
        raise QueueError(gettext("%(window)s番窓口では %(ticket)s の方を受付中です。終了してから次の方を呼んでください。") % {
            "window": window.number, "ticket": busy.label})


@transaction.atomic
def call_next(window: Window, actor: Actor, now: datetime | None = None) -> Ticket | None:
    """Call the first ticket in the group's call order to `window`; None when nobody waits."""
    now = now or timezone.now()
    _lock(window.group)
    _check_window_free(window)
    waiting = selectors.line(window.group, now)
    if not waiting:
        return None
    ticket = apply(waiting[0], "call", actor, now, window=window)
    notices.turn_near(window.group, now)
    return ticket


@transaction.atomic
def call_ticket(window: Window, ticket: Ticket, actor: Actor, now: datetime | None = None) -> Ticket:
    """Call one particular ticket (or an absent visitor who came back) to `window`."""
    now = now or timezone.now()
    if ticket.group_id != window.group_id:
        raise QueueError(gettext("この窓口の番号札ではありません。"))
    _lock(window.group)
    _check_window_free(window)
    ticket = apply(ticket, "call", actor, now, window=window)
    notices.turn_near(window.group, now)
    return ticket


@transaction.atomic
def act(ticket: Ticket, action: str, actor: Actor, now: datetime | None = None) -> Ticket:
    """recall / start / finish / absent / cancel on a ticket."""
    if action not in ("recall", "start", "finish", "absent", "cancel"):
        raise QueueError(gettext("この操作はできません。"))
    now = now or timezone.now()
    _lock(ticket.group)
    ticket = apply(ticket, action, actor, now)
    notices.turn_near(ticket.group, now)
    return ticket


@transaction.atomic
def transfer(ticket: Ticket, purpose: VisitPurpose, actor: Actor, now: datetime | None = None) -> Ticket:
    """Send the visitor on to another group: a new number there, ahead of walk-in tickets."""
    now = now or timezone.now()
    if purpose.group.municipality_id != ticket.municipality_id or purpose.group_id == ticket.group_id:
        raise QueueError(gettext("移動先の窓口を選んでください。"))
    _lock(ticket.group)
    ticket.refresh_from_db()
    contact = ticket.contact
    apply(ticket, "transfer", actor, now)
    moved, _ = issue_ticket(purpose, f"transfer:{ticket.pk}", now, transferred_from=ticket)
    if ticket.notify_when_remaining is not None and ticket.notified_at is None:
        moved.contact = contact
        moved.notify_when_remaining = ticket.notify_when_remaining
        moved.save(update_fields=["contact", "notify_when_remaining"])
        notices.pass_on(ticket, moved)
    elif ticket.notify_when_remaining is not None:
        notices.forget(ticket)
    notices.turn_near(ticket.group, now)
    notices.turn_near(purpose.group, now)
    return moved


@transaction.atomic
def set_window_open(window: Window, is_open: bool, actor: Actor) -> None:
    """Open or close a window; the estimate counts open windows only."""
    _lock(window.group)
    if not is_open and current_at(window):
        raise QueueError(gettext("受付中の方がいる間は窓口を閉じられません。"))
    Window.objects.filter(pk=window.pk).update(is_open=is_open)
    window.is_open = is_open
    QueueChange.objects.create(municipality_id=window.group.municipality_id, group=window.group,
                               kind="open" if is_open else "close", actor_ref=actor.ref)
    audit.record(window.group.municipality, actor, "queue.window_open" if is_open else "queue.window_close",
                 "window", window.pk, group=window.group.code)


def final_ticket(ticket: Ticket) -> Ticket:
    """Follow transfers to the ticket the visitor holds now."""
    while ticket.status == S.TRANSFERRED and hasattr(ticket, "transferred_to"):
        ticket = ticket.transferred_to
    return ticket


@transaction.atomic
def _check_notice(ticket: Ticket, remaining: int) -> None:
    if remaining not in NOTICE_CHOICES:
        raise QueueError(gettext("何人前にお知らせするかを選んでください。"))
    if ticket.status != S.ISSUED:
        raise QueueError(gettext("この番号札はすでに呼び出されています。"))


def ask_for_notice(ticket: Ticket, email: str, remaining: int, now: datetime | None = None) -> None:
    """Store the visitor's address (encrypted) and send the notice at once if already that close."""
    _check_notice(ticket, remaining)
    ticket.contact = encrypt_bytes(email.encode(), ticket.municipality_id)
    ticket.notify_when_remaining = remaining
    ticket.notified_at = None
    ticket.save(update_fields=["contact", "notify_when_remaining", "notified_at"])
    notices.turn_near(ticket.group, now or timezone.now())


@transaction.atomic
def ask_for_push_notice(ticket: Ticket, subscription, remaining: int, user_agent: str = "",
                        now: datetime | None = None) -> None:
    """The visitor's browser subscribed to push on the ticket page: the subscription becomes the
    ticket's contact, the threshold is set, and the notice goes at once if already that close.
    Raises QueueError, or notify's InvalidSubscription for what the browser sent."""
    _lock(ticket.group)
    ticket.refresh_from_db()
    _check_notice(ticket, remaining)
    notices.subscribe(ticket, subscription, user_agent)
    ticket.notify_when_remaining = remaining
    ticket.notified_at = None
    ticket.save(update_fields=["notify_when_remaining", "notified_at"])
    notices.turn_near(ticket.group, now or timezone.now())
