"""The city's KPIs over a period: the ONE place each KPI's formula lives.

Every surface (the staff pages, the public dashboard, the open data's CSV and JSON) reads its
numbers through `kpis`, `series` (`series_many`), `breakdown` (`breakdowns`), `public` and
`periods`, never `DailyFigure` or the event
rows, and never rounds again: a value is rounded once, here, so the same KPI is the same number
wherever it is shown. The rows are the daily aggregates built by insights/daily.py; a period's
percentile is read from the summed histogram buckets of its days (never from the days' own
percentiles, which cannot be combined).

Queue, counter and navigator figures belong to no department or procedure: with such a filter
their KPIs are None (not applicable) rather than the city's whole figure under a filter's name.
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import F, Max, Min, Sum
from django.db.models.functions import TruncMonth
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from madoguchi.applications.models import ReturnReason
from madoguchi.catalog.schema import Channel as ProcedureChannel
from madoguchi.catalog.selectors import procedures_for
from madoguchi.core import i18n
from madoguchi.core.models import Department, Municipality
from madoguchi.counter.models import Identified
from madoguchi.feedback.models import Rating
from madoguchi.insights.measures import Kpi, Measure, accumulate
from madoguchi.insights.models import BuiltDay, DailyFigure, Target
from madoguchi.navigator.selectors import life_events
from madoguchi.notify.channels import label_of
from madoguchi.notify.models import OutboxStatus

SMALL_COUNT = 10  # public surfaces: a figure whose base count is below this is suppressed

# The channels of an application (APPLICATIONS' dimension); online ones are those made without
# coming to the city hall: here, or on マイナポータル where its applications are imported.
ONLINE, COUNTER, MYNA_PORTAL = "online", "counter", "myna_portal"
ONLINE_CHANNELS = (ONLINE, MYNA_PORTAL)
CALLED = ":called"  # suffix of a TICKETS dimension counting the tickets of that hour called
SATISFIED = (4, 5)  # 満足・とても満足

# KPIs measured where no department or procedure applies (the queue, the counter visit).
NO_DEPARTMENT = frozenset({Kpi.WAIT_AVERAGE, Kpi.WAIT_MAXIMUM, Kpi.SERVICE_AVERAGE,
                           Kpi.PREFILLED_SHARE})

UNITS = {
    Kpi.ONLINE_PROCEDURES: "count", Kpi.ONLINE_SHARE: "percent", Kpi.E_APPLICATIONS: "count",
    Kpi.PROCESSING_DAYS: "days", Kpi.PROCESSING_DAYS_P90: "days", Kpi.RETURN_RATE: "percent",
    Kpi.COMPLETION_RATE: "percent", Kpi.PAYMENT_COMPLETION: "percent", Kpi.CARD_USE: "percent",
    Kpi.WAIT_AVERAGE: "minutes", Kpi.WAIT_MAXIMUM: "minutes", Kpi.SERVICE_AVERAGE: "minutes",
    Kpi.PREFILLED_SHARE: "percent", Kpi.SATISFACTION: "percent",
}

# The measures each KPI's formula reads (a series reads only these rows).
MEASURES_OF = {
    Kpi.ONLINE_PROCEDURES: (), Kpi.ONLINE_SHARE: (Measure.APPLICATIONS,), Kpi.E_APPLICATIONS: (Measure.APPLICATIONS,),
    Kpi.PROCESSING_DAYS: (Measure.PROCESSING_HOURS,), Kpi.PROCESSING_DAYS_P90: (Measure.PROCESSING_HOURS,),
    Kpi.RETURN_RATE: (Measure.APPLICATIONS, Measure.RETURNED),
    Kpi.COMPLETION_RATE: (Measure.DRAFTS_STARTED, Measure.DRAFTS_SUBMITTED),
    Kpi.PAYMENT_COMPLETION: (Measure.CHARGES_CREATED, Measure.CHARGES_PAID),
    Kpi.CARD_USE: (Measure.APPLICATIONS, Measure.CARD_SIGNED),
    Kpi.WAIT_AVERAGE: (Measure.TICKETS, Measure.WAIT_MINUTES), Kpi.WAIT_MAXIMUM: (Measure.TICKETS, Measure.WAIT_MINUTES),
    Kpi.SERVICE_AVERAGE: (Measure.SERVICE_MINUTES,), Kpi.PREFILLED_SHARE: (Measure.VISIT_FIELDS,),
    Kpi.SATISFACTION: (Measure.SATISFACTION,),
}

BREAKDOWNS = ("channels", "return_reasons", "dropoff_steps", "wait_by_hour", "satisfaction_ratings",
              "card_use_counter", "navigator_events", "navigator_procedures", "visit_fields", "notices")

ONE = Decimal("1")
TENTH = Decimal("0.1")


@dataclass(frozen=True)
class Scope:
    city: Municipality
    first: date            # inclusive
    last: date             # inclusive
    department: Department | None = None
    procedure: str = ""    # a procedure code, "" for all

    @property
    def filtered(self) -> bool:
        return self.department is not None or bool(self.procedure)


@dataclass(frozen=True)
class Figure:
    kpi: str                 # a Kpi value
    value: Decimal | None    # rounded once here; None = no data / not applicable
    unit: str                # "count" | "percent" | "days" | "minutes"
    base: int                # the count the value rests on
    target: Decimal | None   # the city's Target for the fiscal year of scope.last, if any
    target_year: int | None
    suppressed: bool = False  # set by public(); value is then None


@dataclass(frozen=True)
class Row:
    key: str
    label: str
    count: int
    share: Decimal | None


# --- rounding and small helpers -------------------------------------------------------------------

def rounded(value: Decimal | int | None, unit: str) -> Decimal | None:
    """The one rounding of a value: whole for counts, one decimal (half up) otherwise."""
    if value is None:
        return None
    return Decimal(value).quantize(ONE if unit == "count" else TENTH, rounding=ROUND_HALF_UP)


def ratio(part: int, whole: int, scale: int = 100) -> Decimal | None:
    """part / whole × scale in exact decimals (None when there is nothing to divide by)."""
    if not whole:
        return None
    return Decimal(part) * scale / Decimal(whole)


def minutes(seconds: int, events: int) -> Decimal | None:
    """The average in minutes of `events` durations summing to `seconds` (the rows hold seconds)."""
    return ratio(seconds, events * 60, scale=1)


def fiscal_year(day: date) -> int:
    """The 年度 a day falls in: it starts on 1 April."""
    return day.year if day.month >= 4 else day.year - 1


def fiscal_year_span(year: int) -> tuple[date, date]:
    """The first and last day of 年度 `year`."""
    return date(year, 4, 1), date(year + 1, 3, 31)


def percentile(histogram: dict[int, int], fraction: Decimal) -> int | None:
    """The nearest-rank percentile of a histogram {bucket lower bound: count}: the lower bound
    of the bucket holding the ⌈fraction × n⌉-th value. Written here because the buckets are
    ours (measures.py): numpy/statistics need the values, which the aggregates no longer hold."""
    total = sum(histogram.values())
    if not total:
        return None
    rank = max(1, int((fraction * total).to_integral_value(rounding="ROUND_CEILING")))
    seen = 0
    for bound in sorted(histogram):
        seen += histogram[bound]
        if seen >= rank:
            return bound
    return None  # unreachable: seen reaches total


# --- reading the aggregates -----------------------------------------------------------------------

class Totals:
    """The summed rows of a period: per (measure, dimension), the count, total and maximum."""

    def __init__(self):
        self.cells: dict[tuple[str, str], list] = defaultdict(lambda: [0, 0, None])

    def add(self, measure: str, dimension: str, count: int, total: int, maximum: int | None) -> None:
        accumulate(self.cells[(measure, dimension)], count, total, maximum)

    def dims(self, measure: str) -> dict[str, list]:
        return {dim: cell for (m, dim), cell in self.cells.items() if m == measure}

    def count(self, measure: str, dims=None) -> int:
        return sum(c[0] for d, c in self.dims(measure).items() if dims is None or d in dims)

    def total(self, measure: str) -> int:
        return sum(c[1] for c in self.dims(measure).values())

    def maximum(self, measure: str) -> int | None:
        found = [c[2] for c in self.dims(measure).values() if c[2] is not None]
        return max(found) if found else None

    def histogram(self, measure: str) -> dict[int, int]:
        return {int(d): c[0] for d, c in self.dims(measure).items() if c[0]}


def _figures(scope: Scope, measures=None):
    rows = DailyFigure.objects.filter(municipality=scope.city, day__gte=scope.first, day__lte=scope.last)
    if scope.department is not None:
        rows = rows.filter(department=scope.department)
    if scope.procedure:
        rows = rows.filter(procedure_code=scope.procedure)
    if measures is not None:
        rows = rows.filter(measure__in=list(measures))
    return rows


def _totals(scope: Scope, measures=None) -> Totals:
    totals = Totals()
    summed = (_figures(scope, measures).values("measure", "dimension")
              .annotate(c=Sum("count"), t=Sum("total"), m=Max("maximum")))
    for row in summed:
        totals.add(row["measure"], row["dimension"], row["c"], row["t"], row["m"])
    return totals


def _totals_by_period(scope: Scope, measures, by: str) -> dict[date, Totals]:
    """The summed rows of each day or month (keyed by its first day) of the scope: the
    database sums a month's days, so a year's trend is twelve groups per dimension."""
    period = TruncMonth("day") if by == "month" else F("day")
    found: dict[date, Totals] = defaultdict(Totals)
    summed = (_figures(scope, measures).annotate(period=period).values("period", "measure", "dimension")
              .annotate(c=Sum("count"), t=Sum("total"), m=Max("maximum")))
    for row in summed:
        found[row["period"]].add(row["measure"], row["dimension"], row["c"], row["t"], row["m"])
    return found


# --- the KPI formulas -----------------------------------------------------------------------------

def _value(kpi: str, totals: Totals) -> tuple[Decimal | int | None, int]:
    """(unrounded value, base) of one KPI from a period's totals: the formulas of the contract."""
    m = Measure
    if kpi == Kpi.ONLINE_SHARE:
        everything = totals.count(m.APPLICATIONS)
        return ratio(totals.count(m.APPLICATIONS, ONLINE_CHANNELS), everything), everything
    if kpi == Kpi.E_APPLICATIONS:
        online = totals.count(m.APPLICATIONS, ONLINE_CHANNELS)
        return online, online
    if kpi in (Kpi.PROCESSING_DAYS, Kpi.PROCESSING_DAYS_P90):
        histogram = totals.histogram(m.PROCESSING_HOURS)
        hours = percentile(histogram, Decimal("0.5") if kpi == Kpi.PROCESSING_DAYS else Decimal("0.9"))
        return (None if hours is None else Decimal(hours) / 24), sum(histogram.values())
    if kpi == Kpi.RETURN_RATE:
        everything = totals.count(m.APPLICATIONS)
        return ratio(totals.count(m.RETURNED), everything), everything
    if kpi == Kpi.COMPLETION_RATE:
        started = totals.count(m.DRAFTS_STARTED)
        return ratio(totals.count(m.DRAFTS_SUBMITTED), started), started
    if kpi == Kpi.PAYMENT_COMPLETION:
        created = totals.count(m.CHARGES_CREATED)
        return ratio(totals.count(m.CHARGES_PAID), created), created
    if kpi == Kpi.CARD_USE:
        online = totals.count(m.APPLICATIONS, (ONLINE,))
        return ratio(totals.count(m.CARD_SIGNED), online), online
    if kpi in (Kpi.WAIT_AVERAGE, Kpi.WAIT_MAXIMUM):
        waited = totals.count(m.WAIT_MINUTES)
        if kpi == Kpi.WAIT_MAXIMUM:
            longest = totals.maximum(m.TICKETS)
            return (Decimal(longest) / 60 if waited and longest is not None else None), waited
        return minutes(totals.total(m.TICKETS), waited), waited
    if kpi == Kpi.SERVICE_AVERAGE:
        served = totals.count(m.SERVICE_MINUTES)
        return minutes(totals.total(m.SERVICE_MINUTES), served), served
    if kpi == Kpi.PREFILLED_SHARE:
        fields = totals.count(m.VISIT_FIELDS)
        return ratio(totals.count(m.VISIT_FIELDS, ("prefilled",)), fields), fields
    if kpi == Kpi.SATISFACTION:
        answers = totals.count(m.SATISFACTION)
        satisfied = sum(c[0] for d, c in totals.dims(m.SATISFACTION).items()
                        if int(d.rsplit(":", 1)[-1]) in SATISFIED)
        return ratio(satisfied, answers), answers
    raise ValueError(f"no formula for {kpi}")


def online_procedures(scope: Scope) -> int:
    """Procedures the city offers with an online form NOW (the catalogue, not the aggregates:
    the one KPI not read from DailyFigure), within the scope's department or procedure."""
    found = [p for p in procedures_for(scope.city, "ja") if p.channel == ProcedureChannel.ONLINE]
    if scope.department is not None:
        found = [p for p in found if p.department == scope.department.code]
    if scope.procedure:
        found = [p for p in found if p.code == scope.procedure]
    return len(found)


def _targets(city: Municipality, year: int) -> dict[str, Decimal]:
    """The city's targets for one fiscal year, by KPI."""
    return dict(Target.objects.filter(municipality=city, year=year).values_list("kpi", "value"))


def _figure(kpi: str, scope: Scope, totals: Totals, target: Decimal | None) -> Figure:
    unit = UNITS[kpi]
    year = fiscal_year(scope.last) if target is not None else None
    if kpi == Kpi.ONLINE_PROCEDURES:
        count = online_procedures(scope)
        return Figure(kpi, rounded(count, unit), unit, count, target, year)
    if kpi in NO_DEPARTMENT and scope.filtered:
        return Figure(kpi, None, unit, 0, target, year)
    value, base = _value(kpi, totals)
    return Figure(kpi, rounded(value, unit), unit, base, target, year)


def kpis(scope: Scope) -> dict[str, Figure]:
    """Every KPI of the scope, in Kpi order."""
    totals = _totals(scope, {m for measures in MEASURES_OF.values() for m in measures})
    targets = _targets(scope.city, fiscal_year(scope.last))
    return {kpi.value: _figure(kpi.value, scope, totals, targets.get(kpi.value)) for kpi in Kpi}


def _periods(first: date, last: date, by: str) -> list[tuple[date, date, date]]:
    """(label day, first, last) of each day or month of [first, last], clipped to it."""
    if by == "day":
        return [(first + timedelta(n),) * 3 for n in range((last - first).days + 1)]
    if by != "month":
        raise ValueError("by is 'day' or 'month'")
    found, month = [], first.replace(day=1)
    while month <= last:
        end = month.replace(day=calendar.monthrange(month.year, month.month)[1])
        found.append((month, max(month, first), min(end, last)))
        month = end + timedelta(1)
    return found


def series(scope: Scope, kpi: str, by: str = "month") -> list[tuple[date, Figure]]:
    """The KPI for each day or month (labelled by its first day) of the scope, clipped to it;
    each period against the target of the fiscal year its last day falls in.
    `online_procedures` is known for now only: it is given for the last period, None before."""
    kpi = Kpi(kpi).value
    return series_many(scope, [kpi], by)[kpi]


def series_many(scope: Scope, names, by: str = "month") -> dict[str, list[tuple[date, Figure]]]:
    """`series` of several KPIs at once, from one read of the rows they need (what a page
    drawing a dozen trends calls): each KPI's list is the one `series` gives for it."""
    names = [Kpi(name).value for name in names]
    periods = _periods(scope.first, scope.last, by)
    measures = {m for name in names for m in MEASURES_OF[name]}
    by_period = _totals_by_period(scope, measures, by) if measures else {}
    targets = {(kpi, year): value for kpi, year, value in
               Target.objects.filter(municipality=scope.city, kpi__in=names).values_list("kpi", "year", "value")}
    found: dict[str, list[tuple[date, Figure]]] = {name: [] for name in names}
    for label, first, last in periods:
        part = replace(scope, first=first, last=last)
        year = fiscal_year(last)
        for kpi in names:
            target = targets.get((kpi, year))
            if kpi == Kpi.ONLINE_PROCEDURES and last != scope.last:
                figure = Figure(kpi, None, UNITS[kpi], 0, target, year if target is not None else None)
            else:
                figure = _figure(kpi, part, by_period.get(label, Totals()), target)
            found[kpi].append((label, figure))
    return found


# --- breakdowns -----------------------------------------------------------------------------------

def _share(count: int, whole: int) -> Decimal | None:
    return rounded(ratio(count, whole), "percent")


def _rows(items: list[tuple[str, str, int]]) -> list[Row]:
    whole = sum(count for _key, _label, count in items)
    return [Row(key, str(label), count, _share(count, whole)) for key, label, count in items]


def _by_dimension(totals: Totals, measure: str) -> dict[str, int]:
    return {dim: cell[0] for dim, cell in totals.dims(measure).items()}


def _ordered(found: dict[str, int], order: list[str] | None = None) -> list[str]:
    """Known keys in their order (present or not), then the rest by count, largest first."""
    order = order or []
    rest = sorted((k for k in found if k not in order), key=lambda k: (-found[k], k))
    return [*order, *rest]


# The measure each breakdown reads (navigator_procedures reads NAVIGATOR_DRAFTS by procedure).
BREAKDOWN_MEASURES = {
    "channels": Measure.APPLICATIONS, "return_reasons": Measure.RETURNED, "dropoff_steps": Measure.DRAFTS_LEFT,
    "wait_by_hour": Measure.TICKETS, "satisfaction_ratings": Measure.SATISFACTION,
    "card_use_counter": Measure.VISITS, "navigator_events": Measure.NAVIGATOR_PLANS,
    "navigator_procedures": Measure.NAVIGATOR_DRAFTS, "visit_fields": Measure.VISIT_FIELDS,
    "notices": Measure.NOTICES,
}
NO_DEPARTMENT_BREAKDOWNS = frozenset({"wait_by_hour", "card_use_counter", "navigator_events", "visit_fields",
                                      "notices"})


def breakdown(scope: Scope, name: str) -> list[Row]:
    """One of the BREAKDOWNS of the scope: rows (key, label, count, share of the whole in %).
    `wait_by_hour`'s share is the hour's average wait in minutes instead. Breakdowns of the
    queue, the counter, the navigator and notices are empty under a department or procedure
    filter (navigator_procedures under a department filter only)."""
    return breakdowns(scope, [name])[name]


def breakdowns(scope: Scope, names) -> dict[str, list[Row]]:
    """`breakdown` of several names at once, from one read of the rows they need."""
    names = list(names)
    unknown = [name for name in names if name not in BREAKDOWNS]
    if unknown:
        raise ValueError(f"unknown breakdown {unknown[0]}")
    shown = [name for name in names if not _not_applicable(scope, name)]
    measures = {BREAKDOWN_MEASURES[name] for name in shown if name != "navigator_procedures"}
    totals = _totals(scope, measures) if measures else Totals()
    return {name: _breakdown(scope, name, totals) if name in shown else [] for name in names}


def _not_applicable(scope: Scope, name: str) -> bool:
    if name in NO_DEPARTMENT_BREAKDOWNS:
        return scope.filtered
    return name == "navigator_procedures" and scope.department is not None


def _enumerated(totals: Totals, measure: str, labels: dict, order: list[str]) -> list[Row]:
    """A breakdown by an enumerated dimension: the values in `order` (zero when absent), then
    any other value found, each with its label."""
    found = _by_dimension(totals, measure)
    return _rows([(k, labels.get(k, k), found.get(k, 0)) for k in _ordered(found, order)])


def _breakdown(scope: Scope, name: str, totals: Totals) -> list[Row]:
    m = Measure
    if name == "channels":
        labels = {ONLINE: _("オンライン"), COUNTER: _("窓口"), MYNA_PORTAL: _("マイナポータル")}
        shown = [ONLINE, COUNTER] + ([MYNA_PORTAL] if _by_dimension(totals, m.APPLICATIONS).get(MYNA_PORTAL) else [])
        return _enumerated(totals, m.APPLICATIONS, labels, shown)
    if name == "return_reasons":
        labels = {**dict(ReturnReason.choices), "": _("区分なし")}
        return _enumerated(totals, m.RETURNED, labels, [r.value for r in ReturnReason])
    if name == "dropoff_steps":
        found = _by_dimension(totals, m.DRAFTS_LEFT)
        keys = sorted(found, key=lambda k: (not k.isdigit(), int(k) if k.isdigit() else 0, k))
        return _rows([(k, _("%(number)s番目の画面") % {"number": int(k) + 1} if k.isdigit() else k, found[k])
                      for k in keys])
    if name == "wait_by_hour":
        cells = totals.dims(m.TICKETS)
        hours = sorted(d for d in cells if not d.endswith(CALLED))
        rows = []
        for hour in hours:
            called = cells.get(hour + CALLED, [0, 0, None])[0]
            average = rounded(minutes(cells[hour][1], called), "minutes")
            rows.append(Row(hour, _("%(hour)s時台") % {"hour": int(hour)}, cells[hour][0], average))
        return rows
    if name == "satisfaction_ratings":
        by_rating: dict[str, int] = defaultdict(int)
        for dim, cell in totals.dims(m.SATISFACTION).items():
            by_rating[dim.rsplit(":", 1)[-1]] += cell[0]
        return _rows([(str(r.value), r.label, by_rating.get(str(r.value), 0)) for r in Rating])
    if name == "card_use_counter":
        labels = {**dict(Identified.choices), "": _("確認方法の記録なし")}
        return _enumerated(totals, m.VISITS, labels, [i.value for i in Identified])
    if name == "visit_fields":
        found = _by_dimension(totals, m.VISIT_FIELDS)
        labels = {"prefilled": _("記入不要（住民記録・カード・手続ナビから）"), "typed": _("職員が入力"),
                  "written": _("来庁者が記入")}
        return _rows([(k, labels[k], found.get(k, 0)) for k in labels])
    if name == "navigator_events":
        found = _by_dimension(totals, m.NAVIGATOR_PLANS)
        labels = _event_labels()
        return _rows([(k, labels.get(k, k), found[k]) for k in _ordered(found)])
    if name == "navigator_procedures":
        found: dict[str, int] = defaultdict(int)
        for row in (_figures(scope, [m.NAVIGATOR_DRAFTS]).values("procedure_code").annotate(c=Sum("count"))):
            found[row["procedure_code"]] += row["c"]
        titles = _procedure_titles(scope.city)
        return _rows([(k, titles.get(k, k), found[k]) for k in _ordered(found)])
    # notices: "channel:state", labelled 「メール（送信済）」
    found = _by_dimension(totals, m.NOTICES)
    states = dict(OutboxStatus.choices)

    def label(key: str) -> str:
        channel, _sep, state = key.partition(":")
        return _("%(channel)s（%(state)s）") % {"channel": label_of(channel), "state": states.get(state, state)}

    return _rows([(k, label(k), found[k]) for k in _ordered(found)])


def _procedure_titles(city: Municipality) -> dict[str, str]:
    return {p.code: p.title for p in procedures_for(city)}


def _event_labels() -> dict[str, str]:
    """The life events' names in the active language (Japanese where it has none)."""
    language = i18n.supported(get_language()) or i18n.DEFAULT
    return {**dict(life_events("ja")), **{k: v for k, v in life_events(language) if v}}


# --- public surfaces and periods ------------------------------------------------------------------

def public(figure: Figure) -> Figure:
    """The figure as a public surface shows it: suppressed (value None) when it rests on fewer
    than SMALL_COUNT events but more than none, so that nobody can be recognised in it."""
    if 0 < figure.base < SMALL_COUNT:
        return replace(figure, value=None, suppressed=True)
    return figure


def periods(city: Municipality) -> tuple[date | None, date | None]:
    """(the first day with data, the last day built): the range a period may be chosen in."""
    first = DailyFigure.objects.filter(municipality=city).aggregate(d=Min("day"))["d"]
    last = BuiltDay.objects.filter(municipality=city).aggregate(d=Max("day"))["d"]
    return first, last
