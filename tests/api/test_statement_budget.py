"""What a request costs the database: a submission at most nine statements, /api/health none,
a page's city and departments none once read; the per-process copy of the city and its
departments follows every change (at once in this process, within MADOGUCHI_CITY_CACHE_SECONDS
in others); idempotency by the unique constraint keeps its answers.

Statements are counted (Django's CaptureQueriesContext), never timed. The list is in each
failure message, so a new statement names itself.
"""

import json
import os
import subprocess
import sys
import uuid

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from madoguchi.applications import services as applications
from madoguchi.applications.models import Submission, SubmissionEvent, SubmissionVersion
from madoguchi.catalog.loader import catalog
from madoguchi.catalog.selectors import department_for
from madoguchi.core import cities
from madoguchi.core.models import AuditEvent, Department, Municipality
from madoguchi.identity.emailcode import issue_api_token
from madoguchi.identity.models import ResidentAccount
from madoguchi.notify.models import OutboxMessage

from support import api_answers

CODE = "dog-registration-change"
# token, BEGIN (or SAVEPOINT), the applicant's channels (notify.routes_for: LINE, SMS, push, a
# failing address), five INSERTs, COMMIT (or RELEASE)
BUDGET = 9


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Each test starts from an empty per-process copy, as a new worker does."""
    cities.forget()
    yield
    cities.forget()


@pytest.fixture
def token(city):
    account = ResidentAccount.objects.create(municipality=city, email="budget@example.jp")
    return issue_api_token(city, account=account)


@pytest.fixture
def answers():
    return api_answers(catalog()[CODE].current_form)


def submit(client: Client, token: str, answers: dict, key: str | None = None):
    return client.post("/api/submissions", {"procedure": CODE, "answers": answers},
                       content_type="application/json",
                       headers={"Authorization": f"Bearer {token}",
                                "Idempotency-Key": key or uuid.uuid4().hex})


def listing(queries) -> str:
    return "\n".join(f"{i + 1}. {q['sql'][:160]}" for i, q in enumerate(queries.captured_queries))


def touching(queries, table: str) -> list[str]:
    return [q["sql"] for q in queries.captured_queries if f'"{table}"' in q["sql"]]


def count_submission(client, token, answers):
    submit(client, token, answers)  # the worker's first request reads the city: warm-up
    with CaptureQueriesContext(connection) as queries:
        response = submit(client, token, answers)
    assert response.status_code == 201, response.content
    return queries


@pytest.mark.django_db
def test_a_submission_makes_at_most_nine_statements(city, token, answers):
    queries = count_submission(Client(), token, answers)
    assert len(queries) <= BUDGET, f"{len(queries)} statements:\n{listing(queries)}"
    assert touching(queries, "core_municipality") == [], listing(queries)
    assert touching(queries, "core_department") == [], listing(queries)
    assert len(touching(queries, "identity_apitoken")) == 1, listing(queries)
    inserts = [q["sql"].split('"')[1] for q in queries.captured_queries
               if q["sql"].startswith("INSERT")]
    assert sorted(inserts) == sorted(["applications_submission", "applications_submissionversion",
                                      "applications_submissionevent", "core_auditevent",
                                      "notify_outboxmessage"]), listing(queries)


@pytest.mark.django_db(transaction=True)
def test_outside_a_test_transaction_the_budget_holds_with_begin_and_commit(
        audit_log_flushable, city, token, answers, settings):
    """As in production: no transaction around the request, so the submission's own is a
    BEGIN … COMMIT (Django lists both) rather than a savepoint; the mail is left to the
    `run_outbox` workers (MADOGUCHI_OUTBOX_MODE=worker, as with several app processes)."""
    settings.MADOGUCHI_OUTBOX_MODE = "worker"
    queries = count_submission(Client(), token, answers)
    assert len(queries) <= BUDGET, f"{len(queries)} statements:\n{listing(queries)}"
    assert [q["sql"] for q in queries.captured_queries][-1] == "COMMIT", listing(queries)


@pytest.mark.django_db
def test_health_makes_no_query_even_in_a_fresh_process(city):
    with CaptureQueriesContext(connection) as queries:
        response = Client().get("/api/health")
    assert response.status_code == 200
    assert len(queries) == 0, listing(queries)


@pytest.mark.django_db
def test_ready_asks_the_database(city):
    with CaptureQueriesContext(connection) as queries:
        response = Client().get("/api/ready")
    assert response.status_code == 200
    assert response.json() == {"ok": True, "database": "ok"}
    assert [q["sql"] for q in queries.captured_queries] == ["SELECT 1"]
    assert "no-store" in response["Cache-Control"]


def test_ready_is_503_and_health_200_while_the_database_is_unreachable():
    """A real process whose database is a PostgreSQL port nobody listens on."""
    with __import__("socket").socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    script = (
        "import json, django; django.setup()\n"
        "from django.test import Client\n"
        "c = Client()\n"
        "print(json.dumps([[r.status_code, r.json()] for r in "
        "(c.get('/api/ready'), c.get('/api/health'))]))\n"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "madoguchi.settings",
           "DATABASE_URL": f"postgres://postgres@127.0.0.1:{port}/unreachable",
           "PGCONNECT_TIMEOUT": "3"}
    result = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr[-2000:]
    (ready_status, ready_body), (health_status, health_body) = json.loads(
        result.stdout.strip().splitlines()[-1])
    assert (ready_status, ready_body) == (503, {"ok": False, "database": "unreachable"})
    assert (health_status, health_body) == (200, {"ok": True})


@pytest.mark.django_db
def test_a_page_reads_its_city_and_departments_once_per_process(city, settings):
    # The first page also loads the catalogue and its search index (seconds on a busy machine):
    # a cache lifetime longer than that keeps this about "once per process", not about speed.
    settings.MADOGUCHI_CITY_CACHE_SECONDS = 600
    client = Client()
    assert client.get("/").status_code == 200  # warm-up
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/")
    assert response.status_code == 200
    assert isinstance(response.wsgi_request.municipality, Municipality)
    assert response.wsgi_request.municipality.pk == city.pk
    assert touching(queries, "core_municipality") == [], listing(queries)
    assert touching(queries, "core_department") == [], listing(queries)


@pytest.mark.django_db
def test_a_saved_hostname_is_served_at_once(city, other_city, settings):
    settings.ALLOWED_HOSTS = ["town.example.jp"]
    client = Client()
    assert client.get("/", HTTP_HOST="town.example.jp").wsgi_request.municipality.pk == city.pk
    other_city.hostname = "town.example.jp"
    other_city.save()
    assert client.get("/", HTTP_HOST="town.example.jp").wsgi_request.municipality.pk == other_city.pk
    other_city.hostname = "other.example.jp"
    other_city.save()
    assert client.get("/", HTTP_HOST="town.example.jp").wsgi_request.municipality.pk == city.pk


@pytest.mark.django_db
def test_a_new_or_removed_department_is_seen_at_once(other_city):
    procedure = catalog()[CODE]
    with pytest.raises(Department.DoesNotExist):
        department_for(other_city, procedure.model_copy(update={"department": "shimin"}))
    created = Department.objects.create(municipality=other_city, code="shimin", name="市民課")
    found = department_for(other_city, procedure.model_copy(update={"department": "shimin"}))
    assert found.pk == created.pk
    created.delete()
    with pytest.raises(Department.DoesNotExist):
        department_for(other_city, procedure.model_copy(update={"department": "shimin"}))


@pytest.mark.django_db
def test_another_process_change_is_seen_once_the_copy_is_older_than_the_bound(
        city, other_city, monkeypatch, settings):
    """Another worker's save sends no signal here: a bulk update stands for it. The old
    value may be served until the copy is MADOGUCHI_CITY_CACHE_SECONDS old, never after."""
    settings.MADOGUCHI_CITY_CACHE_SECONDS = 5
    now = [1000.0]
    monkeypatch.setattr(cities, "_clock", lambda: now[0])
    assert cities.municipality_for_host("town.example.jp").pk == city.pk
    assert "shimin" not in cities.departments_of(other_city)
    Municipality.objects.filter(pk=other_city.pk).update(hostname="town.example.jp")
    Department.objects.bulk_create([Department(municipality=other_city, code="shimin", name="市民課")])
    now[0] += 4.9
    with CaptureQueriesContext(connection) as queries:
        assert cities.municipality_for_host("town.example.jp").pk == city.pk
        assert "shimin" not in cities.departments_of(other_city)
    assert len(queries) == 0
    now[0] += 0.2
    assert cities.municipality_for_host("town.example.jp").pk == other_city.pk
    assert "shimin" in cities.departments_of(other_city)


@pytest.mark.django_db
def test_a_read_overtaken_by_a_change_is_not_kept(city, monkeypatch):
    """A worker thread that read the old row while another thread saved must not store it."""
    read = cities._read_municipality

    def read_then_changed(*args):
        found = read(*args)
        cities.forget()  # what a save in another thread does meanwhile
        return found

    monkeypatch.setattr(cities, "_read_municipality", read_then_changed)
    assert cities.municipality_for_host("testserver").pk == city.pk
    monkeypatch.setattr(cities, "_read_municipality", read)
    with CaptureQueriesContext(connection) as queries:
        cities.municipality_for_host("testserver")
    assert len(queries) == 1


@pytest.mark.django_db
def test_each_request_gets_its_own_copy_of_the_city(city):
    first = cities.municipality_for_host("testserver")
    first.name = "書き換え"
    assert cities.municipality_for_host("testserver").name == city.name
    department = department_for(city, catalog()[CODE])
    department.name = "書き換え"
    assert department_for(city, catalog()[CODE]).name != "書き換え"


@pytest.mark.django_db
def test_no_city_for_the_host_is_still_a_404(city, settings):
    settings.MADOGUCHI_DEFAULT_MUNICIPALITY = "nowhere"
    assert Client().get("/", HTTP_HOST="testserver").status_code == 404


@pytest.mark.django_db
def test_a_replay_returns_the_first_and_writes_nothing(city, token, answers):
    client = Client()
    first = submit(client, token, answers, key="order-1")
    assert first.status_code == 201
    rows = [m.objects.count() for m in (Submission, SubmissionVersion, SubmissionEvent,
                                        AuditEvent, OutboxMessage)]
    again = submit(client, token, answers, key="order-1")
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["receipt_number"] == first.json()["receipt_number"]
    other = submit(client, token, {**answers, "dog_name": "タロウ"}, key="order-1")
    assert other.status_code == 409
    assert "Idempotency-Key" in other.json()["detail"]["errors"]
    assert [m.objects.count() for m in (Submission, SubmissionVersion, SubmissionEvent,
                                        AuditEvent, OutboxMessage)] == rows


@pytest.mark.django_db
def test_a_receipt_number_collision_draws_again(city, token, answers, monkeypatch):
    first = submit(Client(), token, answers).json()
    drawn = iter([first["receipt_number"], "2345-6789"])
    monkeypatch.setattr(applications, "new_receipt_number", lambda: next(drawn))
    second = submit(Client(), token, answers)
    assert second.status_code == 201, second.content
    assert second.json()["receipt_number"] == "2345-6789"
    assert Submission.objects.filter(receipt_number=first["receipt_number"]).count() == 1
    assert SubmissionVersion.objects.filter(submission__receipt_number="2345-6789").count() == 1
