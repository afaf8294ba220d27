"""A page of cases read through the staff API is an export: each writes an audit event (who,
which filters, how many cases)."""

import pytest
from test_api import answers, bearer, resident_token, submit  # noqa: F401 - fixtures

from madoguchi.core.models import AuditEvent
from madoguchi.identity.emailcode import issue_api_token

pytestmark = pytest.mark.django_db


def test_each_page_of_cases_is_an_audited_export(client, city, staff, resident_token, answers):  # noqa: F811
    submit(client, resident_token, answers)
    user = staff["kankyo-tanto"]
    token = issue_api_token(city, staff_user=user)
    assert len(client.get("/api/staff/cases", headers=bearer(token)).json()) == 1
    event = AuditEvent.objects.filter(action="export", target_type="cases").latest("id")
    assert event.actor_ref == f"staff:{user.pk}" and event.municipality_id == city.pk
    assert event.detail["rows"] == 1 and event.detail["status"] == "" and event.detail["page"] == 1
    assert client.get("/api/staff/cases", {"status": "accepted", "since": "2026-01-01"},
                      headers=bearer(token)).json() == []
    event = AuditEvent.objects.filter(action="export", target_type="cases").latest("id")
    assert (event.detail["rows"], event.detail["status"], event.detail["since"]) == (0, "accepted", "2026-01-01")
    assert AuditEvent.objects.filter(action="export", target_type="cases").count() == 2
