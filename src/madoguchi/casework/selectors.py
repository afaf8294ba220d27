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
  A fee the department itself asked for after review (事後決済) always shows;
- 「自分の担当」 (`Filters.assignee`) is one range of the index `submission_assignee
  (assignee, submitted_at, id)`, in queue order, whatever the departments: no merge. The user's
  departments are still a filter on its rows, so a case of a department the user has left no
  longer shows;
- the order by due day (`order="due"`, 標準処理期間) reads `submission_queue_due (department,
  due_on, id)` per department and merges like the default order; its cursor names
  (due_on, id). Cases without a due day (procedures without a period, cases filed before due
  days were kept) come last, as a second range of the same index (`due_on IS NULL`, by id),
  so the order is the same on PostgreSQL (NULLS LAST) and SQLite (NULLS FIRST) and each run is
  still one index read. Decided, rejected and withdrawn cases are left out of this order
  unless a status filter asks for them: a due day matters only while a case is open, and
  overdue open cases come first (the earliest due days).
"""

import heapq
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.core import signing
from django.db.models import Q, QuerySet
from django.utils import timezone

from madoguchi.applications.models import Status, Submission
from madoguchi.applications.workflow import FINAL
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
    assignee: int | None = None  # 「自分の担当」: the user's id


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


def _unsigned(cursor: str, salt: str) -> list | None:
    """The pair a cursor of this module holds (signed under `salt`), or None for anything
    else: too long, forged, or not a pair."""
    if not cursor or len(cursor) > CURSOR_MAX_LENGTH:
        return None
    try:
        value = signing.Signer(salt=salt).unsign_object(cursor)
    except (signing.BadSignature, ValueError, UnicodeError):
        return None
    return value if isinstance(value, list) and len(value) == 2 else None


def position_of(cursor: str) -> Position | None:
    """The position a cursor names, or None for anything this module did not sign."""
    value = _unsigned(cursor, _CURSOR_SALT)
    if value is None or not all(type(part) is int for part in value) or value[1] < 1:
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
    if filters.assignee:
        cases = cases.filter(assignee_id=filters.assignee)
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
    runs = []
    for cases in _sources(departments, filters):
        if after is not None:
            cases = _after(cases, after)
        if backwards:
            cases = _before(cases, before)
        runs.append(list(cases.order_by(*order)[:limit]))
    return _merged(departments, runs, _key, backwards, limit)


def _sources(departments: list[Department], filters: Filters) -> list[QuerySet]:
    """The filtered cases to read, one queryset per index range: one per department, or for
    「自分の担当」 the user's own range (their departments a filter on its rows)."""
    visible = unpaid_visible(departments[0].municipality)
    if filters.assignee:
        return [_filtered(Submission.objects.filter(department_id__in=[d.pk for d in departments]),
                          filters, visible)]
    return [_filtered(Submission.objects.filter(department_id=d.pk), filters, visible)
            for d in departments]


def _merged(departments: list[Department], runs: list[list[Submission]], key, backwards: bool,
            limit: int) -> list[Submission]:
    by_pk = {d.pk: d for d in departments}
    rows = list(heapq.merge(*runs, key=key, reverse=backwards))[:limit]
    for case in rows:
        case.department = by_pk[case.department_id]  # the FK cache: no join, no extra query
    return rows


# The order by due day (標準処理期間) ------------------------------------------------------------

# (due_on or None, id) of a row: None sorts after every day.
DuePosition = tuple[date | None, int]
_DUE_CURSOR_SALT = "madoguchi.casework.queue-due-cursor"


def _due_key(case: Submission) -> tuple:
    return case.due_on is None, case.due_on or date.min, case.pk


def due_cursor_for(case: Submission) -> str:
    """The cursor of `case`'s place in the order by due day: its due day (as an ordinal, or
    null) and id, signed like cursor_for under another salt (one order's cursor is not the
    other's)."""
    day = case.due_on.toordinal() if case.due_on else None
    return signing.Signer(salt=_DUE_CURSOR_SALT).sign_object([day, case.pk])


def due_position_of(cursor: str) -> DuePosition | None:
    value = _unsigned(cursor, _DUE_CURSOR_SALT)
    if (value is None or type(value[1]) is not int or value[1] < 1
            or not (value[0] is None or type(value[0]) is int)):
        return None
    try:
        return (None if value[0] is None else date.fromordinal(value[0])), value[1]
    except (ValueError, OverflowError):
        return None


# The closed statuses: `NOT (status IN (…))` in the statement implies the predicate of the
# partial index submission_queue_due (open cases only; see _open_unless_asked).
CLOSED = sorted(FINAL)


def _open_unless_asked(cases: QuerySet, filters: Filters) -> QuerySet:
    """The order by due day lists open cases, unless the status filter asks for closed ones.
    With an open status the condition changes nothing but stays in the statement, so a partial
    index over open cases (which PostgreSQL can use only when the WHERE clause implies its
    predicate) serves both. Measured on PostgreSQL with 100,000 decided cases before 300 open
    ones in a department: the full index reads past all 99,700 decided rows for a first page
    (15 ms warm), the partial one reads 26 (0.03 ms)."""
    return cases if filters.status in FINAL else cases.exclude(status__in=CLOSED)


def _due_run(cases: QuerySet, limit: int, position: DuePosition | None, backwards: bool) -> list:
    """Up to `limit` of one source's cases after (or before) `position` in (due_on, id)
    order with the undated last: at most two ranges of the index, dated then undated."""
    dated, undated = cases.filter(due_on__isnull=False), cases.filter(due_on__isnull=True)
    day, pk = position if position is not None else (None, None)
    if not backwards:
        rows = []
        if position is None or day is not None:
            if day is not None:
                dated = dated.filter(due_on__gte=day).filter(Q(due_on__gt=day) | Q(pk__gt=pk))
            rows = list(dated.order_by("due_on", "pk")[:limit])
        elif pk is not None:
            undated = undated.filter(pk__gt=pk)
        if len(rows) < limit:
            rows += list(undated.order_by("pk")[:limit - len(rows)])
        return rows
    rows = []
    if day is None:
        rows = list(undated.filter(pk__lt=pk).order_by("-pk")[:limit])
    else:
        dated = dated.filter(due_on__lte=day).filter(Q(due_on__lt=day) | Q(pk__lt=pk))
    if len(rows) < limit:
        rows += list(dated.order_by("-due_on", "-pk")[:limit - len(rows)])
    return rows


def _due_read(departments: list[Department], filters: Filters, limit: int, *,
              after: DuePosition | None = None, before: DuePosition | None = None) -> list:
    backwards = before is not None
    runs = [_due_run(_open_unless_asked(cases, filters), limit, before if backwards else after,
                     backwards) for cases in _sources(departments, filters)]
    return _merged(departments, runs, _due_key, backwards, limit)


@dataclass(frozen=True)
class _Order:
    """One order of the queue: how its rows are read, and how a row's place is named (the
    position the reads start from, the signed cursor, and back from a cursor)."""

    read: Callable
    position: Callable  # Submission → Position or DuePosition
    cursor: Callable  # Submission → str
    parse: Callable  # str → the position, or None


ORDERS = {"": _Order(_read, _key, cursor_for, position_of),
          "due": _Order(_due_read, lambda case: (case.due_on, case.pk), due_cursor_for, due_position_of)}


def position_in(order: str, cursor: str):
    """The position a cursor of this order names, or None."""
    return ORDERS[order].parse(cursor)


def _any(departments: list[Department], filters: Filters, *, after=None, before=None,
         order: str = "") -> bool:
    """Whether any case lies after (or before) a position: read like a page of one, in order,
    so the planner walks the same index from that position. (A bare EXISTS lets it choose a
    table scan that expects an early match, and the cases after a recent position sit at the
    end of the table.)"""
    return bool(ORDERS[order].read(departments, filters, 1, after=after, before=before))


def queue_page(departments: list[Department], filters: Filters = Filters(), *,
               after=None, before=None, size: int | None = None, order: str = "") -> QueuePage:
    """One page of the queue (PAGE_SIZE cases unless `size`): the first, the one after
    `after`, or the one before `before`; in queue order, or by due day (`order="due"`, whose
    positions are DuePositions, see position_in)."""
    size = size or PAGE_SIZE
    if not departments:
        return QueuePage([], departments=departments)
    how = ORDERS[order]
    read = how.read
    if before is not None:
        rows = read(departments, filters, size + 1, before=before)
        if len(rows) <= size:  # back at the start: show the first page, full
            return queue_page(departments, filters, size=size, order=order)
        rows = _with_assignees(rows[:size][::-1])
        has_next = _any(departments, filters, after=how.position(rows[-1]), order=order)
        return QueuePage(rows, how.cursor(rows[-1]) if has_next else None, how.cursor(rows[0]),
                         departments)
    rows = read(departments, filters, size + 1, after=after)
    has_next, rows = len(rows) > size, _with_assignees(rows[:size])
    has_previous = after is not None and bool(rows) and _any(
        departments, filters, before=how.position(rows[0]), order=order)
    return QueuePage(rows, how.cursor(rows[-1]) if has_next else None,
                     how.cursor(rows[0]) if has_previous else None, departments)


def _with_assignees(rows: list[Submission]) -> list[Submission]:
    """Each case's assignee (the queue's 担当者 column) in one query for the page, set in the
    FK cache: not a join in the index reads, and not a query per row."""
    ids = {case.assignee_id for case in rows if case.assignee_id}
    users = {u.pk: u for u in get_user_model().objects.filter(pk__in=ids)} if ids else {}
    for case in rows:
        if case.assignee_id:
            case.assignee = users.get(case.assignee_id)
    return rows


def queue_count(departments: list[Department], filters: Filters = Filters(),
                order: str = "") -> counting.Count:
    """How many cases the filters match: exact up to core.counting.EXACT_UP_TO, estimated past
    (by due day: the open ones, as that order lists them)."""
    if not departments:
        return counting.count(Submission.objects.none())
    cases = _filtered(Submission.objects.filter(department_id__in=[d.pk for d in departments]),
                      filters, unpaid_visible(departments[0].municipality))
    return counting.count(_open_unless_asked(cases, filters) if order == "due" else cases)


def own_procedures(municipality, departments: list[Department]) -> dict[str, str]:
    """The procedures the staff member's departments handle (the catalogue's `department:`,
    with the city's overrides), code → title, by title: what the queue's procedure filter
    offers. Procedures of other departments and of other offices (税務署 …) are not the
    department's work."""
    codes = {d.code for d in departments}
    own = [p for p in catalog_for(municipality.slug, language="ja").values() if p.department in codes]
    return {p.code: p.title for p in sorted(own, key=lambda p: (p.title, p.code))}


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
