"""The counter's cases (窓口) hand off as the online ones do: filed as 受付待ち, they pass through
casework's 受付, which enqueues; the file says they came through the counter."""

import csv
import io
import sys
from pathlib import Path

import handoff_support
import pytest
from handoff_support import CODE, file_target

from madoguchi.applications.models import Status
from madoguchi.casework import services as casework
from madoguchi.core.actors import Actor
from madoguchi.counter import services as counter
from madoguchi.handoff import services
from madoguchi.handoff.models import Handoff, State

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "counter"))  # the counter tests' fixtures
import test_counter_filing as filing  # noqa: E402
import test_counter_services as shared  # noqa: E402

pytestmark = pytest.mark.django_db
targets = handoff_support.targets
clerk, actor, family, visit = shared.clerk, shared.actor, shared.family, shared.visit


def test_a_counter_case_hands_off_on_acceptance(visit, actor, family, staff, targets):
    targets.write(file_target())
    filing._signed_moving_in(visit, actor, family)
    [case] = [c for c in counter.file_visit(visit, actor) if c.procedure_code == CODE]
    assert case.status == Status.SUBMITTED and not Handoff.objects.filter(submission=case).exists()
    kodomo = staff["kodomo-tanto"]
    casework.accept(case, kodomo, Actor.staff(kodomo))
    assert services.deliver_pending() == 1
    handoff = Handoff.objects.get(submission=case)
    assert handoff.state == State.DELIVERED
    text = (targets.out / "jidou-teate" / CODE / f"{case.receipt_number}_accepted.csv").read_text()
    header, row = csv.reader(io.StringIO(text))
    assert dict(zip(header, row, strict=True))["channel"] == "counter"
