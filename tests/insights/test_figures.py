"""The KPI formulas (insights/figures.py) against hand-built events run through the daily job:
each expected value is worked out here from the events themselves, by the formula the docs
state, so a change of formula, of rounding or of what the job counts breaks a test."""

import math
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
from daily_support import (
    DAY,
    answer,
    at,
    charge,
    counters,
    department,
    draft,
    event,
    submission,
    ticket,
    visit,
)

from madoguchi.catalog.schema import Channel
from madoguchi.catalog.selectors import procedures_for
from madoguchi.insights import daily, figures
from madoguchi.insights.figures import SMALL_COUNT, Figure, Scope
from madoguchi.insights.measures import Kpi, hours_bucket
from madoguchi.insights.models import Target

CLAIM = "child-allowance-claim"
OTHER = "child-medical-subsidy"


def tenth(numerator, denominator=1) -> Decimal:
    """What a reader expects: the exact quotient, rounded half up to one decimal."""
    return (Decimal(numerator) / Decimal(denominator)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@pytest.fixture
def kodomo(city):
    return department(city, "kodomo")


@pytest.fixture
def day_of_everything(city, kodomo, staff):
    """One day with a little of everything, and the raw facts the KPIs are computed from."""
    facts = {"online": 7, "counter": 4, "signed": 3, "returned": 2}
    made = [submission(city, kodomo, CLAIM, at(DAY, 9, n), signed=n < facts["signed"]) for n in range(facts["online"])]
    made += [submission(city, kodomo, CLAIM, at(DAY, 10, n), channel="counter") for n in range(facts["counter"])]
    event(made[0], "returned", at(DAY, 11), reason="attachment")
    event(made[1], "returned", at(DAY, 12), reason="missing")
    # decisions: hours from submission, on the same day
    facts["hours"] = []
    for n, minutes in enumerate((30, 130, 250, 600)):
        event(made[n + 2], "approved", at(DAY, 9, n) + timedelta(minutes=minutes))
        facts["hours"].append(minutes // 60)
    # drafts: 5 started, 2 submitted
    for n in range(5):
        draft(city, CLAIM, at(DAY, 8, n), step=n, submitted=at(DAY, 9) if n < 2 else None)
    facts.update(started=5, submitted=2)
    # charges: 3 created, 1 paid
    charge(made[0], 300, at(DAY, 9), paid=at(DAY, 9, 5))
    charge(made[1], 300, at(DAY, 9))
    charge(made[2], 450, at(DAY, 9))
    facts.update(charges=3, paid=1)
    # tickets: waits in seconds; service in seconds
    purpose = counters(city)
    facts["waits"] = [600, 1230, 2400, 59]
    facts["service"] = [300, 420]
    for n, wait in enumerate(facts["waits"]):
        issued = at(DAY, 9 + n, 0)
        called = issued + timedelta(seconds=wait)
        service = facts["service"][n] if n < len(facts["service"]) else None
        ticket(purpose, issued, called=called, started=called if service else None,
               finished=called + timedelta(seconds=service) if service else None)
    ticket(purpose, at(DAY, 15, 0))  # never called
    # counter visits: fields
    clerk = next(iter(staff.values()))
    visit(city, clerk, at(DAY, 9), "card", prefilled=12, typed=3)
    visit(city, clerk, at(DAY, 10), "kana", prefilled=4, typed=4, written=1)
    facts.update(prefilled=16, fields=24)
    # survey
    facts["ratings"] = [5, 5, 4, 3, 2, 1, 4]
    for rating in facts["ratings"]:
        answer(city, DAY, rating, "online", CLAIM, kodomo)
    daily.build_day(city, DAY)
    return facts


def test_each_kpi_formula(city, day_of_everything):
    f = day_of_everything
    found = figures.kpis(Scope(city, DAY, DAY))
    assert list(found) == [k.value for k in Kpi]
    applications = f["online"] + f["counter"]
    assert found["online_share"].value == tenth(100 * f["online"], applications)
    assert found["online_share"].base == applications
    assert found["e_applications"].value == f["online"]
    assert found["card_use"].value == tenth(100 * f["signed"], f["online"])
    assert found["return_rate"].value == tenth(100 * f["returned"], applications)
    assert found["completion_rate"].value == tenth(100 * f["submitted"], f["started"])
    assert found["payment_completion"].value == tenth(100 * f["paid"], f["charges"])
    assert found["wait_average"].value == tenth(sum(f["waits"]), 60 * len(f["waits"]))
    assert found["wait_maximum"].value == tenth(max(f["waits"]), 60)
    assert found["wait_average"].base == len(f["waits"])
    assert found["service_average"].value == tenth(sum(f["service"]), 60 * len(f["service"]))
    assert found["prefilled_share"].value == tenth(100 * f["prefilled"], f["fields"])
    satisfied = sum(1 for r in f["ratings"] if r >= 4)
    assert found["satisfaction"].value == tenth(100 * satisfied, len(f["ratings"]))
    assert found["satisfaction"].base == len(f["ratings"])
    hours = sorted(f["hours"])
    p50 = int(hours_bucket(hours[math.ceil(0.5 * len(hours)) - 1]))
    p90 = int(hours_bucket(hours[math.ceil(0.9 * len(hours)) - 1]))
    assert found["processing_days"].value == tenth(p50, 24)
    assert found["processing_days_p90"].value == tenth(p90, 24)
    assert {f.unit for f in found.values()} <= {"count", "percent", "days", "minutes"}


def test_online_procedures_counts_the_catalogue_now(city, kodomo):
    online = [p for p in procedures_for(city, "ja") if p.channel == Channel.ONLINE]
    found = figures.kpis(Scope(city, DAY, DAY))["online_procedures"]
    assert found.value == len(online) > 0
    of_kodomo = figures.kpis(Scope(city, DAY, DAY, department=kodomo))["online_procedures"]
    assert of_kodomo.value == len([p for p in online if p.department == "kodomo"]) < len(online)


def test_no_data_is_none_not_zero(city):
    found = figures.kpis(Scope(city, DAY, DAY))
    for name in ("online_share", "return_rate", "processing_days", "wait_average", "satisfaction"):
        assert found[name].value is None and found[name].base == 0
    assert found["e_applications"].value == 0


def test_percentile_from_the_histograms_of_several_days(city, kodomo):
    """A period's p50/p90 is read from the summed buckets of its days, not from the days' own
    percentiles: here the days' medians (2 h and 100 h) say nothing of the period's."""
    hours_by_day = {DAY: [1, 2, 3], DAY + timedelta(1): [90, 100, 110, 120, 130], DAY + timedelta(2): [5]}
    for day, hours in hours_by_day.items():
        for h in hours:
            made = submission(city, kodomo, CLAIM, at(day, 12) - timedelta(hours=h, minutes=1))
            event(made, "approved", at(day, 12))
    daily.build_range(city, DAY, DAY + timedelta(2))
    everything = sorted(h for hours in hours_by_day.values() for h in hours)
    found = figures.kpis(Scope(city, DAY, DAY + timedelta(2)))
    for name, fraction in (("processing_days", 0.5), ("processing_days_p90", 0.9)):
        nearest = everything[math.ceil(fraction * len(everything)) - 1]
        assert found[name].value == tenth(int(hours_bucket(nearest)), 24)
        assert found[name].base == len(everything)
    medians_of_days = sorted(sorted(h)[math.ceil(len(h) / 2) - 1] for h in hours_by_day.values())
    assert found["processing_days"].value != tenth(int(hours_bucket(medians_of_days[1])), 24)


def test_department_and_procedure_filters(city, kodomo, day_of_everything):
    shimin = department(city, "shimin")
    submission(city, shimin, "resident-record-copy", at(DAY, 9), channel="counter")
    submission(city, kodomo, OTHER, at(DAY, 9))
    daily.build_day(city, DAY)
    f = day_of_everything
    city_wide = figures.kpis(Scope(city, DAY, DAY))
    assert city_wide["online_share"].base == f["online"] + f["counter"] + 2
    of_kodomo = figures.kpis(Scope(city, DAY, DAY, department=kodomo))
    assert of_kodomo["online_share"].value == tenth(100 * (f["online"] + 1), f["online"] + f["counter"] + 1)
    of_claim = figures.kpis(Scope(city, DAY, DAY, procedure=CLAIM))
    assert of_claim["online_share"].value == tenth(100 * f["online"], f["online"] + f["counter"])
    assert of_claim["satisfaction"].base == len(f["ratings"])
    of_shimin = figures.kpis(Scope(city, DAY, DAY, department=shimin))
    assert of_shimin["online_share"].value == 0 and of_shimin["satisfaction"].value is None
    for filtered in (of_kodomo, of_claim):
        for name in ("wait_average", "wait_maximum", "service_average", "prefilled_share"):
            assert filtered[name].value is None, name
    assert city_wide["wait_average"].value is not None


def test_public_suppresses_small_counts():
    def figure(base):
        return Figure("online_share", Decimal("50.0"), "percent", base, None, None)

    assert figures.public(figure(SMALL_COUNT - 1)) == Figure("online_share", None, "percent", SMALL_COUNT - 1,
                                                             None, None, suppressed=True)
    assert figures.public(figure(1)).suppressed
    assert figures.public(figure(SMALL_COUNT)) == figure(SMALL_COUNT)
    assert figures.public(figure(0)) == figure(0)  # nothing to recognise anyone in


def test_targets_by_fiscal_year(city, kodomo):
    Target.objects.create(municipality=city, kpi="online_share", year=2026, value=Decimal("50"))
    Target.objects.create(municipality=city, kpi="online_share", year=2027, value=Decimal("60"))
    march = figures.kpis(Scope(city, date(2027, 3, 1), date(2027, 3, 31)))["online_share"]
    assert (march.target, march.target_year) == (Decimal("50"), 2026)
    april = figures.kpis(Scope(city, date(2027, 3, 1), date(2027, 4, 1)))["online_share"]
    assert (april.target, april.target_year) == (Decimal("60"), 2027)
    none = figures.kpis(Scope(city, date(2027, 3, 1), date(2027, 3, 31)))["wait_average"]
    assert (none.target, none.target_year) == (None, None)
    months = figures.series(Scope(city, date(2027, 2, 15), date(2027, 4, 10)), "online_share")
    assert [(d, f.target) for d, f in months] == [
        (date(2027, 2, 1), Decimal("50")), (date(2027, 3, 1), Decimal("50")), (date(2027, 4, 1), Decimal("60"))]


def test_series_by_month_and_day_add_up_to_the_period(city, kodomo):
    counts = {date(2026, 9, 30): 2, date(2026, 10, 1): 3, date(2026, 10, 31): 1, date(2026, 11, 1): 4}
    for day, n in counts.items():
        for k in range(n):
            submission(city, kodomo, CLAIM, at(day, 9, k))
    daily.build_range(city, date(2026, 9, 30), date(2026, 11, 1))
    scope = Scope(city, date(2026, 9, 30), date(2026, 11, 1))
    months = figures.series(scope, "e_applications")
    assert [(d, f.value) for d, f in months] == [
        (date(2026, 9, 1), 2), (date(2026, 10, 1), 4), (date(2026, 11, 1), 4)]
    days = figures.series(scope, "e_applications", by="day")
    assert len(days) == (scope.last - scope.first).days + 1
    assert sum(f.value for _d, f in days) == figures.kpis(scope)["e_applications"].value == sum(counts.values())
    assert [d for d, _f in days][:2] == [date(2026, 9, 30), date(2026, 10, 1)]
    with pytest.raises(ValueError):
        figures.series(scope, "e_applications", by="week")


def test_series_of_online_procedures_is_given_for_the_last_period_only(city):
    found = figures.series(Scope(city, date(2026, 8, 1), date(2026, 10, 5)), "online_procedures")
    assert [f.value is None for _d, f in found] == [True, True, False]


def test_breakdowns(city, kodomo, day_of_everything):
    f = day_of_everything
    scope = Scope(city, DAY, DAY)
    channels = {r.key: r for r in figures.breakdown(scope, "channels")}
    assert (channels["online"].count, channels["counter"].count) == (f["online"], f["counter"])
    assert channels["online"].share == tenth(100 * f["online"], f["online"] + f["counter"])
    reasons = figures.breakdown(scope, "return_reasons")
    assert [r.key for r in reasons][:5] == ["missing", "attachment", "identity", "eligibility", "other"]
    assert {r.key: r.count for r in reasons if r.count} == {"missing": 1, "attachment": 1}
    hours = {r.key: r for r in figures.breakdown(scope, "wait_by_hour")}
    assert hours["09"].count == 1 and hours["09"].share == tenth(f["waits"][0], 60)
    assert hours["15"].count == 1 and hours["15"].share is None  # issued, never called
    ratings = {r.key: r.count for r in figures.breakdown(scope, "satisfaction_ratings")}
    assert ratings == {str(n): f["ratings"].count(n) for n in range(1, 6)}
    steps = {r.key: r.count for r in figures.breakdown(scope, "dropoff_steps")}
    assert steps == {"2": 1, "3": 1, "4": 1}
    fields = {r.key: r.count for r in figures.breakdown(scope, "visit_fields")}
    assert fields["prefilled"] == f["prefilled"] and sum(fields.values()) == f["fields"]
    cards = {r.key: r.count for r in figures.breakdown(scope, "card_use_counter")}
    assert (cards["card"], cards["kana"]) == (1, 1)
    assert figures.breakdown(Scope(city, DAY, DAY, department=kodomo), "wait_by_hour") == []
    with pytest.raises(ValueError):
        figures.breakdown(scope, "nothing")


def test_periods(city, kodomo):
    assert figures.periods(city) == (None, None)
    submission(city, kodomo, CLAIM, at(DAY, 9))
    daily.build_range(city, DAY - timedelta(2), DAY + timedelta(1))
    assert figures.periods(city) == (DAY, DAY + timedelta(1))


def test_breakdowns_of_notices_and_the_navigator(city, kodomo):
    from daily_support import notice, plan

    birth = plan(city, "birth", at(DAY, 8))
    plan(city, "moving", at(DAY, 8))
    plan(city, "birth", at(DAY, 9))
    draft(city, CLAIM, at(DAY, 9), plan=birth)
    for status in ("sent", "sent", "failed"):
        notice(city, at(DAY, 10), "email", status)
    daily.build_day(city, DAY)
    scope = Scope(city, DAY, DAY)
    notices = figures.breakdown(scope, "notices")
    assert [(r.key, r.count) for r in notices] == [("email:sent", 2), ("email:failed", 1)]
    assert all(r.label and r.label != r.key for r in notices)
    assert [r.share for r in notices] == [tenth(200, 3), tenth(100, 3)]
    events = figures.breakdown(scope, "navigator_events")
    assert [(r.key, r.count) for r in events] == [("birth", 2), ("moving", 1)]
    assert all(r.label != r.key for r in events)  # the life event's name
    procedures = figures.breakdown(scope, "navigator_procedures")
    assert [(r.key, r.count) for r in procedures] == [(CLAIM, 1)]
    assert figures.breakdown(Scope(city, DAY, DAY, procedure=OTHER), "navigator_procedures") == []
    assert figures.breakdown(Scope(city, DAY, DAY, department=kodomo), "navigator_events") == []


def test_several_series_and_breakdowns_at_once_are_the_single_ones(city, kodomo, day_of_everything):
    """A page reads a dozen trends and breakdowns in one go: each is the one asked alone."""
    Target.objects.create(municipality=city, kpi="satisfaction", year=2026, value=Decimal("80"))
    submission(city, kodomo, CLAIM, at(DAY + timedelta(20), 9))
    daily.build_range(city, DAY + timedelta(1), DAY + timedelta(20))
    for scope in (Scope(city, DAY - timedelta(3), DAY + timedelta(25)),
                  Scope(city, DAY - timedelta(3), DAY + timedelta(25), department=kodomo)):
        for by in ("month", "day"):
            together = figures.series_many(scope, [k.value for k in Kpi], by)
            assert together == {k.value: figures.series(scope, k.value, by) for k in Kpi}
        together = figures.breakdowns(scope, figures.BREAKDOWNS)
        assert together == {name: figures.breakdown(scope, name) for name in figures.BREAKDOWNS}
    months = dict(figures.series_many(Scope(city, DAY, DAY), ["satisfaction"])["satisfaction"])
    assert months[DAY.replace(day=1)].target == Decimal("80")
