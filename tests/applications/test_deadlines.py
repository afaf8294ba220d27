"""My Page's 「期限のある手続」 and the reminder mails before a last day.

What is due comes from open drafts (`due_on`) and from the 手続ナビ plans the resident's drafts
were started from; reminders go through the outbox once per thing and threshold.
"""

from datetime import date, timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from madoguchi.applications import deadlines, services
from madoguchi.applications.models import Draft, Status, Submission
from madoguchi.catalog.selectors import get_procedure
from madoguchi.core.models import Department
from madoguchi.navigator import services as navigator_services
from madoguchi.navigator.rules import NO, QuestionType
from madoguchi.notify.models import OutboxMessage

from support import at_once

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def answered_plan(municipality, event: str, day: date | None):
    """Every question answered (the event's day as given, 「いいえ」, or the first option); with
    day None the date question is left out of the answers afterwards."""
    plan = navigator_services.start_plan(municipality, event)
    while (question := navigator_services.next_question(plan)) is not None:
        if question.type == QuestionType.DATE:
            value = (day or TODAY).isoformat()
        elif question.type == QuestionType.YESNO:
            value = NO
        else:
            value = question.options[0].value
        navigator_services.answer(plan, question.id, [value])
    if day is None:
        plan.answers.pop(navigator_services.event_of(plan).day)
        plan.save()
    return plan


def draft_from(resident, code: str, plan=None, due_on: date | None = None) -> Draft:
    draft = services.start_draft(resident, get_procedure(resident.municipality, code))
    draft.navigator_plan, draft.due_on = plan, due_on
    draft.save()
    return draft


def plan_deadline(plan, code: str) -> date:
    items = navigator_services.result_for(plan, plan.municipality).items
    return next(i.deadline for i in items if i.code == code)


def test_a_draft_and_its_plans_other_procedures_soonest_first(resident):
    plan = answered_plan(resident.municipality, "birth", TODAY - timedelta(days=3))
    allowance_due = plan_deadline(plan, "child-allowance-claim")
    draft = draft_from(resident, "child-allowance-claim", plan, allowance_due)
    found = deadlines.due_for(resident)
    codes = [d.code for d in found]
    assert codes.count("child-allowance-claim") == 1  # the draft, not the plan's item again
    assert "birth-registration" in codes
    dated = [d.due_on for d in found if d.due_on]
    assert dated == sorted(dated)
    assert [d.due_on for d in found[len(dated):]] == [None] * (len(found) - len(dated))
    allowance = next(d for d in found if d.code == "child-allowance-claim")
    assert allowance.draft == draft and allowance.days_left == (allowance_due - TODAY).days
    registration = next(d for d in found if d.code == "birth-registration")
    assert registration.plan == plan and registration.draft is None


def test_what_was_applied_for_since_the_plan_is_left_out(resident, city):
    plan = answered_plan(resident.municipality, "birth", TODAY - timedelta(days=3))
    draft_from(resident, "child-allowance-claim", plan)
    before = {d.code for d in deadlines.due_for(resident)}
    assert "birth-registration" in before
    Submission.objects.create(
        municipality=city, receipt_number="AAAA-AAAA", procedure_code="birth-registration",
        form_version=1, department=Department.objects.filter(municipality=city).first(),
        account=resident, actor_kind="resident", actor_ref=resident.ref, status=Status.SUBMITTED)
    after = {d.code for d in deadlines.due_for(resident)}
    assert "birth-registration" not in after and after < before


def test_a_plan_without_its_day_gives_no_dates(resident):
    plan = answered_plan(resident.municipality, "birth", None)
    draft_from(resident, "child-allowance-claim", plan)
    found = deadlines.due_for(resident)
    assert found and all(d.due_on is None and not d.overdue for d in found)


def test_a_last_day_passed_is_marked_overdue(resident):
    draft_from(resident, "child-allowance-claim", due_on=TODAY - timedelta(days=2))
    (due,) = deadlines.due_for(resident)
    assert due.overdue and due.days_left == -2


def test_my_page_shows_each_due_date_with_its_state(resident_client, resident):
    late = draft_from(resident, "child-allowance-claim", due_on=TODAY - timedelta(days=1))
    soon = draft_from(resident, "dog-registration-change", due_on=TODAY + timedelta(days=5))
    page = resident_client.get(reverse("applications:mypage"))
    assert page.status_code == 200
    shown = page.context["deadlines"]
    assert [d.draft for d in shown] == [late, soon]
    html = page.content.decode()
    assert f'data-due-on="{late.due_on.isoformat()}" data-state="overdue"' in html
    assert f'data-due-on="{soon.due_on.isoformat()}" data-state="open"' in html
    assert reverse("applications:resume", args=[soon.public_id]) in html


def test_a_plan_item_not_started_links_to_its_start_from_the_plan(resident_client, resident):
    plan = answered_plan(resident.municipality, "birth", TODAY - timedelta(days=1))
    draft_from(resident, "child-allowance-claim", plan)
    startable = [d for d in deadlines.due_for(resident) if d.start_url]
    assert startable, "the birth plan has procedures a resident can start online"
    html = resident_client.get(reverse("applications:mypage")).content.decode()
    assert f"{reverse('navigator:result', args=[plan.token])}?apply={startable[0].code}" in html


@pytest.mark.parametrize(("days_left", "owed"), [
    (5, None), (4, None), (3, 3), (2, 3), (1, 1), (0, 1), (-1, None)])
def test_the_reminder_owed_is_the_nearest_threshold(days_left, owed):
    assert deadlines.threshold_for(days_left, (3, 1)) == owed


def test_reminders_go_once_per_threshold_and_not_after_the_last_day(resident, settings):
    settings.MADOGUCHI_DEADLINE_REMINDER_DAYS = (3, 1)
    last_day = TODAY + timedelta(days=10)
    draft_from(resident, "child-allowance-claim", due_on=last_day)
    runs = (5, 3, 3, 2, 1, 0, -1)  # days before the last day; 3 twice: a rerun the same day
    sent = [deadlines.send_reminders(today=last_day - timedelta(days=n)) for n in runs]
    assert sent == [0, 1, 0, 0, 1, 0, 0]
    mails = OutboxMessage.objects.filter(dedupe_key__startswith="deadline:")
    assert mails.count() == 2
    assert all(m.recipient == resident.email for m in mails)
    assert all("/mypage/" in m.body and "児童手当" in m.subject for m in mails)
    assert all(last_day.isoformat() not in m.body for m in mails)  # the day as a person reads it


def test_the_command_is_safe_to_run_again(resident):
    draft_from(resident, "child-allowance-claim", due_on=TODAY + timedelta(days=1))
    call_command("send_deadline_reminders")
    call_command("send_deadline_reminders")
    assert OutboxMessage.objects.filter(dedupe_key__startswith="deadline:").count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql",
                    reason="two runs racing: run with DATABASE_URL=postgres://… (SQLite serialises writes)")
def test_two_runs_at_once_queue_one_mail(resident):
    draft_from(resident, "child-allowance-claim", due_on=TODAY + timedelta(days=3))
    outcomes = at_once(deadlines.send_reminders, deadlines.send_reminders)
    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    assert OutboxMessage.objects.filter(dedupe_key__startswith="deadline:").count() == 1
