"""The daily job: every app's event rows of one day, counted into `DailyFigure` rows.

A day is built whole or not at all: its rows are deleted and inserted again in one transaction
and its `BuiltDay` row says when, so rebuilding a day gives the same rows (the job is idempotent)
and a reader never sees half a day. The job rebuilds the last 35 days every night by default:
a case decided, a draft submitted or a charge paid later changes the figures of the day its
story started on, and corrections arrive late.

Each measure is one or two GROUP BY queries over the range (a quarter at a time), grouped by
the city day: the database counts, Python only sorts the groups into histogram buckets, and
no Python object is made per submission. Durations are measured in the database (`Elapsed`):
grouped by whole hours or minutes, so the buckets are exact, and summed in seconds, so an
average is exact (every duration a row totals is in seconds).

The rows hold counts, sums and enumerated dimensions (a channel, a reason, an hour, a bucket),
never anything that names or points at a person.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta

from django.db import connection, transaction
from django.db.models import (
    BigIntegerField,
    BooleanField,
    Count,
    ExpressionWrapper,
    F,
    Func,
    Max,
    Q,
    Sum,
)
from django.db.models.functions import ExtractHour, TruncDate
from django.utils import timezone

from madoguchi.applications.models import Channel, Draft, Status, Submission, SubmissionEvent
from madoguchi.catalog.loader import catalog, catalog_for
from madoguchi.core.days import day_bounds
from madoguchi.core.models import Department, Municipality
from madoguchi.counter.models import CounterVisit
from madoguchi.feedback.models import SurveyAnswer
from madoguchi.insights.figures import CALLED
from madoguchi.insights.measures import Measure, accumulate, hours_bucket, minutes_bucket
from madoguchi.insights.models import BuiltDay, DailyFigure
from madoguchi.navigator.models import NavigatorPlan
from madoguchi.notify.models import OutboxMessage
from madoguchi.payments.models import Charge
from madoguchi.queueing.models import Ticket

DEFAULT_DAYS = 35  # yesterday and the 34 days before it: late decisions, payments, corrections
DECISIONS = (Status.APPROVED, Status.REJECTED)

# Sources disposed of before the default window ends (navigator plans a month after their last
# change, their drafts' link with them): a day older than this keeps the rows it was built
# with for these measures, so rebuilding it never loses what the disposal took away.
KEPT_AFTER_DAYS = {Measure.NAVIGATOR_PLANS: 29, Measure.NAVIGATOR_DRAFTS: 29}


class Elapsed(Func):
    """Whole `unit`s (seconds per unit) from `start` to `end`, computed in the database.

    Written here because Django's duration arithmetic gives an interval on PostgreSQL and
    microseconds on SQLite, and Extract(epoch) refuses SQLite: the job needs the same whole
    number on both to group by it. Floor, so a wait of 4 min 59 s is in the 4-minute bucket."""

    output_field = BigIntegerField()

    def __init__(self, end, start, unit: int = 1, **extra):
        super().__init__(end, start, unit=int(unit), **extra)

    def as_sql(self, compiler, connection, **extra):  # PostgreSQL and others with intervals
        template = "CAST(FLOOR(EXTRACT(EPOCH FROM (%(expressions)s)) / %(unit)s) AS BIGINT)"
        return super().as_sql(compiler, connection, template=template, arg_joiner=" - ", **extra)

    def as_sqlite(self, compiler, connection, **extra):
        # julianday is a float of days; rounded to the millisecond it is exact enough to floor
        template = "CAST(ROUND((julianday(%(expressions)s)) * 86400.0, 3) / %(unit)s AS INTEGER)"
        return super().as_sql(compiler, connection, template=template, arg_joiner=") - julianday(",
                              **extra)


def _elapsed(start: str, end: str, unit: int) -> Elapsed:
    """Whole units from the field `start` to the field `end` (the SQL reads end - start)."""
    return Elapsed(F(end), F(start), unit=unit)


def _local_day(field: str) -> TruncDate:
    """The city day (Asia/Tokyo) of a timestamp, computed in the database."""
    return TruncDate(field, tzinfo=timezone.get_default_timezone())


class Rows:
    """The rows of one day being built, keyed by what makes a row (merged on the way)."""

    def __init__(self, city: Municipality, day: date):
        self.city, self.day = city, day
        self.cells: dict[tuple, list] = {}

    def add(self, measure: str, dimension: str = "", count: int = 0, total: int = 0,
            maximum: int | None = None, department: int | None = None, procedure: str = "") -> None:
        if not count and not total:
            return
        key = (measure, department, procedure or "", str(dimension))
        accumulate(self.cells.setdefault(key, [0, 0, None]), count, total, maximum)


class Book:
    """The rows of every day of a range, filled one measure at a time."""

    def __init__(self, city: Municipality, first: date, last: date):
        self.city, self.first, self.last = city, first, last
        self.start, self.end = day_bounds(first)[0], day_bounds(last)[1]
        self.days = {day: Rows(city, day) for day in days_of(first, last)}

    def __getitem__(self, day: date) -> Rows:
        return self.days[day]


# --- the measures -------------------------------------------------------------------------------
# Each is one or two GROUP BY queries over the book's range, grouped by the city day, so a run
# over 35 days reads each table once, not 35 times.

def _applications(book: Book) -> None:
    submitted = Submission.objects.filter(municipality=book.city, submitted_at__gte=book.start,
                                          submitted_at__lt=book.end)
    groups = (submitted.annotate(day=_local_day("submitted_at"))
              .values("day", "department_id", "procedure_code", "channel").annotate(n=Count("id")))
    for group in groups:
        book[group["day"]].add(Measure.APPLICATIONS, group["channel"], group["n"],
                               department=group["department_id"], procedure=group["procedure_code"])
    signed = (submitted.filter(channel=Channel.ONLINE, versions__number=1, versions__signature__isnull=False)
              .annotate(day=_local_day("submitted_at"))
              .values("day", "department_id", "procedure_code").annotate(n=Count("id", distinct=True)))
    for group in signed:
        book[group["day"]].add(Measure.CARD_SIGNED, "", group["n"], department=group["department_id"],
                               procedure=group["procedure_code"])


def _decisions(book: Book) -> None:
    """Decisions by day and outcome, and how long from submission (whole hours); 差戻し by
    reason."""
    events = SubmissionEvent.objects.filter(submission__municipality=book.city, at__gte=book.start,
                                            at__lt=book.end)
    decided = (events.filter(to_status__in=DECISIONS)
               .annotate(day=_local_day("at"), hours=_elapsed("submission__submitted_at", "at", 3600),
                         seconds=_elapsed("submission__submitted_at", "at", 1))
               .values("day", "submission__department_id", "submission__procedure_code", "to_status", "hours")
               .annotate(n=Count("id"), s=Sum("seconds"), longest=Max("seconds")))
    for group in decided:
        department, procedure = group["submission__department_id"], group["submission__procedure_code"]
        hours = max(0, group["hours"])
        rows = book[group["day"]]
        rows.add(Measure.DECIDED, group["to_status"], group["n"], group["s"], group["longest"],
                 department=department, procedure=procedure)
        rows.add(Measure.PROCESSING_HOURS, hours_bucket(hours), group["n"], department=department,
                 procedure=procedure)
    returned = (events.filter(to_status=Status.RETURNED).annotate(day=_local_day("at"))
                .values("day", "submission__department_id", "submission__procedure_code", "reason")
                .annotate(n=Count("id")))
    for group in returned:
        book[group["day"]].add(Measure.RETURNED, group["reason"], group["n"],
                               department=group["submission__department_id"],
                               procedure=group["submission__procedure_code"])


def procedure_departments(city: Municipality) -> dict[str, int]:
    """Procedure code → the city's department id handling it (for rows made from drafts, which
    name only their procedure), the city's catalogue over the national one."""
    ids = dict(Department.objects.filter(municipality=city).values_list("code", "id"))
    procedures = {**catalog(), **catalog_for(city.slug, "ja")}
    return {code: ids[p.department] for code, p in procedures.items() if p.department in ids}


def _drafts(book: Book) -> None:
    """Online forms begun each day (corrections of a 差戻し are not new starts): how many, how
    many of them reached submission, the step the others stopped at; those begun from 手続ナビ."""
    departments = procedure_departments(book.city)
    drafts = (Draft.objects.filter(municipality=book.city, created_at__gte=book.start, created_at__lt=book.end,
                                   correcting__isnull=True)
              .annotate(day=_local_day("created_at"),
                        done=ExpressionWrapper(Q(submitted_at__isnull=False), output_field=BooleanField()))
              .values("day", "procedure_code", "done", "step", "navigator_plan__event").annotate(n=Count("id")))
    for group in drafts:
        code, n, rows = group["procedure_code"], group["n"], book[group["day"]]
        department = departments.get(code)
        rows.add(Measure.DRAFTS_STARTED, "", n, department=department, procedure=code)
        if group["done"]:
            rows.add(Measure.DRAFTS_SUBMITTED, "", n, department=department, procedure=code)
        else:
            rows.add(Measure.DRAFTS_LEFT, str(group["step"]), n, department=department, procedure=code)
        if group["navigator_plan__event"]:
            rows.add(Measure.NAVIGATOR_DRAFTS, group["navigator_plan__event"], n, procedure=code)
    plans = (NavigatorPlan.objects.filter(municipality=book.city, created_at__gte=book.start,
                                          created_at__lt=book.end)
             .annotate(day=_local_day("created_at")).values("day", "event").annotate(n=Count("id")))
    for group in plans:
        book[group["day"]].add(Measure.NAVIGATOR_PLANS, group["event"], group["n"])


def _charges(book: Book) -> None:
    created = (Charge.objects.filter(municipality=book.city, created_at__gte=book.start, created_at__lt=book.end)
               .annotate(day=_local_day("created_at"))
               .values("day", "submission__department_id", "submission__procedure_code", "kind")
               .annotate(n=Count("id"), yen=Sum("amount_yen")))
    for group in created:
        book[group["day"]].add(Measure.CHARGES_CREATED, group["kind"], group["n"], group["yen"] or 0,
                               department=group["submission__department_id"],
                               procedure=group["submission__procedure_code"])
    paid = (Charge.objects.filter(municipality=book.city, status=Charge.Status.PAID, paid_at__gte=book.start,
                                  paid_at__lt=book.end)
            .annotate(day=_local_day("paid_at"))
            .values("day", "submission__department_id", "submission__procedure_code", "paid_attempt__provider")
            .annotate(n=Count("id"), yen=Sum("amount_yen")))
    for group in paid:
        book[group["day"]].add(Measure.CHARGES_PAID, group["paid_attempt__provider"] or "", group["n"],
                               group["yen"] or 0, department=group["submission__department_id"],
                               procedure=group["submission__procedure_code"])


def _queue(book: Book) -> None:
    """Tickets issued each day by hour; the wait from issue to call; the time at the window.
    A ticket moved to another window (transferred) is the same visitor: counted once."""
    tickets = Ticket.objects.filter(municipality=book.city, service_date__gte=book.first,
                                    service_date__lte=book.last, transferred_from__isnull=True)
    zone = timezone.get_default_timezone()
    waits = (tickets.annotate(hour=ExtractHour("issued_at", tzinfo=zone),
                              minutes=_elapsed("issued_at", "called_at", 60),
                              seconds=_elapsed("issued_at", "called_at", 1))
             .values("service_date", "hour", "minutes")
             .annotate(n=Count("id"), s=Sum("seconds"), longest=Max("seconds")))
    for group in waits:
        rows, hour = book[group["service_date"]], f"{group['hour']:02d}"
        if group["minutes"] is None:
            rows.add(Measure.TICKETS, hour, group["n"])
            continue
        minutes = max(0, group["minutes"])
        rows.add(Measure.TICKETS, hour, group["n"], group["s"], group["longest"])
        rows.add(Measure.TICKETS, hour + CALLED, group["n"])
        rows.add(Measure.WAIT_MINUTES, minutes_bucket(minutes), group["n"])
    served = (tickets.filter(started_at__isnull=False, finished_at__isnull=False)
              .annotate(minutes=_elapsed("started_at", "finished_at", 60),
                        seconds=_elapsed("started_at", "finished_at", 1))
              .values("service_date", "minutes").annotate(n=Count("id"), s=Sum("seconds")))
    for group in served:
        book[group["service_date"]].add(Measure.SERVICE_MINUTES, minutes_bucket(max(0, group["minutes"])),
                                        group["n"], group["s"])


def _visits(book: Book) -> None:
    """Counter visits (書かない窓口) by how the visitor was identified, and where each field of
    their forms came from: pre-filled, typed by the clerk, or written by the visitor."""
    visits = (CounterVisit.objects.filter(municipality=book.city, called_at__gte=book.start,
                                          called_at__lt=book.end)
              .annotate(day=_local_day("called_at")).values("day", "identified_by")
              .annotate(n=Count("id"), s=Sum("duration_seconds"), prefilled=Sum("fields_prefilled"),
                        typed=Sum("fields_typed_by_clerk"), written=Sum("fields_written_by_visitor")))
    for group in visits:
        rows = book[group["day"]]
        rows.add(Measure.VISITS, group["identified_by"], group["n"], int(group["s"] or 0))
        for name in ("prefilled", "typed", "written"):
            rows.add(Measure.VISIT_FIELDS, name, int(group[name] or 0))


def _satisfaction(book: Book) -> None:
    answers = (SurveyAnswer.objects.filter(municipality=book.city, answered_on__gte=book.first,
                                           answered_on__lte=book.last)
               .values("answered_on", "department_id", "procedure_code", "touchpoint", "rating")
               .annotate(n=Count("id")))
    for group in answers:
        book[group["answered_on"]].add(Measure.SATISFACTION, f"{group['touchpoint']}:{group['rating']}",
                                       group["n"], department=group["department_id"],
                                       procedure=group["procedure_code"])


def _notices(book: Book) -> None:
    notices = (OutboxMessage.objects.filter(municipality=book.city, created_at__gte=book.start,
                                            created_at__lt=book.end)
               .annotate(day=_local_day("created_at")).values("day", "channel", "status").annotate(n=Count("id")))
    for group in notices:
        book[group["day"]].add(Measure.NOTICES, f"{group['channel']}:{group['status']}", group["n"])


MEASURES = (_applications, _decisions, _drafts, _charges, _queue, _visits, _satisfaction, _notices)


def compute_range(city: Municipality, first: date, last: date) -> Book:
    """The rows of every day of [first, last], computed from the event rows (nothing written)."""
    book = Book(city, first, last)
    for measure in MEASURES:
        measure(book)
    return book


def compute_day(city: Municipality, day: date) -> Rows:
    """The rows of one day, computed from the event rows (nothing written)."""
    return compute_range(city, day, day)[day]


# --- building -----------------------------------------------------------------------------------

def _kept_measures(day: date, today: date, built_before: bool) -> list[str]:
    if not built_before:
        return []
    return [measure for measure, days in KEPT_AFTER_DAYS.items() if (today - day).days > days]


def build_day(city: Municipality, day: date, now: datetime | None = None) -> int:
    """Build (or rebuild) one day of one city; returns the number of rows it has."""
    return build_range(city, day, day, now=now)[day]


def build_range(city: Municipality, first: date, last: date, now: datetime | None = None,
                chunk_days: int = 92) -> dict[date, int]:
    """Build every day of [first, last] for one city; returns the rows of each day.

    The event rows are read `chunk_days` at a time (one GROUP BY per measure per chunk), then
    each day is written in its own transaction: a failure leaves the days before it built.
    Two runs at once each write whole days, one after the other (`_write_day`); the day holds
    the last one's count of committed rows, and the next night's run counts it again."""
    found: dict[date, int] = {}
    start = first
    while start <= last:
        end = min(last, start + timedelta(chunk_days - 1))
        book = compute_range(city, start, end)
        for day in days_of(start, end):
            found[day] = _write_day(book[day], now or timezone.now())
        start = end + timedelta(1)
    return found


def _write_day(rows: Rows, now: datetime) -> int:
    """Replace one day's rows in one transaction, so a day is absent or whole.

    Two runs writing the same day do not interleave: the day's `BuiltDay` row is created first
    and locked (SELECT … FOR UPDATE on PostgreSQL; SQLite's IMMEDIATE transaction serialises
    writers) until the new rows are in. The lock is the database's own row lock rather than a
    lease (core/leases.py): a day is written in one short transaction, so a run that dies
    releases it with its connection."""
    city, day = rows.city, rows.day
    with transaction.atomic():
        marker, created = BuiltDay.objects.get_or_create(municipality=city, day=day,
                                                         defaults={"built_at": now, "rows": 0})
        marker = BuiltDay.objects.select_for_update().get(pk=marker.pk)
        existing = DailyFigure.objects.filter(municipality=city, day=day)
        kept = _kept_measures(day, timezone.localdate(now), built_before=not created)
        cells = {key: cell for key, cell in rows.cells.items() if key[0] not in kept}
        existing.exclude(measure__in=kept).delete()
        _insert(city, day, cells)
        marker.built_at = now
        marker.rows = DailyFigure.objects.filter(municipality=city, day=day).count()
        marker.save(update_fields=["built_at", "rows"])
    return marker.rows


FIGURE_FIELDS = ("municipality", "day", "measure", "department", "procedure_code", "dimension", "count", "total",
                 "maximum")


def _insert(city: Municipality, day: date, cells: dict[tuple, list]) -> None:
    """Insert a day's rows with one executemany of plain values. Written here instead of
    bulk_create because a model instance per row was three quarters of a year's rebuild
    (the rows are counts and codes: nothing a field needs to prepare but the day)."""
    if not cells:
        return
    quote = connection.ops.quote_name
    fields = [DailyFigure._meta.get_field(name) for name in FIGURE_FIELDS]
    # names from the model's own metadata, values as parameters
    sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608
        quote(DailyFigure._meta.db_table), ", ".join(quote(f.column) for f in fields), ", ".join(["%s"] * len(fields)))
    stored_day = fields[1].get_db_prep_value(day, connection)
    params = [(city.pk, stored_day, measure, department, procedure, dimension, count, total, maximum)
              for (measure, department, procedure, dimension), (count, total, maximum) in sorted(
                  cells.items(), key=lambda item: (item[0][0], item[0][1] or 0, *item[0][2:]))]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


def days_of(first: date, last: date) -> Iterable[date]:
    day = first
    while day <= last:
        yield day
        day += timedelta(1)


def default_range(today: date | None = None, days: int = DEFAULT_DAYS) -> tuple[date, date]:
    """Yesterday and the `days - 1` days before it."""
    today = today or timezone.localdate()
    last = today - timedelta(1)
    return last - timedelta(days - 1), last


def built_rows(city: Municipality, day: date) -> list[tuple]:
    """The rows of a built day as plain tuples (what a rebuild must give again)."""
    rows = (DailyFigure.objects.filter(municipality=city, day=day)
            .values_list("measure", "department_id", "procedure_code", "dimension", "count", "total", "maximum"))
    return sorted(rows, key=lambda r: (r[0], r[1] or 0, r[2], r[3]))

