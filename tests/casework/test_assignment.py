"""担当者: a department member assigns a case to a member of the case's department (themselves
or another), re-assigns and un-assigns; anyone else is refused; each change is one audit event
shown in the case's work history; 「自分の担当」 lists the user's cases; the queue's procedure
filter lists the departments' own procedures; the queue page's queries do not grow per row."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from work_cases import APPLICATION, act, cases, queue

from madoguchi.applications.models import Submission
from madoguchi.core.models import AuditEvent, Role, StaffMembership

from support import submit_via_web


@pytest.fixture
def case(resident_client):
    return submit_via_web(resident_client, APPLICATION)


def _events(case, action):
    return list(AuditEvent.objects.filter(target_id=str(case.public_id), action=action).order_by("id"))


def test_a_clerk_takes_a_case_and_it_is_audited_and_shown(client, staff, case):
    clerk = staff["kodomo-tanto"]
    page = act(client, clerk, case, "take")
    case.refresh_from_db()
    assert case.assignee == clerk and case.assigned_at is not None
    assert [e.detail for e in _events(case, "assign")] == [{"assignee": clerk.pk, "previous": None}]
    assert f'data-assignee="{clerk.pk}"' in page and 'data-mine="true"' in page
    assert 'id="work-history"' in page and 'data-action="assign"' in page


def test_reassign_to_another_member_and_unassign(client, staff, case):
    clerk, chief = staff["kodomo-tanto"], staff["kodomo-kacho"]
    act(client, clerk, case, "take")
    act(client, clerk, case, "assign", assignee=str(chief.pk))
    case.refresh_from_db()
    assert case.assignee == chief
    assert _events(case, "assign")[-1].detail == {"assignee": chief.pk, "previous": clerk.pk}
    act(client, clerk, case, "assign", assignee=str(chief.pk))  # the same again: nothing new
    assert len(_events(case, "assign")) == 2
    act(client, chief, case, "unassign")
    case.refresh_from_db()
    assert case.assignee is None and case.assigned_at is None
    assert [e.detail for e in _events(case, "unassign")] == [{"previous": chief.pk}]


@pytest.mark.parametrize("assignee", ["kankyo-tanto", "inactive", "nobody", "abc", "", "9" * 30, "-1", "１"])
def test_assigning_to_anyone_but_a_member_is_refused(client, staff, case, django_user_model, assignee):
    if assignee == "inactive":
        user = django_user_model.objects.create_user("gone", password="x-pass-2026", is_active=False)
        StaffMembership.objects.create(user=user, department=case.department, role=Role.CLERK)
        value = str(user.pk)
    else:
        value = {"kankyo-tanto": str(staff["kankyo-tanto"].pk), "nobody": "999999"}.get(assignee, assignee)
    page = act(client, staff["kodomo-tanto"], case, "assign", assignee=value)
    case.refresh_from_db()
    assert case.assignee is None and not _events(case, "assign")
    assert re.search(r"refused-(not-member|assignee)", page)


def test_another_departments_staff_can_neither_see_nor_assign(client, staff, case):
    other = staff["kankyo-tanto"]
    client.force_login(other)
    assert client.get(reverse("casework:case", args=[case.public_id])).status_code == 404
    response = client.post(reverse("casework:action", args=[case.public_id, "take"]))
    assert response.status_code == 404
    case.refresh_from_db()
    assert case.assignee is None
    assert case.receipt_number not in queue(client, other)


def test_mine_lists_my_cases_in_queue_order_only_in_my_departments(client, staff, city):
    clerk, chief = staff["kodomo-tanto"], staff["kodomo-kacho"]
    made = cases(city, 6)
    for case in made[:3]:
        Submission.objects.filter(pk=case.pk).update(assignee=clerk)
    Submission.objects.filter(pk=made[3].pk).update(assignee=chief)
    # A case of a department the clerk does not belong to, assigned to them anyway (left it).
    elsewhere = cases(city, 1, code="kankyo", procedure="dog-registration-change")[0]
    Submission.objects.filter(pk=elsewhere.pk).update(assignee=clerk)
    page = queue(client, clerk, mine="1")
    listed = re.findall(r'data-case="([^"]+)"', page)
    assert listed == [c.receipt_number for c in made[:3]]
    assert len(re.findall(r'data-case="', queue(client, clerk))) == 6
    by_due = re.findall(r'data-case="([^"]+)"', queue(client, clerk, mine="1", sort="due"))
    assert by_due == [c.receipt_number for c in made[:3]]  # no due days: by id
    assert 'id="tab-mine" aria-current="page"' in page or 'aria-current="page" id="tab-mine"' in page


def test_the_procedure_filter_lists_the_departments_own_procedures(client, staff):
    page = queue(client, staff["kodomo-tanto"])
    select = re.search(r'<select id="procedure".*?</select>', page, re.S).group(0)
    codes = set(re.findall(r'value="([a-z0-9-]+)"', select))
    assert "child-allowance-claim" in codes and "childcare-admission" in codes
    assert "inheritance-tax-return" not in codes and "dog-registration" not in codes
    from madoguchi.catalog.loader import catalog

    assert codes == {c for c, p in catalog().items() if p.department == "kodomo"}


def test_the_queue_pages_queries_do_not_grow_per_row(client, staff, city, django_user_model):
    clerk = staff["kodomo-tanto"]
    client.force_login(clerk)

    def count(**params):
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("casework:queue"), params).status_code == 200
        return len(captured.captured_queries)

    users = [django_user_model.objects.create_user(f"member-{n}", password="x-pass-2026") for n in range(5)]

    def add(n, start):
        for i, case in enumerate(cases(city, n, start=start)):
            Submission.objects.filter(pk=case.pk).update(assignee=users[i % 5] if i % 4 else clerk,
                                                         due_on=f"2026-04-{i % 28 + 1:02d}")

    add(3, "2026-03-01 09:00")
    few = count(), count(sort="due"), count(mine="1")
    add(40, "2026-03-02 09:00")
    many = count(), count(sort="due"), count(mine="1")
    # Read from a page of 3 rows and a full page of 25 (with 5 assignees): no more queries.
    assert all(m <= f for m, f in zip(many, few, strict=True)), (few, many)


def test_the_api_assigns_and_ticks_with_the_same_rules(client, staff, case, city):
    from madoguchi.identity.emailcode import issue_api_token

    clerk = staff["kodomo-tanto"]
    headers = {"Authorization": f"Bearer {issue_api_token(city, staff_user=clerk)}"}
    url = f"/api/staff/cases/{case.public_id}/actions/"
    refused = client.post(url + "assign", {"assignee": str(staff["kankyo-tanto"].pk)},
                          content_type="application/json", headers=headers)
    assert refused.status_code == 409
    ok = client.post(url + "assign", {"assignee": str(clerk.pk)}, content_type="application/json",
                     headers=headers)
    assert ok.status_code == 200
    assert client.post(url + "tick", {"item": "documents"}, content_type="application/json",
                       headers=headers).status_code == 200
    case.refresh_from_db()
    assert case.assignee == clerk and case.checklist_ticks.filter(item="documents").exists()
