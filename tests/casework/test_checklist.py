"""The review checklist from the procedure file: ticked and unticked on the case page (who and
when kept, each change audited), refused for an item the file does not have or a closed case,
and work.unticked_required, which a decision proposal asks first."""

import pytest
from work_cases import APPLICATION, act

from madoguchi.applications.models import Status, Submission
from madoguchi.casework import work
from madoguchi.casework.models import ChecklistTick
from madoguchi.catalog.loader import catalog
from madoguchi.catalog.schema import Kind
from madoguchi.core.models import AuditEvent

from support import submit_via_web


@pytest.fixture
def case(resident_client):
    return submit_via_web(resident_client, APPLICATION)


def _required(code=APPLICATION):
    return [i for i in catalog()[code].checklist if i.required]


def test_every_application_of_kodomo_has_a_checklist_with_unique_ids():
    applications = [p for p in catalog().values() if p.department == "kodomo" and p.kind == Kind.APPLICATION]
    assert applications
    for procedure in applications:
        ids = [i.id for i in procedure.checklist]
        assert ids and len(ids) == len(set(ids)), procedure.code
        assert any(i.required for i in procedure.checklist), procedure.code


def test_unticked_required_names_the_required_items_until_ticked(client, staff, case):
    procedure = catalog()[APPLICATION]
    required = _required()
    optional = [i for i in procedure.checklist if not i.required]
    assert optional  # the file has one, which never holds a decision up
    assert work.unticked_required(case, procedure) == [i.label for i in required]
    for item in required[:-1]:
        act(client, staff["kodomo-tanto"], case, "tick", item=item.id)
    assert work.unticked_required(case, procedure) == [required[-1].label]
    act(client, staff["kodomo-tanto"], case, "tick", item=required[-1].id)
    assert work.unticked_required(case, procedure) == []


def test_a_tick_keeps_who_and_when_is_audited_and_shown(client, staff, case):
    clerk, item = staff["kodomo-tanto"], _required()[0]
    page = act(client, clerk, case, "tick", item=item.id)
    tick = ChecklistTick.objects.get(submission=case, item=item.id)
    assert tick.ticked_by == clerk and tick.ticked_at
    assert f'id="checklist-{item.id}" data-item="{item.id}" data-ticked="true"' in page
    act(client, clerk, case, "tick", item=item.id)  # a double click: one row, one event
    assert ChecklistTick.objects.filter(submission=case).count() == 1
    events = AuditEvent.objects.filter(target_id=str(case.public_id), action="checklist_tick")
    assert [e.detail for e in events] == [{"item": item.id}]
    page = act(client, staff["kodomo-kacho"], case, "untick", item=item.id)
    assert not ChecklistTick.objects.filter(submission=case).exists()
    assert AuditEvent.objects.filter(target_id=str(case.public_id), action="checklist_untick").count() == 1
    assert f'data-item="{item.id}" data-ticked="false"' in page
    assert 'data-action="checklist_untick"' in page


@pytest.mark.parametrize("item", ["no_such_item", "", "x" * 500])
def test_an_item_the_file_does_not_have_is_refused(client, staff, case, item):
    page = act(client, staff["kodomo-tanto"], case, "tick", item=item)
    assert "refused-checklist-item" in page
    assert not ChecklistTick.objects.filter(submission=case).exists()


def test_another_department_cannot_tick(client, staff, case):
    client.force_login(staff["kankyo-tanto"])
    from django.urls import reverse

    response = client.post(reverse("casework:action", args=[case.public_id, "tick"]), {"item": _required()[0].id})
    assert response.status_code == 404
    assert not ChecklistTick.objects.filter(submission=case).exists()


def test_a_closed_case_keeps_its_checklist(client, staff, case):
    Submission.objects.filter(pk=case.pk).update(status=Status.WITHDRAWN)
    page = act(client, staff["kodomo-tanto"], case, "tick", item=_required()[0].id)
    assert "refused-closed" in page
    assert not ChecklistTick.objects.filter(submission=case).exists()


def test_a_proposal_waits_for_the_required_items(client, staff, case):
    clerk = staff["kodomo-tanto"]
    act(client, clerk, case, "accept")
    client.force_login(clerk)
    from django.urls import reverse

    url = reverse("casework:action", args=[case.public_id, "propose"])
    page = client.post(url, {"outcome": "approve"}, follow=True).content.decode()
    assert "refused-checklist" in page
    case.refresh_from_db()
    assert case.status == Status.ACCEPTED and not case.decisions.exists()
    for item in _required():
        act(client, clerk, case, "tick", item=item.id)
    page = client.post(url, {"outcome": "approve"}, follow=True).content.decode()
    assert "refused-checklist" not in page
