"""The demo's year of history (insights/demo.py, `load_insights_demo`): every source the
figures read gets rows, the figures are built from them, the same seed gives the same history,
and loading again never doubles it."""

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from madoguchi.applications.models import (
    Channel,
    Draft,
    ReturnReason,
    Status,
    Submission,
    SubmissionEvent,
)
from madoguchi.counter.models import CounterVisit
from madoguchi.feedback.models import SurveyAnswer
from madoguchi.insights import demo, figures
from madoguchi.insights.measures import Kpi
from madoguchi.insights.models import BuiltDay, DailyFigure
from madoguchi.navigator.models import NavigatorPlan
from madoguchi.payments.models import Charge
from madoguchi.queueing.models import Ticket

pytestmark = pytest.mark.django_db

DAYS = 28


@pytest.fixture
def counters(city):
    call_command("load_queue_demo", "--city", city.slug, "--history-weeks", "0", stdout=io.StringIO())
    return city


def _load(city, *more):
    out = io.StringIO()
    call_command("load_insights_demo", "--city", city.slug, "--days", str(DAYS), "--seed", "7", *more, stdout=out)
    return out.getvalue()


def _sizes(city) -> dict:
    return {
        "submissions": Submission.objects.filter(municipality=city).count(),
        "events": SubmissionEvent.objects.filter(submission__municipality=city).count(),
        "drafts": Draft.objects.filter(municipality=city).count(),
        "charges": Charge.objects.filter(municipality=city).count(),
        "tickets": Ticket.objects.filter(municipality=city).count(),
        "visits": CounterVisit.objects.filter(municipality=city).count(),
        "plans": NavigatorPlan.objects.filter(municipality=city).count(),
        "answers": SurveyAnswer.objects.filter(municipality=city).count(),
        "figures": DailyFigure.objects.filter(municipality=city).count(),
    }


def test_a_load_fills_every_source_and_builds_the_figures(counters):
    city = counters
    _load(city)
    last = timezone.localdate() - timedelta(1)
    first = last - timedelta(DAYS - 1)
    cases = Submission.objects.filter(municipality=city)
    assert cases.filter(channel=Channel.ONLINE).exists() and cases.filter(channel=Channel.COUNTER).exists()
    assert cases.values("department").distinct().count() > 3
    assert cases.filter(status=Status.APPROVED).exists()
    returned = SubmissionEvent.objects.filter(submission__municipality=city, to_status=Status.RETURNED)
    assert returned.exists()
    assert set(returned.values_list("reason", flat=True)) <= set(ReturnReason.values)
    assert not SubmissionEvent.objects.filter(submission__municipality=city).exclude(
        to_status=Status.RETURNED).exclude(reason="").exists()
    assert Draft.objects.filter(municipality=city, submitted_at__isnull=True).exists()
    assert Charge.objects.filter(municipality=city, status=Charge.Status.PAID, paid_attempt__isnull=False).exists()
    assert CounterVisit.objects.filter(municipality=city, fields_prefilled__gt=0).exists()
    assert Ticket.objects.filter(municipality=city, called_at__isnull=False).exists()
    assert SurveyAnswer.objects.filter(municipality=city).exists()
    # nothing after yesterday, nothing before the first day
    assert not cases.filter(submitted_at__date__gt=last).exists()
    assert not Ticket.objects.filter(municipality=city, service_date__lt=first).exists()

    assert BuiltDay.objects.filter(municipality=city, day__gte=first, day__lte=last).count() == DAYS
    found = figures.kpis(figures.Scope(city, first, last))
    for kpi in (Kpi.ONLINE_SHARE, Kpi.PROCESSING_DAYS, Kpi.RETURN_RATE, Kpi.COMPLETION_RATE,
                Kpi.PAYMENT_COMPLETION, Kpi.CARD_USE, Kpi.WAIT_AVERAGE, Kpi.PREFILLED_SHARE, Kpi.SATISFACTION):
        assert found[kpi].value is not None and found[kpi].base > 0, kpi
    assert 0 < found[Kpi.ONLINE_SHARE].value < 100
    reasons = figures.breakdown(figures.Scope(city, first, last), "return_reasons")
    assert {row.key for row in reasons if row.count} <= set(ReturnReason.values)
    # the figures count a 差戻し on its day; today's are not built yet
    assert sum(row.count for row in reasons) == returned.filter(at__date__lte=last).count()


def test_loading_again_never_doubles(counters):
    city = counters
    _load(city)
    before = _sizes(city)
    assert "nothing to do" in _load(city, "--if-empty")
    with pytest.raises(CommandError, match="--if-empty"):
        _load(city)
    assert _sizes(city) == before


def test_the_same_seed_gives_the_same_history(counters):
    city = counters
    now = timezone.now()

    def history():
        cases = Submission.objects.filter(municipality=city).order_by("submitted_at", "id")
        return (list(cases.values_list("procedure_code", "channel", "status", "submitted_at", "public_id")),
                list(SubmissionEvent.objects.filter(submission__municipality=city)
                     .order_by("at", "id").values_list("to_status", "reason", "at")),
                list(Ticket.objects.filter(municipality=city).order_by("issued_at", "id")
                     .values_list("group__code", "issued_at", "called_at")))

    loads = []
    for _ in range(2):
        with pytest.raises(_Undo), transaction.atomic():
            demo.load(city, seed=11, days=10, build=False, now=now)
            loads.append(history())
            raise _Undo
    assert loads[0] == loads[1] and loads[0][0]
    with pytest.raises(_Undo), transaction.atomic():
        demo.load(city, seed=12, days=10, build=False, now=now)
        other = history()
        raise _Undo
    assert other != loads[0]


class _Undo(Exception):
    """Rolls a load back, so the next starts from the same database."""


def test_a_history_case_opens_on_the_staff_page(client, counters, staff):
    city = counters
    _load(city)
    clerk = staff["kodomo-tanto"]
    case = Submission.objects.filter(municipality=city, department__code="kodomo").order_by("-submitted_at").first()
    assert case is not None
    client.force_login(clerk)
    assert client.get(reverse("casework:case", args=[case.public_id])).status_code == 200


def test_a_city_without_counters_gets_cases_but_no_tickets(city):
    _load(city)
    assert Submission.objects.filter(municipality=city).exists()
    assert not Ticket.objects.filter(municipality=city).exists()
