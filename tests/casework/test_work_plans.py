"""「自分の担当」 and the order by due day, read through PostgreSQL's planner after ANALYZE
(tests/plans.py): each page is an index range read in its order — `submission_assignee` for
the user's own cases, `submission_queue_due` for the due days — without a Seq Scan or a sort of
the table, deep pages included.

The data is shaped like test_queue_plans.py's: 30,000 cases in 40 departments, most decided
(with due days long past, which the order by due day must skip by the index, not by reading
them), a few open; the clerk is assigned a few hundred."""

import plans
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from queue_cases import at, make_desk

from madoguchi.applications.models import Status, Submission
from madoguchi.casework import selectors
from madoguchi.core.models import ActorKind, Department
from madoguchi.identity.models import ResidentAccount

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="reads PostgreSQL query plans (EXPLAIN); SQLite has no planner statistics to prove against")

TABLE = "applications_submission"


@pytest.fixture
def busy_desk(city, django_user_model):
    desk = make_desk(city, django_user_model, username="work-clerk")
    departments = [*desk.own, desk.other] + [
        Department.objects.create(municipality=city, code=f"work-{n}", name=f"課{n}") for n in range(37)]
    account = ResidentAccount.objects.create(municipality=city, email="work-load@example.jp")
    Submission.objects.bulk_create([
        Submission(municipality=city, receipt_number=f"W{n:09d}", form_version=1,
                   department=departments[n % len(departments)], account=account,
                   procedure_code="child-allowance-change", actor_kind=ActorKind.RESIDENT,
                   actor_ref="resident:load",
                   status=Status.SUBMITTED if n % 37 == 0 else Status.APPROVED,
                   assignee=desk.user if n % 97 == 0 else None)
        for n in range(30_000)], batch_size=5000)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE applications_submission"
                       " SET submitted_at = %s + (id / 2) * interval '15 minutes',"
                       " due_on = CASE WHEN id %% 11 = 0 THEN NULL"
                       "  ELSE (%s + (id / 2) * interval '15 minutes' + interval '30 days')::date END",
                       [at("2025-01-01 00:00"), at("2025-01-01 00:00")])
        cursor.execute("ANALYZE applications_submission")
    return desk


def _check(client, params, index):
    with CaptureQueriesContext(connection) as captured:
        assert client.get(reverse("casework:queue"), params).status_code == 200
    statements = plans.statements_on(captured, TABLE)
    rows = [sql for sql in statements if "ORDER BY" in sql]
    assert rows, params
    for sql in statements:
        plans.assert_index_read(sql, TABLE, params, index if sql in rows else None)


@pytest.mark.parametrize(("params", "index"), [
    # The assignee has no index of its own (it would duplicate submission_assignee's prefix and
    # tempt the planner into sorting one person's cases): 自分の担当 reads submission_assignee.
    ({"mine": "1"}, "submission_assignee"),
    ({"mine": "1", "status": Status.SUBMITTED}, "submission_assignee"),
    ({"sort": "due"}, "submission_queue_due"),
    ({"sort": "due", "status": Status.SUBMITTED}, None),
])
def test_mine_and_due_pages_are_index_reads(client, busy_desk, params, index):
    client.force_login(busy_desk.user)
    _check(client, params, index)


def test_deep_pages_by_due_day_are_index_reads(client, busy_desk):
    client.force_login(busy_desk.user)
    departments = selectors.departments(busy_desk.user, busy_desk.city)
    page = selectors.queue_page(departments, selectors.Filters(), order="due", size=60)
    cursor = selectors.due_cursor_for(page.cases[-1])
    for name in ("after", "before"):
        _check(client, {"sort": "due", name: cursor}, None)
