"""The daily job: each measure counted from hand-built event rows, on the right day, and
rebuilding a day gives the same rows."""

from datetime import timedelta

import pytest
from daily_support import DAY, at, charge, department, draft, event, submission
from django.core.management import call_command

from madoguchi.insights import daily
from madoguchi.insights.measures import Measure
from madoguchi.insights.models import BuiltDay, DailyFigure

CLAIM = "child-allowance-claim"


def figures(city, day, measure):
    """{(department code|None, procedure, dimension): (count, total, maximum)} of one measure."""
    rows = DailyFigure.objects.filter(municipality=city, day=day, measure=measure).select_related("department")
    return {(r.department.code if r.department else None, r.procedure_code, r.dimension): (r.count, r.total, r.maximum)
            for r in rows}


@pytest.fixture
def kodomo(city):
    return department(city, "kodomo")


def test_applications_by_channel_and_day_boundaries_in_tokyo(city, kodomo):
    submission(city, kodomo, CLAIM, at(DAY, 0, 0))             # the first instant of the day
    submission(city, kodomo, CLAIM, at(DAY, 23, 59, 59))
    submission(city, kodomo, CLAIM, at(DAY, 10), channel="counter")
    submission(city, kodomo, CLAIM, at(DAY + timedelta(1), 0, 0))  # the next day
    submission(city, kodomo, CLAIM, at(DAY, 9), signed=True)
    daily.build_day(city, DAY)
    assert figures(city, DAY, Measure.APPLICATIONS) == {
        ("kodomo", CLAIM, "online"): (3, 0, None), ("kodomo", CLAIM, "counter"): (1, 0, None)}
    assert figures(city, DAY, Measure.CARD_SIGNED) == {("kodomo", CLAIM, ""): (1, 0, None)}


def test_decisions_hours_and_histogram(city, kodomo):
    early = submission(city, kodomo, CLAIM, at(DAY - timedelta(3), 9, 0))
    late = submission(city, kodomo, CLAIM, at(DAY - timedelta(1), 10, 30))
    event(early, "approved", at(DAY, 9, 30))   # 72.5 h → bucket 72 (12-hour buckets from 48)
    event(late, "rejected", at(DAY, 10, 29))   # 23 h 59 min → 23
    daily.build_day(city, DAY)
    approved = int((at(DAY, 9, 30) - at(DAY - timedelta(3), 9, 0)).total_seconds())
    rejected = int((at(DAY, 10, 29) - at(DAY - timedelta(1), 10, 30)).total_seconds())
    assert figures(city, DAY, Measure.DECIDED) == {
        ("kodomo", CLAIM, "approved"): (1, approved, approved), ("kodomo", CLAIM, "rejected"): (1, rejected, rejected)}
    assert figures(city, DAY, Measure.PROCESSING_HOURS) == {
        ("kodomo", CLAIM, "72"): (1, 0, None), ("kodomo", CLAIM, "23"): (1, 0, None)}


def test_returns_by_reason(city, kodomo):
    made = submission(city, kodomo, CLAIM, at(DAY, 9))
    event(made, "returned", at(DAY, 11), reason="attachment")
    event(made, "returned", at(DAY, 15), reason="attachment")
    event(made, "returned", at(DAY, 16), reason="missing")
    daily.build_day(city, DAY)
    assert figures(city, DAY, Measure.RETURNED) == {
        ("kodomo", CLAIM, "attachment"): (2, 0, None), ("kodomo", CLAIM, "missing"): (1, 0, None)}


def test_drafts_started_submitted_left(city, kodomo):
    draft(city, CLAIM, at(DAY, 9), step=3, submitted=at(DAY + timedelta(2), 9))
    draft(city, CLAIM, at(DAY, 10), step=1)
    draft(city, CLAIM, at(DAY, 11), step=1)
    draft(city, CLAIM, at(DAY, 12), step=2)
    daily.build_day(city, DAY)
    assert figures(city, DAY, Measure.DRAFTS_STARTED) == {("kodomo", CLAIM, ""): (4, 0, None)}
    assert figures(city, DAY, Measure.DRAFTS_SUBMITTED) == {("kodomo", CLAIM, ""): (1, 0, None)}
    assert figures(city, DAY, Measure.DRAFTS_LEFT) == {
        ("kodomo", CLAIM, "1"): (2, 0, None), ("kodomo", CLAIM, "2"): (1, 0, None)}


def test_charges_created_and_paid(city, kodomo):
    made = submission(city, kodomo, CLAIM, at(DAY, 9))
    charge(made, 300, at(DAY, 9), paid=at(DAY + timedelta(1), 8))
    other = submission(city, kodomo, CLAIM, at(DAY, 9))
    charge(other, 450, at(DAY, 10))
    daily.build_day(city, DAY)
    daily.build_day(city, DAY + timedelta(1))
    assert figures(city, DAY, Measure.CHARGES_CREATED) == {("kodomo", CLAIM, "at_submit"): (2, 750, None)}
    assert figures(city, DAY, Measure.CHARGES_PAID) == {}
    assert figures(city, DAY + timedelta(1), Measure.CHARGES_PAID) == {("kodomo", CLAIM, "stripe"): (1, 300, None)}


def test_rebuilding_a_day_gives_the_same_rows(city, kodomo):
    made = submission(city, kodomo, CLAIM, at(DAY, 9))
    event(made, "returned", at(DAY, 11), reason="identity")
    draft(city, CLAIM, at(DAY, 9), step=2)
    first = daily.build_day(city, DAY)
    rows = daily.built_rows(city, DAY)
    assert first == len(rows) > 0
    again = daily.build_day(city, DAY)
    assert again == first
    assert daily.built_rows(city, DAY) == rows
    assert BuiltDay.objects.get(municipality=city, day=DAY).rows == first


def test_command_builds_the_days_asked(city, kodomo):
    submission(city, kodomo, CLAIM, at(DAY, 9))
    call_command("build_insights", "--city", city.slug, "--from", str(DAY - timedelta(1)), "--to", str(DAY),
                 stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert set(BuiltDay.objects.filter(municipality=city).values_list("day", flat=True)) == {
        DAY - timedelta(1), DAY}


def test_a_correction_after_a_return_is_not_a_new_start(city, kodomo):
    returned = submission(city, kodomo, CLAIM, at(DAY - timedelta(5), 9), status="returned")
    draft(city, CLAIM, at(DAY, 9), step=1, correcting=returned)
    draft(city, CLAIM, at(DAY, 10), step=0)
    daily.build_day(city, DAY)
    assert figures(city, DAY, Measure.DRAFTS_STARTED) == {("kodomo", CLAIM, ""): (1, 0, None)}
    assert figures(city, DAY, Measure.DRAFTS_LEFT) == {("kodomo", CLAIM, "0"): (1, 0, None)}


def test_only_online_submissions_count_as_signed_with_the_card(city, kodomo):
    submission(city, kodomo, CLAIM, at(DAY, 9), signed=True)
    submission(city, kodomo, CLAIM, at(DAY, 10), channel="counter", signed=True)
    daily.build_day(city, DAY)
    assert figures(city, DAY, Measure.CARD_SIGNED) == {("kodomo", CLAIM, ""): (1, 0, None)}
