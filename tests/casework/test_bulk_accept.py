"""Bulk 受付 on the queue: the 届出 checked are accepted one by one through services.accept
(each audited, its hand-off queued); an application, a case no longer waiting and another
department's case are reported and left as they were; a double submit accepts nothing twice."""

import re

import pytest
from django.urls import reverse
from work_cases import APPLICATION, NOTIFICATION, cases

from madoguchi.applications.models import Status, Submission, SubmissionEvent
from madoguchi.casework import work
from madoguchi.core.models import AuditEvent

from support import submit_via_web


@pytest.fixture
def notifications(resident_client):
    return [submit_via_web(resident_client, NOTIFICATION) for _ in range(2)]


def _bulk(client, user, ids, query=""):
    client.force_login(user)
    response = client.post(reverse("casework:queue"), {"case": [str(i) for i in ids], "query": query})
    assert response.status_code == 302
    return response, client.get(response["Location"]).content.decode()


def _accepts(case):
    return SubmissionEvent.objects.filter(submission=case, to_status=Status.ACCEPTED).count()


def test_two_notifications_are_accepted_in_one_post_and_each_audited(client, staff, notifications):
    response, page = _bulk(client, staff["kodomo-tanto"], [c.public_id for c in notifications],
                           query="status=submitted&sort=due")
    assert response["Location"].endswith("?status=submitted&sort=due")
    for case in notifications:
        case.refresh_from_db()
        assert case.status == Status.ACCEPTED and _accepts(case) == 1
        assert AuditEvent.objects.filter(target_id=str(case.public_id), action="accept").count() == 1
    assert "msg-success bulk-accepted" in page or "bulk-accepted" in page
    # Submitted again (a double click, the back button): nothing is accepted twice.
    _response, page = _bulk(client, staff["kodomo-tanto"], [c.public_id for c in notifications])
    assert all(_accepts(c) == 1 for c in notifications)
    assert "bulk-already" in page and "bulk-refused" not in page


def test_applications_and_cases_no_longer_waiting_are_reported_the_rest_go_through(
        client, staff, resident_client, notifications):
    application = submit_via_web(resident_client, APPLICATION)
    withdrawn = notifications[1]
    Submission.objects.filter(pk=withdrawn.pk).update(status=Status.WITHDRAWN)
    _response, page = _bulk(client, staff["kodomo-tanto"],
                            [application.public_id, withdrawn.public_id, notifications[0].public_id])
    application.refresh_from_db()
    withdrawn.refresh_from_db()
    notifications[0].refresh_from_db()
    assert application.status == Status.SUBMITTED and withdrawn.status == Status.WITHDRAWN
    assert notifications[0].status == Status.ACCEPTED
    refused = re.findall(r'class="msg [^"]*bulk-refused[^"]*">([^<]*)', page)
    assert len(refused) == 2
    assert any(application.receipt_number in r for r in refused)
    assert any(withdrawn.receipt_number in r for r in refused)


def test_another_departments_case_and_junk_are_refused(client, staff, city, notifications):
    other = cases(city, 1, code="kankyo", procedure="dog-registration-change")[0]
    _response, page = _bulk(client, staff["kodomo-tanto"], [other.public_id, "not-a-uuid"])
    other.refresh_from_db()
    assert other.status == Status.SUBMITTED
    assert other.receipt_number not in page
    assert "bulk-refused" in page or "bulk-none" in page


def test_too_many_at_once_is_refused_whole(client, staff, notifications):
    import uuid

    ids = [uuid.uuid4() for _ in range(work.BULK_MAX)] + [notifications[0].public_id]
    _response, page = _bulk(client, staff["kodomo-tanto"], ids)
    notifications[0].refresh_from_db()
    assert notifications[0].status == Status.SUBMITTED and "bulk-too-many" in page


def test_the_queue_offers_only_waiting_notifications(client, staff, city):
    waiting = cases(city, 2)
    accepted = cases(city, 1, status=Status.ACCEPTED, start="2026-03-02 09:00")
    application = cases(city, 1, procedure=APPLICATION, start="2026-03-03 09:00")
    client.force_login(staff["kodomo-tanto"])
    page = client.get(reverse("casework:queue")).content.decode()
    offered = set(re.findall(r'name="case" value="([^"]+)"', page))
    assert offered == {str(c.public_id) for c in waiting}
    assert str(accepted[0].public_id) not in offered and str(application[0].public_id) not in offered
    assert 'id="bulk-accept"' in page
