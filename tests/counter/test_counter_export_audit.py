"""Every paper the counter prints out of a visit is an export: each writes an audit event (who,
which visit and resident, which papers, how many)."""

import pytest
from django.urls import reverse
from django.utils import timezone
from test_counter_pages import clerk_client, head, visit  # noqa: F401 - fixtures

from madoguchi.core.actors import Actor
from madoguchi.core.models import ActorKind, AuditEvent
from madoguchi.counter import bundle, services
from madoguchi.navigator import services as navigator

pytestmark = pytest.mark.django_db


PREFERRED = {"kind": ["from_other_city"], "household": ["alone"], "insurance": ["nhi"]}


def _bundled(visit, head):  # noqa: F811
    """A 転入 bundle for the resident: each question answered as PREFERRED says, else with
    its first option (or no, or today), so that a question added to the event does not stop it."""
    actor = Actor.staff(visit.clerk)
    services.choose(visit, actor, head.pk)
    plan = services.start_event(visit, "moving")
    while (question := navigator.next_question(plan)) is not None:
        options = [o.value for o in question.options]
        if question.type == "date":
            values = [timezone.localdate().isoformat()]
        elif options:
            values = [v for v in PREFERRED.get(question.id, []) if v in options] or options[:1]
        else:
            values = ["no"]
        assert navigator.answer(plan, question.id, values) == [], question.id
    visit.refresh_from_db()
    return bundle.build(visit, actor)


def _export(visit):  # noqa: F811
    event = AuditEvent.objects.filter(action="export", target_type="counter_visit",
                                      target_id=str(visit.public_id)).order_by("-id").first()
    assert event is not None
    assert event.actor_kind == ActorKind.STAFF and event.actor_ref == f"staff:{visit.clerk.pk}"
    return event


def test_the_summary_and_each_form_printed_is_an_audited_export(clerk_client, visit, head):  # noqa: F811
    entries = _bundled(visit, head)
    assert clerk_client.get(reverse("counter:summary_pdf", args=[visit.public_id])).status_code == 200
    event = _export(visit)
    assert event.subject_ref == head.ref
    assert event.detail["document"] == "summary" and event.detail["rows"] == len(entries)
    assert sorted(event.detail["procedures"]) == sorted(e.procedure.code for e in entries)
    entry = entries[0]
    assert clerk_client.get(reverse("counter:form_pdf", args=[visit.public_id, entry.form.pk])).status_code == 200
    event = _export(visit)
    assert (event.detail["document"], event.detail["procedures"], event.detail["rows"]) == (
        "form", [entry.procedure.code], 1)


def test_a_paper_not_printed_is_not_logged(clerk_client, visit):  # noqa: F811
    assert clerk_client.get(reverse("counter:summary_pdf", args=[visit.public_id])).status_code == 404
    assert not AuditEvent.objects.filter(action="export").exists()
