"""The 個人番号 on a form: checked, encrypted at rest, masked, revealed only on purpose."""

import logging

import pytest
from django.db import connection
from django.urls import reverse

from madoguchi.applications.models import Draft, SubmissionVersion
from madoguchi.core.models import AuditEvent

from support import submit_via_web

pytestmark = pytest.mark.django_db
NUMBER = "123456789018"


def _claimant_step(client):
    client.post(reverse("applications:start", args=["child-allowance-claim"]))
    draft = Draft.objects.latest("id")
    return reverse("applications:step", args=[draft.public_id, 0])


@pytest.mark.parametrize("typed, message", [
    ("12345678901", "12桁の数字"),
    ("123456789019", "個人番号が正しくありません"),
])
def test_a_wrong_number_is_refused_at_the_field(resident_client, typed, message):
    response = resident_client.post(_claimant_step(resident_client),
                                    {"_action": "next", "claimant_my_number": typed})
    assert message in response.content.decode()


def test_stored_encrypted_masked_for_staff_and_revealed_with_a_record(
        resident_client, staff, client, caplog):
    caplog.set_level(logging.DEBUG)
    submission = submit_via_web(resident_client, "child-allowance-claim")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT answers FROM {SubmissionVersion._meta.db_table}")  # noqa: S608
        assert all(NUMBER.encode() not in bytes(row[0]) for row in cursor.fetchall())
    mypage = resident_client.get(reverse("applications:submission", args=[submission.public_id]))
    assert NUMBER not in mypage.content.decode() and "9018" in mypage.content.decode()

    client.force_login(staff["kodomo-tanto"])
    case = client.get(reverse("casework:case", args=[submission.public_id])).content.decode()
    assert NUMBER not in case and "＊＊＊＊ ＊＊＊＊ 9018" in case
    revealed = client.post(reverse("casework:my_number", args=[submission.public_id]))
    assert NUMBER in revealed.content.decode()
    assert revealed["Cache-Control"] == "no-store"
    event = AuditEvent.objects.get(action="reveal_my_number")
    assert event.actor_ref == f"staff:{staff['kodomo-tanto'].pk}" and NUMBER not in str(event.detail)
    assert NUMBER not in caplog.text


def test_an_admin_without_a_casework_role_cannot_reveal(resident_client, staff, client):
    submission = submit_via_web(resident_client, "child-allowance-claim")
    client.force_login(staff["admin"])
    response = client.post(reverse("casework:my_number", args=[submission.public_id]))
    assert response.status_code == 403 and NUMBER not in response.content.decode()
    assert not AuditEvent.objects.filter(action="reveal_my_number").exists()
