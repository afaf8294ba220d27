"""A 差戻し carries its category (ReturnReason): required on the staff page and in the API, kept
on the case's event, which is what the city's figures count (the note is never counted)."""

import re

import pytest
from django.urls import reverse

from madoguchi.applications.models import ReturnReason, Status, SubmissionEvent
from madoguchi.casework import services as casework
from madoguchi.core.actors import Actor
from madoguchi.core.models import AuditEvent
from madoguchi.identity.emailcode import issue_api_token

from support import submit_via_web

pytestmark = pytest.mark.django_db

CODE = "dog-registration-change"
NOTE = "鑑札の番号が違うようです。確認して修正してください。"  # ja-only: test data


@pytest.fixture
def submitted(resident_client):
    return submit_via_web(resident_client, CODE, {"dog_name": "ポチ"})  # ja-only: test data


def _return_on_page(client, user, case, **data):
    client.force_login(user)
    return client.post(reverse("casework:action", args=[case.public_id, "return"]), data)


def _returned_events(case):
    return SubmissionEvent.objects.filter(submission=case, to_status=Status.RETURNED)


def test_the_return_form_offers_every_category_and_requires_one(client, staff, submitted):
    client.force_login(staff["kankyo-tanto"])
    page = client.get(reverse("casework:case", args=[submitted.public_id])).content.decode()
    select = re.search(r'<select id="return-reason" name="return_reason" required[^>]*>(.*?)</select>', page, re.S)
    assert select, "the return form has a required category select"
    values = re.findall(r'<option value="([^"]*)"', select.group(1))
    assert values == ["", *ReturnReason.values]


@pytest.mark.parametrize("reason", ["", "lost-form", "MISSING"])
def test_a_missing_or_unknown_category_is_refused_at_its_field(client, staff, submitted, reason):
    response = _return_on_page(client, staff["kankyo-tanto"], submitted, message=NOTE, return_reason=reason)
    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="return-reason-error"' in page
    assert re.search(r'<select id="return-reason"[^>]*aria-invalid="true"[^>]*aria-describedby="return-reason-error"', page)
    assert 'id="return-message-error"' not in page
    assert "refused-return-category" in page
    assert NOTE in page  # what the clerk wrote is kept in the textarea
    submitted.refresh_from_db()
    assert submitted.status == Status.SUBMITTED
    assert not _returned_events(submitted).exists()


def test_a_missing_note_is_refused_at_its_field_and_the_category_kept(client, staff, submitted):
    response = _return_on_page(client, staff["kankyo-tanto"], submitted, message=" ", return_reason="identity")
    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="return-message-error"' in page and 'id="return-reason-error"' not in page
    assert '<option value="identity" selected>' in page
    submitted.refresh_from_db()
    assert submitted.status == Status.SUBMITTED


@pytest.mark.parametrize("reason", ReturnReason.values)
def test_the_category_is_stored_on_the_returned_event_and_shown(client, staff, submitted, reason):
    response = _return_on_page(client, staff["kankyo-tanto"], submitted, message=NOTE, return_reason=reason)
    assert response.status_code == 302
    submitted.refresh_from_db()
    assert submitted.status == Status.RETURNED
    event = _returned_events(submitted).get()
    assert (event.reason, event.note) == (reason, NOTE)
    assert not SubmissionEvent.objects.filter(submission=submitted).exclude(pk=event.pk).exclude(reason="").exists()
    audit = AuditEvent.objects.filter(action="return", target_id=str(submitted.public_id)).get()
    assert audit.detail.get("reason") == reason
    page = client.get(response["Location"]).content.decode()
    assert f'data-reason="{reason}"' in page


def test_the_service_refuses_without_a_category_and_changes_nothing(staff, submitted):
    clerk = staff["kankyo-tanto"]
    for reason in ("", "unknown"):
        with pytest.raises(casework.CaseActionError) as refused:
            casework.return_for_correction(submitted, clerk, Actor.staff(clerk), NOTE, reason=reason)
        assert set(refused.value.errors) == {"return_reason"}
        assert refused.value.code == "return-category"
    submitted.refresh_from_db()
    assert submitted.status == Status.SUBMITTED
    assert not _returned_events(submitted).exists()


def test_a_second_return_keeps_each_events_own_category(client, staff, resident, submitted):
    from madoguchi.applications import services as applications
    from madoguchi.catalog.loader import catalog

    clerk = staff["kankyo-tanto"]
    casework.return_for_correction(submitted, clerk, Actor.staff(clerk), NOTE, reason="attachment")
    submitted.refresh_from_db()
    draft = applications.start_correction(submitted, resident)
    applications.submit_draft(draft, catalog()[CODE], Actor.resident(resident.pk))
    submitted.refresh_from_db()
    casework.return_for_correction(submitted, clerk, Actor.staff(clerk), NOTE, reason="eligibility")
    assert list(_returned_events(submitted).order_by("id").values_list("reason", flat=True)) == \
        ["attachment", "eligibility"]


@pytest.mark.parametrize("body, fields", [
    ({"message": NOTE}, {"return_reason"}),
    ({"message": NOTE, "return_reason": "typo"}, {"return_reason"}),
    ({"message": "", "return_reason": "missing"}, {"message"}),
    ({"message": "", "return_reason": ""}, {"message", "return_reason"}),
])
def test_the_api_refuses_a_missing_or_unknown_category_naming_the_field(client, city, staff, submitted,
                                                                         body, fields):
    token = issue_api_token(city, staff_user=staff["kankyo-tanto"])
    response = client.post(f"/api/staff/cases/{submitted.public_id}/actions/return", body,
                           content_type="application/json", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 422
    assert set(response.json()["detail"]["errors"]) == fields
    submitted.refresh_from_db()
    assert submitted.status == Status.SUBMITTED


def test_the_api_returns_with_the_category(client, city, staff, submitted):
    token = issue_api_token(city, staff_user=staff["kankyo-tanto"])
    response = client.post(f"/api/staff/cases/{submitted.public_id}/actions/return",
                           {"message": NOTE, "return_reason": "attachment"},
                           content_type="application/json", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200 and response.json()["status"] == Status.RETURNED
    assert _returned_events(submitted).get().reason == "attachment"
