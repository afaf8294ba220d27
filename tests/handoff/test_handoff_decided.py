"""A decision hands off through casework's own approval: the file carries the outcome and the
notice number, and the decision stored with the hand-off is encrypted at rest."""

import csv
import io

import handoff_support
import pytest
from django.db import connection

from madoguchi.casework import services as casework
from madoguchi.core.actors import Actor
from madoguchi.handoff import services
from madoguchi.handoff.models import Handoff, State

from support import submit_via_web

pytestmark = pytest.mark.django_db
targets = handoff_support.targets
CODE = "dog-registration-change"


def test_a_receipt_of_a_notification_hands_off_its_decision(resident_client, staff, targets):
    targets.write(handoff_support.file_target(name="pets", procedures=[CODE], events=["decided"],
                                              directory="pets"))
    case = submit_via_web(resident_client, CODE, {"dog_name": "ポチ"})  # ja-only: test data
    clerk, approver = staff["kankyo-tanto"], staff["kankyo-kacho"]
    casework.accept(case, clerk, Actor.staff(clerk))
    casework.propose_decision(case, clerk, Actor.staff(clerk), "", "")
    assert not Handoff.objects.filter(submission=case).exists()  # this target takes decisions only
    casework.approve(case, approver, Actor.staff(approver))
    handoff = Handoff.objects.get(submission=case)
    assert handoff.event == "decided"
    assert services.deliver_pending() == 1
    handoff.refresh_from_db()
    assert handoff.state == State.DELIVERED
    path = targets.out / "pets" / CODE / f"{case.receipt_number}_decided.csv"
    [row] = list(csv.DictReader(io.StringIO(path.read_text())))
    decision = case.decisions.get(state="approved")
    assert row["decision_outcome"] == "approve"
    assert row["decision_notice_number"] == decision.notice_number
    assert row["dog_name"] == "ポチ"  # ja-only: test data

    with connection.cursor() as cursor:
        cursor.execute("SELECT decision FROM handoff_handoff WHERE id = %s", [handoff.pk])
        stored = bytes(cursor.fetchone()[0])
    assert stored.startswith(b"mk1:") and b"approve" not in stored  # a token under the city's key
