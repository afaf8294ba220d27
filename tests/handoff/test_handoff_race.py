"""Two transactions enqueue the same case's decision at once (two processes, a retried request):
the unique constraint leaves one hand-off row, and neither transaction fails."""

import handoff_support
import pytest
from django.db import connection, transaction
from handoff_support import accepted_case, file_target

from madoguchi.handoff import services
from madoguchi.handoff.models import Handoff

from support import at_once

targets = handoff_support.targets
DECISION = {"outcome": "approve", "notice_number": "1", "decided_at": None, "reason": "", "content": {}}


@pytest.mark.django_db(transaction=True)
def test_two_enqueues_at_once_make_one_row(resident_client, staff, targets, audit_log_flushable):
    targets.write(file_target(events=["decided"]))
    case = accepted_case(resident_client, staff)

    def enqueue():
        with transaction.atomic():
            services.enqueue(case, "decided", decision=DECISION)
        return "ok"

    # At the same moment on PostgreSQL (CI); one after the other on SQLite, whose in-memory test
    # database refuses a second writer at once ("table is locked") instead of waiting.
    calls = (enqueue, enqueue, enqueue)
    results = at_once(*calls) if connection.vendor == "postgresql" else [call() for call in calls]
    assert results == ["ok", "ok", "ok"]
    assert Handoff.objects.filter(submission=case, event="decided").count() == 1
