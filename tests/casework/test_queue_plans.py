"""Every statement the department queue and the staff API run, read through PostgreSQL's planner
after ANALYZE: each reads the submissions through an index, in the queue's order, without a
Seq Scan or a sort of the table (see tests/plans.py for the two checks), and each page's rows
come from the index made for its filter (applications.Submission.Meta.indexes).

The data is shaped like a big city's at a smaller size: 30,000 cases in 40 departments, the
clerk's two departments a twentieth of them, 受付待ち, one procedure and counter filings rare,
times tied in pairs."""

from datetime import timedelta

import plans
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from queue_cases import at, make_desk

from madoguchi.applications.models import Channel, Status, Submission
from madoguchi.casework import selectors
from madoguchi.core.models import ActorKind, Department
from madoguchi.identity.emailcode import issue_api_token
from madoguchi.identity.models import ResidentAccount

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="reads PostgreSQL query plans (EXPLAIN); SQLite has no planner statistics to prove against")

TABLE = "applications_submission"
PROCEDURES = ["dog-registration-change", "child-allowance-claim", "resident-certificate",
              "seal-registration", "moving-in", "moving-out", "tax-certificate", "garbage-bulky"]


@pytest.fixture
def big_desk(city, django_user_model):
    desk = make_desk(city, django_user_model)
    departments = [*desk.own, desk.other] + [
        Department.objects.create(municipality=city, code=f"load-{n}", name=f"課{n}") for n in range(37)]
    account = ResidentAccount.objects.create(municipality=city, email="load@example.jp")
    Submission.objects.bulk_create([
        Submission(municipality=city, receipt_number=f"L{n:09d}", form_version=1,
                   department=departments[n % len(departments)], account=account,
                   procedure_code="seal-registration" if n % 61 == 0 else PROCEDURES[n % 4],
                   actor_kind=ActorKind.RESIDENT, actor_ref="resident:load",
                   status=Status.SUBMITTED if n % 37 == 0 else Status.APPROVED,
                   channel=Channel.COUNTER if n % 23 == 0 else Channel.ONLINE)
        for n in range(30_000)], batch_size=5000)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE applications_submission"
                       " SET submitted_at = %s + (id / 2) * interval '15 minutes'",
                       [at("2025-01-01 00:00")])
        cursor.execute("ANALYZE applications_submission")
    return desk


def _statements(run) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        response = run()
    assert response.status_code == 200
    return plans.statements_on(captured, TABLE)


def _check(statements, where, index):
    rows = [sql for sql in statements if "ORDER BY" in sql]
    assert rows, where  # the page's rows were read
    for sql in statements:
        plans.assert_index_read(sql, TABLE, where, index if sql in rows else None)


# 受付待ち cases are open: the partial index of open cases by due day (submission_queue_due) holds
# them too, and where a department has few the planner reads it and sorts the few (below
# plans.SMALL_SORT); with many it walks submission_queue_status in order. Either is a bounded read.
WAITING = ("submission_queue_status", "submission_queue_due")

SHAPES = [
    ({}, "submission_queue"),
    ({"status": Status.SUBMITTED}, WAITING),
    ({"procedure": "seal-registration"}, "submission_queue_procedure"),
    ({"channel": Channel.COUNTER}, "submission_queue_channel"),
    ({"since": "2025-03-01", "until": "2025-03-31"}, "submission_queue"),
    ({"status": Status.SUBMITTED, "since": "2025-03-01", "until": "2025-03-31"}, WAITING),
]


def test_each_queue_page_is_an_index_read(client, big_desk):
    client.force_login(big_desk.user)
    url = reverse("casework:queue")
    for params, index in SHAPES:
        _check(_statements(lambda params=params: client.get(url, params)), params, index)


def test_next_and_previous_pages_are_index_reads(client, big_desk):
    """Deep in the queue (the 500th case), next and back: the same index range reads."""
    client.force_login(big_desk.user)
    ordered = list(selectors.queue(big_desk.user, big_desk.city)[:501])
    cursor = selectors.cursor_for(ordered[500])
    url = reverse("casework:queue")
    for name in ("after", "before"):
        _check(_statements(lambda name=name: client.get(url, {name: cursor})), name,
               "submission_queue")
        _check(_statements(lambda name=name: client.get(url, {name: cursor, "status": "submitted"})),
               name, WAITING)


def test_the_staff_api_list_is_an_index_read(client, big_desk):
    headers = {"Authorization": f"Bearer {issue_api_token(big_desk.city, staff_user=big_desk.user)}"}
    first = client.get("/api/staff/cases", headers=headers)
    _check(_statements(lambda: client.get("/api/staff/cases", headers=headers)), "api", "submission_queue")
    next_url = first.headers["Link"].split(">")[0][1:]
    _check(_statements(lambda: client.get(next_url, headers=headers)), "api next", "submission_queue")
    _check(_statements(lambda: client.get("/api/staff/cases", {"channel": "counter"}, headers=headers)),
           "api counter", "submission_queue_channel")


def test_the_date_filter_is_a_range_on_the_stored_time(client, big_desk):
    """No cast of each row's time to a date: a plain range on submitted_at."""
    client.force_login(big_desk.user)
    statements = _statements(lambda: client.get(reverse("casework:queue"),
                                                {"since": "2025-03-01", "until": "2025-03-31"}))
    start = at("2025-03-01 00:00")
    assert all("AT TIME ZONE" not in sql and "::date" not in sql for sql in statements)
    assert any(str((start - timedelta(hours=9)).replace(tzinfo=None)) in sql for sql in statements)


def test_a_departments_own_procedure_is_estimated_near_its_count(big_desk):
    """The queue's "約 N 件" past 10,000 is the planner's estimate (core/counting.py). A
    department's procedures are its own; without statistics on the pair (applications/0007)
    the planner multiplies the two filters as if independent and shows a fraction of the truth
    (on 10 M cases: 約 39,000 for 70,144). Here each department has one procedure of four."""
    from madoguchi.core.counting import planner_estimate

    cases = Submission.objects.filter(department=big_desk.own[0], procedure_code=PROCEDURES[0])
    truth = cases.count()
    assert truth > 500
    assert 0.5 * truth <= planner_estimate(cases) <= 2 * truth
