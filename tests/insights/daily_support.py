"""Hand-built event rows at chosen times, for the daily job's and the figures' tests.

Rows are made directly (not through the services) so that each test states exactly what
happened and when; timestamps set by `auto_now_add` are moved with an update afterwards."""

import itertools
from datetime import date, datetime, time, timedelta

from django.utils import timezone

from madoguchi.applications.models import Draft, Submission, SubmissionEvent, SubmissionVersion
from madoguchi.core.models import ActorKind, Department
from madoguchi.identity.models import ResidentAccount
from madoguchi.payments.models import Attempt, Charge

_numbers = itertools.count(1)
DAY = date(2026, 10, 14)  # a Wednesday in fiscal year 2026


def at(day: date, hour: int, minute: int = 0, second: int = 0) -> datetime:
    """An instant of a city day (Asia/Tokyo)."""
    return datetime.combine(day, time(hour, minute, second), timezone.get_default_timezone())


def department(city, code: str) -> Department:
    return Department.objects.get(municipality=city, code=code)


def account(city) -> ResidentAccount:
    return ResidentAccount.objects.create(municipality=city, email=f"r{next(_numbers)}@example.jp")


def submission(city, dept: Department, code: str, when: datetime, channel: str = "online",
               status: str = "submitted", signed: bool = False, owner=None) -> Submission:
    n = next(_numbers)
    owner = owner or account(city)
    made = Submission.objects.create(
        municipality=city, receipt_number=f"T{n:08d}", procedure_code=code, form_version=1,
        department=dept, account=owner, channel=channel, actor_kind=ActorKind.RESIDENT,
        actor_ref=f"account:{owner.pk}", status=status)
    Submission.objects.filter(pk=made.pk).update(submitted_at=when)
    version = SubmissionVersion.objects.create(submission=made, number=1, form_version=1, answers=b"x",
                                               actor_kind=ActorKind.RESIDENT, actor_ref="r")
    if signed:
        from madoguchi.applications.models import SubmissionSignature
        SubmissionSignature.objects.create(version=version, certificate=b"c", signature="s", digest="d",
                                           serial="1", issuer="i", verified_at=when)
    made.refresh_from_db()
    return made


def event(made: Submission, to_status: str, when: datetime, reason: str = "") -> SubmissionEvent:
    row = SubmissionEvent.objects.create(submission=made, from_status="accepted", to_status=to_status,
                                         actor_kind=ActorKind.STAFF, actor_ref="staff:1", reason=reason)
    SubmissionEvent.objects.filter(pk=row.pk).update(at=when)
    return row


def draft(city, code: str, started: datetime, step: int = 0, submitted: datetime | None = None,
          plan=None, correcting=None) -> Draft:
    row = Draft.objects.create(municipality=city, account=account(city), procedure_code=code, form_version=1,
                               answers=b"x", step=step, navigator_plan=plan, correcting=correcting,
                               submitted_at=submitted)
    Draft.objects.filter(pk=row.pk).update(created_at=started)
    return row


def charge(made: Submission, amount: int, created: datetime, paid: datetime | None = None,
           kind: str = "at_submit", provider: str = "stripe") -> Charge:
    row = Charge.objects.create(municipality=made.municipality, submission=made, kind=kind, amount_yen=amount)
    Charge.objects.filter(pk=row.pk).update(created_at=created)
    if paid is not None:
        attempt = Attempt.objects.create(charge=row, provider=provider, method="card",
                                         idempotency_key=f"k{next(_numbers)}", state="succeeded",
                                         amount_yen=amount)
        Charge.objects.filter(pk=row.pk).update(status=Charge.Status.PAID, paid_at=paid, paid_attempt=attempt)
    return row


def days(first: date, count: int) -> list[date]:
    return [first + timedelta(n) for n in range(count)]


def counters(city):
    """The demo city's counter groups (the queue's demo loader), and one group's first purpose."""
    from django.core.management import call_command

    from madoguchi.queueing.models import VisitPurpose
    call_command("load_queue_demo", "--history-weeks", "0", stdout=open("/dev/null", "w"))  # noqa: SIM115
    return VisitPurpose.objects.select_related("group").filter(group__municipality=city).order_by("id").first()


def ticket(purpose, issued: datetime, called: datetime | None = None, started: datetime | None = None,
           finished: datetime | None = None, transferred_from=None):
    from madoguchi.queueing.models import Ticket
    n = next(_numbers)
    return Ticket.objects.create(
        municipality=purpose.group.municipality, group=purpose.group, purpose=purpose,
        service_date=timezone.localdate(issued), number=n, form_token=f"f{n}", issued_at=issued,
        called_at=called, started_at=started, finished_at=finished, transferred_from=transferred_from,
        status="done" if finished else ("called" if called else "issued"))


def visit(city, clerk, called: datetime, identified_by: str = "card", prefilled: int = 0, typed: int = 0,
          written: int = 0, seconds: int | None = None, plan=None):
    from madoguchi.counter.models import CounterVisit
    row = CounterVisit.objects.create(municipality=city, clerk=clerk, identified_by=identified_by, plan=plan,
                                      fields_prefilled=prefilled, fields_typed_by_clerk=typed,
                                      fields_written_by_visitor=written, duration_seconds=seconds)
    CounterVisit.objects.filter(pk=row.pk).update(called_at=called)
    return row


def answer(city, day: date, rating: int, touchpoint: str = "online", code: str = "", dept=None,
           comment: str = ""):
    from madoguchi.feedback.models import SurveyAnswer
    return SurveyAnswer.objects.create(municipality=city, touchpoint=touchpoint, procedure_code=code,
                                       department=dept, rating=rating, answered_on=day, comment=comment)


def notice(city, when: datetime, channel: str = "email", status: str = "sent", recipient: str = ""):
    from madoguchi.notify.models import OutboxMessage
    n = next(_numbers)
    row = OutboxMessage.objects.create(municipality=city, channel=channel, subject="s", dedupe_key=f"d{n}",
                                       status=status, recipient=recipient or None, person=f"resident:{n}")
    OutboxMessage.objects.filter(pk=row.pk).update(created_at=when)
    return row


def plan(city, event: str, when: datetime):
    from madoguchi.navigator.models import NavigatorPlan
    row = NavigatorPlan.objects.create(municipality=city, event=event)
    NavigatorPlan.objects.filter(pk=row.pk).update(created_at=when, updated_at=when)
    row.refresh_from_db()
    return row
