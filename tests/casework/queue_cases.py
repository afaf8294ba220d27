"""Making many cases quickly for the queue's tests: bulk inserts, with the submission time set
afterwards (the field stamps "now" on insert)."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Case, Value, When

from madoguchi.applications.models import Channel, Status, Submission
from madoguchi.core.models import ActorKind, Department, Municipality, Role, StaffMembership
from madoguchi.identity.models import ResidentAccount


@dataclass
class Desk:
    """A clerk of two departments, and a department of the same city they do not belong to."""

    city: Municipality
    user: object
    own: list[Department]
    other: Department


def make_desk(city, django_user_model, username="queue-clerk") -> Desk:
    user = django_user_model.objects.create_user(username, password="x-pass-2026")
    own = [Department.objects.create(municipality=city, code=f"{username}-{i}", name=f"第{i}課")
           for i in (1, 2)]
    other = Department.objects.create(municipality=city, code=f"{username}-x", name="他課")
    for department in own:
        StaffMembership.objects.create(user=user, department=department, role=Role.CLERK)
    return Desk(city, user, own, other)


def make_cases(city, rows: list[dict]) -> list[Submission]:
    """One case per row: `department` and `at` required; `status`, `procedure`, `channel`
    optional. Returns them in insertion order, with `submitted_at` as given."""
    account = ResidentAccount.objects.create(municipality=city, email=f"q{Submission.objects.count()}@example.jp")
    start = Submission.objects.count()
    cases = Submission.objects.bulk_create([
        Submission(municipality=city, receipt_number=f"Q{start + n:09d}",
                   procedure_code=row.get("procedure", "dog-registration-change"), form_version=1,
                   department=row["department"], account=account, actor_kind=ActorKind.RESIDENT,
                   actor_ref="resident:test", status=row.get("status", Status.SUBMITTED),
                   channel=row.get("channel", Channel.ONLINE))
        for n, row in enumerate(rows)], batch_size=2000)
    for chunk in range(0, len(cases), 500):
        part = list(zip(cases[chunk:chunk + 500], rows[chunk:chunk + 500], strict=True))
        Submission.objects.filter(pk__in=[c.pk for c, _ in part]).update(submitted_at=Case(
            *[When(pk=c.pk, then=Value(row["at"])) for c, row in part]))
    for case, row in zip(cases, rows, strict=True):
        case.submitted_at = row["at"]
    return cases


def in_order(cases: list[Submission]) -> list[int]:
    return [c.pk for c in sorted(cases, key=lambda c: (c.submitted_at, c.pk))]


def at(text: str) -> datetime:
    """A local (Asia/Tokyo) time written as 'YYYY-MM-DD HH:MM[:SS[.ffffff]]'."""
    from django.utils import timezone

    return datetime.fromisoformat(text).replace(tzinfo=timezone.get_default_timezone())
