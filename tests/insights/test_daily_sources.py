"""The daily job over the queue, the counter, the survey, notices and 手続ナビ; what a rebuild
keeps after a source was disposed of; and that no row holds anything about a person."""

from datetime import timedelta

import pytest
from daily_support import (
    DAY,
    answer,
    at,
    counters,
    department,
    draft,
    event,
    notice,
    plan,
    submission,
    ticket,
    visit,
)
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from madoguchi.insights import daily
from madoguchi.insights.figures import CALLED
from madoguchi.insights.measures import Measure, minutes_bucket
from madoguchi.insights.models import BuiltDay, DailyFigure
from madoguchi.navigator.models import NavigatorPlan

CLAIM = "child-allowance-claim"


def cells(city, day, measure):
    """{dimension: (count, total, maximum)} of one measure of one day (rows without department)."""
    return {r.dimension: (r.count, r.total, r.maximum)
            for r in DailyFigure.objects.filter(municipality=city, day=day, measure=measure)}


def test_tickets_waits_by_hour_and_service_minutes(city):
    purpose = counters(city)
    ticket(purpose, at(DAY, 9, 5), called=at(DAY, 9, 15, 30), started=at(DAY, 9, 16), finished=at(DAY, 9, 23))
    ticket(purpose, at(DAY, 9, 40), called=at(DAY, 10, 20, 40), started=at(DAY, 10, 21), finished=at(DAY, 10, 26))
    ticket(purpose, at(DAY, 11, 0))  # never called (left before its turn)
    first = ticket(purpose, at(DAY, 11, 10), called=at(DAY, 11, 12))
    ticket(purpose, at(DAY, 11, 30), called=at(DAY, 11, 50), transferred_from=first)  # the same visitor
    daily.build_day(city, DAY)
    waits = [630, 2440, 120]  # seconds from issue to call (9:05→9:15:30, 9:40→10:20:40, 11:10→11:12)
    assert cells(city, DAY, Measure.TICKETS) == {
        "09": (2, waits[0] + waits[1], waits[1]), "09" + CALLED: (2, 0, None),
        "11": (2, waits[2], waits[2]), "11" + CALLED: (1, 0, None)}
    assert cells(city, DAY, Measure.WAIT_MINUTES) == {minutes_bucket(w // 60): (1, 0, None) for w in waits}
    assert cells(city, DAY, Measure.SERVICE_MINUTES) == {"7": (1, 7 * 60, None), "5": (1, 5 * 60, None)}


def test_counter_visits_and_their_fields(city, staff):
    clerk = staff["shimin-clerk"] if "shimin-clerk" in staff else next(iter(staff.values()))
    visit(city, clerk, at(DAY, 9), "card", prefilled=10, typed=2, seconds=600)
    visit(city, clerk, at(DAY, 10), "kana", prefilled=5, typed=3, written=1, seconds=900)
    visit(city, clerk, at(DAY, 11), "card", prefilled=7, seconds=300)
    visit(city, clerk, at(DAY - timedelta(1), 23, 59), "card", prefilled=99)
    daily.build_day(city, DAY)
    assert cells(city, DAY, Measure.VISITS) == {"card": (2, 900, None), "kana": (1, 900, None)}
    assert cells(city, DAY, Measure.VISIT_FIELDS) == {
        "prefilled": (22, 0, None), "typed": (5, 0, None), "written": (1, 0, None)}


def test_survey_answers_by_touchpoint_and_rating(city):
    kodomo = department(city, "kodomo")
    answer(city, DAY, 5, "online", CLAIM, kodomo, comment="山田太郎です 090-1234-5678")
    answer(city, DAY, 5, "online", CLAIM, kodomo)
    answer(city, DAY, 2, "counter")
    answer(city, DAY + timedelta(1), 1, "counter")
    daily.build_day(city, DAY)
    rows = {(r.department_id, r.procedure_code, r.dimension): r.count
            for r in DailyFigure.objects.filter(municipality=city, day=DAY, measure=Measure.SATISFACTION)}
    assert rows == {(kodomo.pk, CLAIM, "online:5"): 2, (None, "", "counter:2"): 1}


def test_notices_by_channel_and_state(city):
    notice(city, at(DAY, 9), "email", "sent", recipient="hanako@example.jp")
    notice(city, at(DAY, 10), "email", "failed")
    notice(city, at(DAY, 11), "sms", "delivered")
    notice(city, at(DAY, 12), "email", "sent")
    daily.build_day(city, DAY)
    assert {d: c[0] for d, c in cells(city, DAY, Measure.NOTICES).items()} == {
        "email:sent": 2, "email:failed": 1, "sms:delivered": 1}


def test_navigator_plans_and_the_drafts_begun_from_them(city):
    birth = plan(city, "birth", at(DAY, 8))
    plan(city, "birth", at(DAY, 9))
    plan(city, "moving", at(DAY, 10))
    draft(city, CLAIM, at(DAY, 8, 30), plan=birth)
    draft(city, CLAIM, at(DAY, 8, 40))
    daily.build_day(city, DAY)
    assert {d: c[0] for d, c in cells(city, DAY, Measure.NAVIGATOR_PLANS).items()} == {"birth": 2, "moving": 1}
    rows = DailyFigure.objects.filter(municipality=city, day=DAY, measure=Measure.NAVIGATOR_DRAFTS)
    assert [(r.procedure_code, r.dimension, r.count, r.department_id) for r in rows] == [(CLAIM, "birth", 1, None)]


def test_a_rebuild_keeps_the_navigator_rows_of_a_day_whose_plans_were_disposed_of(city):
    old = timezone.localdate() - timedelta(40)
    kept = plan(city, "birth", at(old, 9))
    draft(city, CLAIM, at(old, 9, 30), plan=kept)
    daily.build_day(city, old)
    before = daily.built_rows(city, old)
    NavigatorPlan.objects.filter(pk=kept.pk).delete()  # navigator/retention.py, a month on
    daily.build_day(city, old)
    assert daily.built_rows(city, old) == before
    assert {r[0] for r in before} >= {Measure.NAVIGATOR_PLANS, Measure.NAVIGATOR_DRAFTS}


def test_a_recent_day_counts_plans_again(city):
    """Within the retention period, a rebuild reflects the plans as they are."""
    recent = timezone.localdate() - timedelta(3)
    made = plan(city, "birth", at(recent, 9))
    daily.build_day(city, recent)
    NavigatorPlan.objects.filter(pk=made.pk).delete()
    daily.build_day(city, recent)
    assert cells(city, recent, Measure.NAVIGATOR_PLANS) == {}


def test_a_later_decision_changes_the_day_it_happened_on_when_rebuilt(city):
    kodomo = department(city, "kodomo")
    made = submission(city, kodomo, CLAIM, at(DAY, 9))
    daily.build_range(city, DAY, DAY + timedelta(2))
    assert not DailyFigure.objects.filter(municipality=city, measure=Measure.DECIDED).exists()
    event(made, "approved", at(DAY + timedelta(2), 9))
    daily.build_range(city, DAY, DAY + timedelta(2))
    assert list(DailyFigure.objects.filter(municipality=city, measure=Measure.DECIDED)
                .values_list("day", "count")) == [(DAY + timedelta(2), 1)]


def test_no_row_holds_anything_about_a_person(city, staff):
    """Every value of every row is a count, a sum, a code from an enumeration or the catalogue:
    nothing an applicant wrote, no address, no receipt number, no account or record id."""
    kodomo = department(city, "kodomo")
    made = submission(city, kodomo, CLAIM, at(DAY, 9))
    event(made, "returned", at(DAY, 10), reason="identity")
    notice(city, at(DAY, 9), recipient="taro.yamada@example.jp")
    answer(city, DAY, 4, "online", CLAIM, kodomo, comment="山田太郎 090-1234-5678")
    visit(city, next(iter(staff.values())), at(DAY, 9), "card", prefilled=3)
    daily.build_day(city, DAY)
    personal = {made.receipt_number, str(made.public_id), made.account.email, "taro.yamada@example.jp",
                "山田", "090", f"account:{made.account_id}", "resident:"}
    for row in DailyFigure.objects.filter(municipality=city).values():
        texts = [str(v) for k, v in row.items() if k in ("measure", "procedure_code", "dimension")]
        assert not any(p in t for p in personal for t in texts), row
        assert set(row) == {"id", "municipality_id", "day", "measure", "department_id", "procedure_code",
                            "dimension", "count", "total", "maximum"}
        assert row["procedure_code"] in ("", CLAIM)


def test_command_default_range_is_yesterday_and_34_days_before(city):
    call_command("build_insights", "--city", city.slug, stdout=open("/dev/null", "w"))  # noqa: SIM115
    built = sorted(BuiltDay.objects.filter(municipality=city).values_list("day", flat=True))
    yesterday = timezone.localdate() - timedelta(1)
    assert built == [yesterday - timedelta(n) for n in range(daily.DEFAULT_DAYS - 1, -1, -1)]


def test_command_days_and_day(city):
    call_command("build_insights", "--days", "3", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert BuiltDay.objects.filter(municipality=city).count() == 3
    call_command("build_insights", "--day", str(DAY), stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert BuiltDay.objects.filter(municipality=city, day=DAY).exists()


@pytest.mark.parametrize("arguments", [["--day", "2026-13-01"], ["--from", "2026-10-02"],
                                       ["--from", "2026-10-02", "--to", "2026-10-01"], ["--days", "0"],
                                       ["--city", "nowhere"]])
def test_command_refuses_bad_arguments(city, arguments):
    with pytest.raises(CommandError):
        call_command("build_insights", *arguments, stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert not BuiltDay.objects.exists()
