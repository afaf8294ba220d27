"""Claiming work from a table with leases: the outbox's messages (notify) and the hand-offs to
the business systems (handoff) are rows a worker takes one at a time.

A claim is committed before the work starts, with a lease (`claimed_until`): other workers
pass the row by while this one works; a worker that dies leaves a lease that runs out, and
then any worker takes the row again. On PostgreSQL the candidate is locked with SKIP LOCKED so
parallel workers pass each other by; on SQLite the IMMEDIATE transaction serialises claims.
Written here because the field's job queues bring a broker, and this is a few lines over the
database's own locking; each app says what taking a row means (its attempts, its give-up rule).
"""

from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from django.db import connection, transaction
from django.db.models import Model, Q, QuerySet

M = TypeVar("M", bound=Model)


def claim(rows: QuerySet, now: datetime, take: Callable[[M], bool], pk: int | None = None) -> M | None:
    """The next due row of `rows` (or row `pk`, due or not) whose lease is free, taken by
    `take(row)` inside the claim's transaction. `take` saves the row and returns True when it
    claimed it, or saves it as given up and returns False (the next candidate is tried)."""
    rows = rows.filter(Q(claimed_until__isnull=True) | Q(claimed_until__lte=now))
    if pk is not None:
        rows = rows.filter(pk=pk)
    else:
        rows = rows.filter(next_attempt_at__lte=now).order_by("next_attempt_at", "pk")
    if connection.features.has_select_for_update_skip_locked:
        rows = rows.select_for_update(skip_locked=True)
    while True:
        with transaction.atomic():
            row = rows.first()
            if row is None:
                return None
            if take(row):
                return row
