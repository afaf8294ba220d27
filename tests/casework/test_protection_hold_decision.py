"""The held request on the staff side: every staff member who sees the case sees the panel and
can take no step; only the 支援措置担当 sees whom it concerns (no address), whether the
requester is the recorded 加害者等, and decides (audited); a refused hold allows only 却下."""

import uuid
from datetime import date

import pytest
from django.db import connection
from django.urls import reverse

from madoguchi.applications import services
from madoguchi.applications.models import ProtectionHold, Status, Submission
from madoguchi.casework import services as casework
from madoguchi.casework.models import Decision
from madoguchi.catalog.loader import catalog_for
from madoguchi.core.actors import Actor
from madoguchi.core.models import AuditEvent, Department, Role, StaffMembership
from madoguchi.identity.emailcode import issue_api_token
from madoguchi.register import protection
from madoguchi.register.keys import kana_keys
from madoguchi.register.models import Household, Resident

pytestmark = pytest.mark.django_db

CERTIFICATE = "residence-certificate-copy"
ADDRESS = "デモ市保護町7丁目8番9号"


def _person(city, household, relationship, name, kana, born, code):
    whole, surname, given = kana_keys(kana)
    return Resident.objects.create(
        municipality=city, code=code, household=household, relationship=relationship, name=name,
        kana=kana, birth_date=born, gender="2", address=ADDRESS, postal_code="9990002",
        settled_on=date(2021, 4, 1), became_resident_on=date(2021, 4, 1), latest_reason="転入",
        kana_key=whole, surname_key=surname, given_key=given)


@pytest.fixture
def protected(city):
    household = Household.objects.create(municipality=city, number="820001")
    person = _person(city, household, "世帯主", "保田\u3000静香", "ヤスダ　シズカ", date(1986, 9, 9), "82000000001")
    protection.mark(city, Actor.system(), person, reference="R8-042",
                    against={"name": "加賀\u3000次郎", "kana": "カガ　ジロウ", "birth_date": "1979-01-01"})
    return person


@pytest.fixture
def decider(city, django_user_model):
    """A 支援措置担当 in 市民課 (also a clerk there, as the demo city's)."""
    user = django_user_model.objects.create_user("hold-decider", password="x-pass-2026")
    shimin = Department.objects.get(municipality=city, code="shimin")
    for role in (Role.CLERK, Role.SUPPORT_MEASURES):
        StaffMembership.objects.create(user=user, department=shimin, role=role)
    return user


def _held(city, protected, requester_name="加賀\u3000次郎", requester_kana="カガ　ジロウ",
          requester_birth_date="1979-01-01") -> Submission:
    """A visitor at the counter asks for her certificate, filed in her name by a 代理人."""
    procedure = catalog_for("demo")[CERTIFICATE]
    answers = {"requester_name": requester_name, "requester_kana": requester_kana,
               "requester_birth_date": requester_birth_date, "scope": "partial", "copies": 1,
               "persons": [{"name": protected.name, "kana": protected.kana,
                            "birth_date": protected.birth_date.isoformat()}],
               "purpose": "pension", "delivery": "counter"}
    case = services.file_at_counter(protected, procedure, procedure.current_form.version, answers, {},
                                    Actor.system(), visit_ref=uuid.uuid4(), in_person=False)
    assert ProtectionHold.objects.get(submission=case).pending
    return case


def _page(client, user, case) -> str:
    client.force_login(user)
    response = client.get(reverse("casework:case", args=[case.public_id]))
    assert response.status_code == 200
    return response.content.decode()


def _decide(client, user, case, decision, note="本人の委任状を確認した"):
    client.force_login(user)
    return client.post(reverse("casework:action", args=[case.public_id, "protection-hold"]),
                       {"decision": decision, "note": note})


def test_every_clerk_sees_the_panel_but_not_whom_or_the_form(client, city, staff, protected):
    case = _held(city, protected)
    page = _page(client, staff["shimin-tanto"], case)
    assert 'id="protection-hold"' in page and 'data-state="pending"' in page
    assert 'id="protection-hold-form"' not in page and 'id="protection-hold-people"' not in page
    assert 'id="protection-hold-against"' not in page
    assert reverse("casework:action", args=[case.public_id, "accept"]) not in page
    assert 'id="return-form"' not in page


def test_the_decider_sees_whom_and_the_match_never_the_address(client, city, decider, protected):
    case = _held(city, protected)
    page = _page(client, decider, case)
    assert 'id="protection-hold-form"' in page
    assert f'data-resident="{protected.pk}" data-matches-against="true"' in page
    assert 'id="protection-hold-against" data-matches-against="true"' in page
    panel = page[page.index('id="protection-hold"'):page.index("</section>", page.index('id="protection-hold"'))]
    assert "保護町" not in panel and "7丁目" not in panel


def test_a_requester_other_than_the_recorded_one_does_not_match(client, city, decider, protected):
    case = _held(city, protected, "別人\u3000三郎", "ベツジン　サブロウ", "1990-02-02")
    page = _page(client, decider, case)
    assert 'id="protection-hold-against" data-matches-against="false"' in page


def test_deciding_needs_the_role(client, city, staff, protected):
    case = _held(city, protected)
    for name in ("shimin-tanto", "shimin-kacho"):
        assert _decide(client, staff[name], case, "allow").status_code == 403
    assert ProtectionHold.objects.get(submission=case).pending
    assert not AuditEvent.objects.filter(action="protection_hold_decided").exists()


def test_a_decision_is_audited_with_ids_only_and_its_note_encrypted(client, city, decider, protected):
    case = _held(city, protected)
    response = _decide(client, decider, case, "allow", "委任状と代理人の身分証を確認した（保田さん本人に電話で確認）")
    assert response.status_code == 302
    hold = ProtectionHold.objects.get(submission=case)
    assert hold.state == ProtectionHold.State.ALLOWED and hold.decided_by == f"staff:{decider.pk}"
    event = AuditEvent.objects.get(action="protection_hold_decided", target_id=str(case.public_id))
    assert event.actor_ref == f"staff:{decider.pk}"
    assert event.detail == {"hold": hold.pk, "state": "allowed", "protected": [protected.pk]}
    assert hold.note.startswith("委任状")
    with connection.cursor() as cursor:
        cursor.execute("SELECT note FROM applications_protectionhold WHERE id = %s", [hold.pk])
        raw = bytes(cursor.fetchone()[0])
    assert raw and "委任状".encode() not in raw and "保田".encode() not in raw
    for event in AuditEvent.objects.filter(target_id=str(case.public_id)):
        assert "保田" not in str(event.detail) and "加賀" not in str(event.detail)
    # Decided once: a second decision is refused and changes nothing.
    _decide(client, decider, case, "refuse")
    assert ProtectionHold.objects.get(submission=case).state == ProtectionHold.State.ALLOWED


def test_a_decision_needs_its_choice_and_note(client, city, decider, protected):
    case = _held(city, protected)
    _decide(client, decider, case, "allow", note=" ")
    _decide(client, decider, case, "maybe")
    assert ProtectionHold.objects.get(submission=case).pending


def test_once_allowed_the_case_goes_on_as_usual(client, city, decider, staff, protected):
    case = _held(city, protected)
    _decide(client, decider, case, "allow")
    clerk = staff["shimin-tanto"]
    casework.accept(case, clerk, Actor.staff(clerk))
    case.refresh_from_db()
    assert case.status == Status.ACCEPTED


def test_a_refused_hold_allows_only_a_rejection(client, city, decider, staff, protected):
    case = _held(city, protected)
    _decide(client, decider, case, "refuse", "申出者本人に確認したところ、請求を委任していない")
    clerk, approver = staff["shimin-tanto"], staff["shimin-kacho"]
    casework.accept(case, clerk, Actor.staff(clerk))
    with pytest.raises(casework.CaseActionError) as refused:
        casework.propose_decision(case, clerk, Actor.staff(clerk), "approve", "")
    assert refused.value.code == "protection-hold-refused"
    # A 承認 proposed before the refusal cannot be approved either.
    ProtectionHold.objects.filter(submission=case).update(state=ProtectionHold.State.ALLOWED)
    casework.propose_decision(case, clerk, Actor.staff(clerk), "approve", "")
    ProtectionHold.objects.filter(submission=case).update(state=ProtectionHold.State.REFUSED)
    with pytest.raises(casework.CaseActionError) as refused:
        casework.approve(case, approver, Actor.staff(approver))
    assert refused.value.code == "protection-hold-refused"
    case.refresh_from_db()
    assert case.status == Status.PENDING_APPROVAL
    assert case.decisions.get().state == Decision.State.PENDING
    casework.send_back(case, approver, Actor.staff(approver), "却下で起案しなおしてください")
    casework.propose_decision(case, clerk, Actor.staff(clerk), "reject", "請求の要件を満たしていないため")
    casework.approve(case, approver, Actor.staff(approver))
    case.refresh_from_db()
    assert case.status == Status.REJECTED


def test_a_refused_step_says_why_on_the_page(client, city, staff, protected):
    case = _held(city, protected)
    client.force_login(staff["shimin-tanto"])
    response = client.post(reverse("casework:action", args=[case.public_id, "accept"]), follow=True)
    assert "refused-protection-hold-pending" in response.content.decode()
    case.refresh_from_db()
    assert case.status == Status.SUBMITTED


def test_the_queue_tags_held_cases(client, city, staff, protected):
    case = _held(city, protected)
    client.force_login(staff["shimin-tanto"])
    page = client.get(reverse("casework:queue")).content.decode()
    assert f'<span class="tag protected" data-held="{case.receipt_number}">' in page


def test_the_staff_api_is_refused_while_held(client, city, staff, protected):
    case = _held(city, protected)
    token = issue_api_token(city, staff_user=staff["shimin-tanto"])
    response = client.post(f"/api/staff/cases/{case.public_id}/actions/accept", {},
                           content_type="application/json", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 409
    case.refresh_from_db()
    assert case.status == Status.SUBMITTED


def test_the_decision_shows_on_the_case_its_note_to_the_role_only(client, city, decider, staff, protected):
    case = _held(city, protected)
    _decide(client, decider, case, "refuse", "申出者本人に確認した")
    page = _page(client, decider, case)
    assert 'id="protection-hold"' in page and 'data-state="refused"' in page
    assert "申出者本人に確認した" in page and 'id="protection-hold-form"' not in page
    page = _page(client, staff["shimin-tanto"], case)
    assert 'data-state="refused"' in page and "申出者本人に確認した" not in page
    client.force_login(staff["shimin-tanto"])
    assert 'data-held=' not in client.get(reverse("casework:queue")).content.decode()
