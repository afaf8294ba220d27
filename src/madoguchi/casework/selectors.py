"""The department work queue, limited to the departments the staff member belongs to.

A big city has ten million cases, so the queue is read the way its indexes are laid out
(applications.Submission.Meta.indexes: the department, the filter's column, then
(submitted_at, id)):

- the staff member's departments are read first into a list of ids, and the cases are read
  one department at a time, each an index range read in the queue's order; the pages are
  merged here. `department IN (subquery)` left PostgreSQL unable to use the index for order,
  and a list of several departments would still need a sort of all their matching cases;
- the city is not in the WHERE clause: the departments are the city's own (departments_of),
  and an index that needs no city column serves more filters;
- dates are days in the city's time zone, turned into a half-open range on the stored
  timestamp (local_day_range), never a cast of every row's timestamp to a date;
- pages are keyset pages: a cursor names the last (or first) row's (submitted_at, id), and
  the next page starts right after it, so page 1,000 costs what page 1 costs;
- the count is exact up to a threshold and estimated past it (core.counting);
- a case waiting for its fee (お支払い待ち) shows only for the procedures whose city file says
  `payment: {unpaid_visible: true}` (marked 未納); otherwise the department sees it once paid.
  A fee the department itself asked for after review (事後決済) always shows.
"""

import heapq
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from django.core import signing
from django.db.models import Q, QuerySet
from django.utils import timezone

from madoguchi.applications.models import Status, Submission
from madoguchi.catalog.loader import catalog_for
from madoguchi.core import counting
from madoguchi.core.models import Department
from madoguchi.core.roles import departments_of

PAGE_SIZE = 25
CURSOR_MAX_LENGTH = 200  # a cursor this module signs is about 60 characters

# (submitted_at, id) of a row: where a keyset page starts after or ends before.
Position = tuple[datetime, int]


@dataclass(frozen=True)
class Filters:
    status: str = ""
    procedure: str = ""
    channel: str = ""
    since: date | None = None  # first day, in the city's time zone
    until: date | None = None  # last day, inclusive


@dataclass(frozen=True)
class QueuePage:
    cases: list[Submission]
    next_cursor: str | None = None  # None on the last page
    previous_cursor: str | None = None  # None on the first page
    departments: list[Department] = field(default_factory=list)


def local_day_range(since: date | None, until: date | None) -> tuple[datetime | None, datetime | None]:
    """The days `since` to `until` (both inclusive, in the city's time zone, Asia/Tokyo) as a
    half-open range of instants: submitted_at >= start of `since`, < start of the day after
    `until`. A bound outside what a timestamp can hold means no bound (every case is after
    year 1 and before year 9999)."""
    start = _start_of_local_day(since) if since else None
    end = None
    if until:
        try:
            end = _start_of_local_day(until + timedelta(days=1))
        except OverflowError:
            end = None
    return start, end


def _start_of_local_day(day: date) -> datetime | None:
    try:
        return datetime.combine(day, time.min, tzinfo=timezone.get_default_timezone()).astimezone(UTC)
    except OverflowError:
        return None


# Cursors -------------------------------------------------------------------------------------

_CURSOR_SALT = "madoguchi.casework.queue-cursor"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def cursor_for(case: Submission) -> str:
    """The opaque cursor naming `case`'s place in the queue. Signed (django.core.signing), so a
    client cannot forge a position; it holds a timestamp and an id, nothing personal."""
    micros = (case.submitted_at - _EPOCH) // timedelta(microseconds=1)
    return signing.Signer(salt=_CURSOR_SALT).sign_object([micros, case.pk])


def position_of(cursor: str) -> Position | None:
    """The position a cursor names, or None for anything this module did not sign."""
    if not cursor or len(cursor) > CURSOR_MAX_LENGTH:
        return None
    try:
        value = signing.Signer(salt=_CURSOR_SALT).unsign_object(cursor)
    except (signing.BadSignature, ValueError, UnicodeError):
        return None
    if (not isinstance(value, list) or len(value) != 2
            or not all(type(part) is int for part in value) or value[1] < 1):
        return None
    try:
        return _EPOCH + timedelta(microseconds=value[0]), value[1]
    except OverflowError:
        return None


# Reading the queue ---------------------------------------------------------------------------

def departments(user, municipality) -> list[Department]:
    """The staff member's departments in this city, read once per request (each carries the
    city, which says whose unpaid cases show, without another query)."""
    found = list(departments_of(user, municipality).order_by("pk"))
    for department in found:
        department.municipality = municipality
    return found


def unpaid_visible(municipality) -> list[str]:
    """The codes of the city's procedures whose unpaid cases the department sees (未納)."""
    return sorted(code for code, p in catalog_for(municipality.slug, language="ja").items()
                  if p.payment.unpaid_visible)


def _paid_or_visible(cases: QuerySet, visible: list[str]) -> QuerySet:
    """Leave out cases waiting for a fee due at submit, unless their procedure shows unpaid
    cases. A filter on the rows an index range reads, not a change of index: few cases wait."""
    hidden = Q(status=Status.AWAITING_PAYMENT, fee_deferred=False)
    if visible:
        hidden &= ~Q(procedure_code__in=visible)
    return cases.exclude(hidden)


def _filtered(cases: QuerySet, filters: Filters, visible: list[str] | None = None) -> QuerySet:
    if visible is not None:
        cases = _paid_or_visible(cases, visible)
    if filters.status:
        cases = cases.filter(status=filters.status)
    if filters.procedure:
        cases = cases.filter(procedure_code=filters.procedure)
    if filters.channel:
        cases = cases.filter(channel=filters.channel)
    start, end = local_day_range(filters.since, filters.until)
    if start:
        cases = cases.filter(submitted_at__gte=start)
    if end:
        cases = cases.filter(submitted_at__lt=end)
    return cases


def _after(cases: QuerySet, position: Position) -> QuerySet:
    """Rows after `position` in (submitted_at, id) order. The plain `submitted_at >= t` is
    what an index range read starts from; the OR only sorts out rows with the same instant.
    (A row comparison `(submitted_at, id) > (t, i)` says the same, but Django has no public
    expression for it and SQLite plans both alike.)"""
    at, pk = position
    return cases.filter(submitted_at__gte=at).filter(Q(submitted_at__gt=at) | Q(pk__gt=pk))


def _before(cases: QuerySet, position: Position) -> QuerySet:
    at, pk = position
    return cases.filter(submitted_at__lte=at).filter(Q(submitted_at__lt=at) | Q(pk__lt=pk))


def _key(case: Submission) -> Position:
    return case.submitted_at, case.pk


def _read(departments: list[Department], filters: Filters, limit: int, *,
          after: Position | None = None, before: Position | None = None) -> list[Submission]:
    """Up to `limit` cases in queue order after `after` (or, backwards, before `before`): one
    ordered index read per department, merged."""
    backwards = before is not None
    order = ("-submitted_at", "-pk") if backwards else ("submitted_at", "pk")
    by_pk = {d.pk: d for d in departments}
    visible = unpaid_visible(departments[0].municipality)
    runs = []
    for department in departments:
        cases = _filtered(Submission.objects.filter(department_id=department.pk), filters, visible)
        if after is not None:
            cases = _after(cases, after)
        if backwards:
            cases = _before(cases, before)
        runs.append(list(cases.order_by(*order)[:limit]))
    rows = list(heapq.merge(*runs, key=_key, reverse=backwards))[:limit]
    for case in rows:
        case.department = by_pk[case.department_id]  # the FK cache: no join, no extra query
    return rows


def _any(departments: list[Department], filters: Filters, *, after: Position | None = None,
         before: Position | None = None) -> bool:
    """Whether any case lies after (or before) a position: read like a page of one, in order,
    so the planner walks the same index from that position. (A bare EXISTS lets it choose a
    table scan that expects an early match, and the cases after a recent position sit at the
    end of the table.)"""
    return bool(_read(departments, filters, 1, after=after, before=before))


def queue_page(departments: list[Department], filters: Filters = Filters(), *,
               after: Position | None = None, before: Position | None = None,
               size: int | None = None) -> QueuePage:
    """One page of the queue (PAGE_SIZE cases unless `size`): the first, the one after
    `after`, or the one before `before`."""
    size = size or PAGE_SIZE
    if not departments:
        return QueuePage([], departments=departments)
    if before is not None:
        rows = _read(departments, filters, size + 1, before=before)
        if len(rows) <= size:  # back at the start: show the first page, full
            return queue_page(departments, filters, size=size)
        rows = rows[:size][::-1]
        has_next = _any(departments, filters, after=_key(rows[-1]))
        return QueuePage(rows, cursor_for(rows[-1]) if has_next else None, cursor_for(rows[0]),
                         departments)
    rows = _read(departments, filters, size + 1, after=after)
    has_next, rows = len(rows) > size, rows[:size]
    has_previous = after is not None and bool(rows) and _any(departments, filters,
                                                             before=_key(rows[0]))
    return QueuePage(rows, cursor_for(rows[-1]) if has_next else None,
                     cursor_for(rows[0]) if has_previous else None, departments)


def queue_count(departments: list[Department], filters: Filters = Filters()) -> counting.Count:
    """How many cases the filters match: exact up to core.counting.EXACT_UP_TO, estimated past."""
    if not departments:
        return counting.count(Submission.objects.none())
    return counting.count(_filtered(
        Submission.objects.filter(department_id__in=[d.pk for d in departments]), filters,
        unpaid_visible(departments[0].municipality)))


def queue(user, municipality, status: str = "", procedure: str = "", since: date | None = None,
          until: date | None = None, channel: str = "") -> QuerySet:
    """The whole filtered queue as one queryset, oldest first (for callers that want every
    case or an offset; pages of the list use queue_page)."""
    ids = [d.pk for d in departments(user, municipality)]
    cases = _filtered(Submission.objects.filter(department_id__in=ids),
                      Filters(status, procedure, channel, since, until), unpaid_visible(municipality))
    return cases.select_related("department").order_by("submitted_at", "pk")


def case_for(user, municipality, public_id) -> Submission | None:
    """A case the user may see, or None (the same answer whether it exists or not)."""
    return Submission.objects.filter(
        municipality=municipality, public_id=public_id,
        department__in=departments_of(user, municipality),
    ).select_related("department", "account", "resident").first()


def same_visit(case: Submission, user) -> list[dict]:
    """The other cases one counter visit filed, in every department, so a clerk sees the whole
    visit; only those of the clerk's own departments can be opened."""
    if case.visit_ref is None:
        return []
    own = set(departments_of(user, case.municipality).values_list("pk", flat=True))
    others = Submission.objects.filter(municipality=case.municipality, visit_ref=case.visit_ref) \
        .exclude(pk=case.pk).select_related("department").order_by("department__name", "pk")
    return [{"s": s, "open": s.department_id in own} for s in others]
