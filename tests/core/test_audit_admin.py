"""The audit log's admin list with tens of millions of events: newest first, no COUNT of the
whole table, no SELECT DISTINCT over it, no sortable columns, and (on PostgreSQL) every
statement an index read: no Seq Scan and no Sort of the audit table."""

import plans
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from madoguchi.core import counting
from madoguchi.core.models import ActorKind, AuditEvent, Municipality

ACTIONS = [f"action_{n:02d}" for n in range(40)]
KINDS = [ActorKind.STAFF, ActorKind.RESIDENT, ActorKind.SYSTEM]


def _events(cities, n):
    AuditEvent.objects.bulk_create([
        AuditEvent(municipality=cities[i % len(cities)],
                   actor_kind=ActorKind.SYSTEM if i % 50 == 0 else KINDS[(i // 7) % 2],
                   actor_ref="staff:1", action=ACTIONS[(i * 7) % 40], target_type="submission",
                   target_id=str(i)) for i in range(n)], batch_size=5000)


@pytest.fixture
def operator(django_user_model, client):
    user = django_user_model.objects.create_superuser("operator", password="x-pass-2026")
    client.force_login(user)
    return user


def _list(client, **params):
    response = client.get(reverse("admin:core_auditevent_changelist"), params)
    assert response.status_code == 200, params
    return response


def _shapes(city):
    """Each filter the list offers, with the index whose order serves its page."""
    return [({}, "core_auditevent_pkey"), ({"municipality__id__exact": city.pk}, "audit_city"),
            ({"action": "action_03"}, "audit_action"),
            ({"actor_kind__exact": ActorKind.SYSTEM}, "audit_actor_kind"),
            ({"municipality__id__exact": city.pk, "action": "action_03"}, "audit_city_action"),
            ({"municipality__id__exact": city.pk, "actor_kind__exact": ActorKind.SYSTEM},
             "audit_city_actor_kind"),
            ({"p": "3"}, "core_auditevent_pkey")]


def test_newest_first_filters_and_counts(client, operator, city, other_city, monkeypatch):
    _events([city, other_city], 600)
    newest = AuditEvent.objects.order_by("-id").first()
    html = _list(client).content.decode()
    assert html.index(f"/{newest.pk}/change/") < html.index(f"/{newest.pk - 1}/change/")
    assert all(f"?action={a}" in html for a in ACTIONS)  # the action filter lists every action
    filtered = _list(client, action="action_03", municipality__id__exact=city.pk)
    expected = AuditEvent.objects.filter(action="action_03", municipality=city)
    assert filtered.context["cl"].result_count == expected.count()
    assert list(filtered.context["cl"].result_list) == list(expected.order_by("-id")[:100])
    assert 'class="sortable' not in html  # a column sort would sort the whole log

    monkeypatch.setattr(counting, "EXACT_UP_TO", 250)
    listing = _list(client).context["cl"]
    assert listing.paginator.num_pages == 3  # no page past the threshold: narrow with filters
    assert listing.result_count >= 250  # estimated (PostgreSQL) or the threshold (SQLite)
    assert listing.full_result_count is None


def test_no_statement_counts_or_scans_the_whole_log(client, operator, city, other_city):
    _events([city, other_city], 300)
    for params, _ in _shapes(city):
        with CaptureQueriesContext(connection) as captured:
            _list(client, **params)
        for query in captured.captured_queries:
            sql = query["sql"]
            if "core_auditevent" not in sql:
                continue
            assert "DISTINCT" not in sql.upper(), sql
            if "COUNT(" in sql.upper():
                assert "LIMIT" in sql.upper(), sql  # capped, never the whole table


@pytest.mark.skipif(connection.vendor != "postgresql",
                    reason="reads PostgreSQL query plans (EXPLAIN); SQLite has no planner statistics to prove against")
def test_every_list_statement_is_an_index_read(client, operator, city, other_city):
    """The filters that matter are the narrow ones (a wide one finds its page in the first
    rows of any order): here the city, the action and the system's events are each about 1% of
    30,000 events, the rest spread over other cities, actions and staff."""
    others = [other_city, *(Municipality.objects.create(
        slug=f"town{n}", code=f"9{n:05d}", name=f"町{n}", hostname=f"town{n}.example.jp")
        for n in range(8))]
    AuditEvent.objects.bulk_create([
        AuditEvent(municipality=city if i % 100 == 0 else others[i % len(others)],
                   action="action_03" if i % 200 in (0, 1) else ACTIONS[4 + i % 36],
                   actor_kind=ActorKind.SYSTEM if i % 300 in (0, 2) else KINDS[i % 2],
                   actor_ref="staff:1", target_type="submission", target_id=str(i))
        for i in range(30_000)], batch_size=5000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE core_auditevent")
    for params, index in _shapes(city):
        with CaptureQueriesContext(connection) as captured:
            _list(client, **params)
        statements = plans.statements_on(captured, "core_auditevent")
        assert any('ORDER BY "core_auditevent"."id" DESC' in sql for sql in statements), params
        for sql in statements:
            page = 'ORDER BY "core_auditevent"."id" DESC' in sql
            plans.assert_index_read(sql, "core_auditevent", params, index if page else None)
