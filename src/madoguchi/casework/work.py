"""A department's work on its cases: assignment (担当者), the review checklist, the 標準処理期間
due day, bulk 受付 of simple 届出.

Every change here is one audit event on the case (`assign`, `unassign`, `checklist_tick`,
`checklist_untick`; ids only), and the case page's work panel reads its history back from the
audit log (the index on the case's target), so no second history is kept beside it.

The actions lock the case's row (services._lock) like every other case action: two clerks
assigning at once, or a double click on a tick, end in one state and one event each.
"""

import uuid
from dataclasses import dataclass, field
from datetime import date

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from madoguchi.applications import processing
from madoguchi.applications.models import Status, Submission
from madoguchi.applications.workflow import FINAL
from madoguchi.casework.models import ChecklistTick
from madoguchi.catalog.schema import Kind
from madoguchi.catalog.selectors import procedure_of_record
from madoguchi.core import audit
from madoguchi.core.actors import Actor
from madoguchi.core.models import AuditEvent
from madoguchi.core.roles import departments_of, in_force, memberships

WORK_EVENTS = ("assign", "unassign", "checklist_tick", "checklist_untick")
BULK_MAX = 100  # cases one bulk 受付 may name: four pages of the queue


def _services():
    """casework.services imports this module for its ACTIONS; it is read at call time."""
    from madoguchi.casework import services

    return services


# The due day ------------------------------------------------------------------------------

# Today in the city's time zone (Asia/Tokyo), whatever zone a request activated: a case turns
# overdue at midnight in Japan. The day the due day is counted from (applications/processing.py).
today = processing.today


def is_overdue(case: Submission, on: date | None = None) -> bool:
    """Past its due day (the due day itself is still in time) and not decided, withdrawn or
    rejected. A case without a due day (its procedure states no period, or it was filed
    before due days were kept) is never overdue."""
    return case.due_on is not None and case.status not in FINAL and case.due_on < (on or today())


# Assignment (担当者) ------------------------------------------------------------------------

def members(department) -> list:
    """Who a case of this department may be assigned to: its active staff with a role in
    force there, by name."""
    return list(get_user_model().objects.filter(
        in_force("memberships__"), memberships__department=department, is_active=True,
    ).distinct().order_by("username"))


def _assignee_id(value) -> int:
    """A user's id as the form or the API sends it; anything else (or an id no key column can
    hold, which PostgreSQL would refuse with an error) is the same plain refusal."""
    text = str(value if value is not None else "").strip()
    if not (text.isascii() and text.isdecimal() and len(text) <= 10) or not 0 < int(text) < 2**31:
        raise _services().CaseActionError(_("担当者を選んでください。"), "assignee")
    return int(text)


def _open(case: Submission) -> None:
    if case.status in FINAL:
        raise _services().CaseActionError(_("終了した案件は変更できません。"), "closed")


@transaction.atomic
def assign(case: Submission, user, actor: Actor, assignee) -> None:
    """Assign (or re-assign) the case to a member of its department: the user themselves
    (「自分が担当する」) or another. Refused for anyone who is not an active member of the case's
    department; assigning the one already assigned changes nothing and records nothing."""
    services = _services()
    case = services._lock(case)
    services._require_member(user, case)
    _open(case)
    target = _assignee_id(assignee)
    if not memberships().filter(user_id=target, user__is_active=True,
                                department=case.department).exists():
        raise services.CaseActionError(_("担当者には、この案件の担当課の職員を選んでください。"),
                                       "not-member")
    if case.assignee_id == target:
        return
    previous = case.assignee_id
    case.assignee_id, case.assigned_at = target, timezone.now()
    case.save(update_fields=["assignee", "assigned_at", "updated_at"])
    audit.record(case.municipality, actor, "assign", "submission", case.public_id,
                 subject_ref=case.subject_ref, assignee=target, previous=previous)


@transaction.atomic
def unassign(case: Submission, user, actor: Actor) -> None:
    services = _services()
    case = services._lock(case)
    services._require_member(user, case)
    if case.assignee_id is None:
        return
    previous = case.assignee_id
    case.assignee_id, case.assigned_at = None, None
    case.save(update_fields=["assignee", "assigned_at", "updated_at"])
    audit.record(case.municipality, actor, "unassign", "submission", case.public_id,
                 subject_ref=case.subject_ref, previous=previous)


# The review checklist -----------------------------------------------------------------------

def unticked_required(case, procedure) -> list[str]:
    """The labels of the procedure's required checklist items not ticked on this case, in the
    file's order; empty when the checklist allows a decision. A proposal is refused while any
    is left (casework/decisions.py asks before proposing), so the labels are what the refusal
    names. Items ticked under an id the file no longer has do not count."""
    required = [item for item in procedure.checklist if item.required]
    if not required:
        return []
    ticked = set(ChecklistTick.objects.filter(submission=case).values_list("item", flat=True))
    return [item.label for item in required if item.id not in ticked]


def _checklist_item(case: Submission, item_id) -> str:
    procedure = procedure_of_record(case.municipality, case.procedure_code, language="ja")
    item_id = str(item_id or "")
    if procedure is None or item_id not in {item.id for item in procedure.checklist}:
        raise _services().CaseActionError(_("確認項目が見つかりません。"), "checklist-item")
    return item_id


@transaction.atomic
def tick(case: Submission, user, actor: Actor, item_id) -> None:
    """Tick one item of the procedure's checklist: who and when are kept with the case. A
    second tick of a ticked item changes nothing (the first one's who and when stay)."""
    services = _services()
    case = services._lock(case)
    services._require_member(user, case)
    _open(case)
    item = _checklist_item(case, item_id)
    if ChecklistTick.objects.filter(submission=case, item=item).exists():
        return
    try:
        with transaction.atomic():
            ChecklistTick.objects.create(submission=case, item=item, ticked_by=user)
    except IntegrityError:  # ticked at the same moment elsewhere (the row lock makes it rare)
        return
    audit.record(case.municipality, actor, "checklist_tick", "submission", case.public_id,
                 subject_ref=case.subject_ref, item=item)


@transaction.atomic
def untick(case: Submission, user, actor: Actor, item_id) -> None:
    services = _services()
    case = services._lock(case)
    services._require_member(user, case)
    _open(case)
    item = _checklist_item(case, item_id)
    deleted, _rows = ChecklistTick.objects.filter(submission=case, item=item).delete()
    if deleted:
        audit.record(case.municipality, actor, "checklist_untick", "submission", case.public_id,
                     subject_ref=case.subject_ref, item=item)


# Case actions this module adds, by name: (case, user, actor, fields) → None (services.perform).
ACTIONS: dict = {
    "take": lambda case, user, actor, f: assign(case, user, actor, user.pk),
    "assign": lambda case, user, actor, f: assign(case, user, actor, f.get("assignee", "")),
    "unassign": lambda case, user, actor, f: unassign(case, user, actor),
    "tick": lambda case, user, actor, f: tick(case, user, actor, f.get("item", "")),
    "untick": lambda case, user, actor, f: untick(case, user, actor, f.get("item", "")),
}


# Bulk 受付 ----------------------------------------------------------------------------------

def bulk_acceptable(procedure, case: Submission) -> bool:
    """Whether the queue offers the case for bulk 受付: a 届出 (notification) waiting for 受付.
    An application (申請) is read and accepted one by one."""
    return (procedure is not None and procedure.kind == Kind.NOTIFICATION
            and case.status == Status.SUBMITTED)


@dataclass
class BulkResult:
    accepted: list[str] = field(default_factory=list)  # receipt numbers
    already: list[str] = field(default_factory=list)  # accepted before (a double submit)
    refused: list[tuple[str, str]] = field(default_factory=list)  # (receipt number, why)
    too_many: bool = False


def bulk_accept(user, actor: Actor, municipality, public_ids) -> BulkResult:
    """受付 of several 届出 in one go, each through services.accept (so each is locked, audited
    and its hand-off queued) in its own transaction: a case that can no longer be accepted
    (withdrawn, returned, an application, another department's) is reported and the others go
    through. A case already accepted is reported as such and not accepted twice, so a double
    submit of the same selection changes nothing the second time. Ids that are not ids, or
    name no case of the user's departments, are reported without a receipt number (the same
    answer whether the case exists or not)."""
    result = BulkResult()
    ids = []
    for value in public_ids:
        try:
            ids.append(uuid.UUID(str(value)))
        except ValueError:
            continue
    ids = list(dict.fromkeys(ids))
    if len(ids) > BULK_MAX:
        result.too_many = True
        return result
    cases = {c.public_id: c for c in Submission.objects.filter(
        municipality=municipality, public_id__in=ids,
        department__in=departments_of(user, municipality)).select_related("department")}
    services = _services()
    for public_id in ids:
        case = cases.get(public_id)
        if case is None:
            result.refused.append(("", _("案件が見つかりません。")))
            continue
        procedure = procedure_of_record(municipality, case.procedure_code, language="ja")
        if procedure is None or procedure.kind != Kind.NOTIFICATION:
            result.refused.append((case.receipt_number, _("申請は一件ずつ審査して受け付けてください。")))
            continue
        try:
            services.accept(case, user, actor)
        except services.CaseActionError as exc:
            if Submission.objects.filter(pk=case.pk, status=Status.ACCEPTED).exists():
                result.already.append(case.receipt_number)
            else:
                result.refused.append((case.receipt_number, str(exc)))
        else:
            result.accepted.append(case.receipt_number)
    return result


# The case page's panel ----------------------------------------------------------------------

def history(case: Submission) -> list[dict]:
    """Assignment and checklist changes on the case, oldest first, from the audit log."""
    events = list(AuditEvent.objects.filter(
        municipality_id=case.municipality_id, target_type="submission",
        target_id=str(case.public_id), action__in=WORK_EVENTS).order_by("id"))
    ids = {e.detail.get(k) for e in events for k in ("assignee", "previous")}
    ids |= {Actor(kind=e.actor_kind, ref=e.actor_ref).staff_user_id for e in events}
    names = {u.pk: display_name(u) for u in get_user_model().objects.filter(pk__in=[i for i in ids if i])}
    return [{"at": e.at, "action": e.action,
             "by": names.get(Actor(kind=e.actor_kind, ref=e.actor_ref).staff_user_id, ""),
             "assignee": names.get(e.detail.get("assignee"), ""),
             "previous": names.get(e.detail.get("previous"), ""),
             "item": e.detail.get("item", "")} for e in events]


def display_name(user) -> str:
    """How a staff member is named on the case page and the notice's 決裁 lines."""
    return user.get_full_name() or user.get_username()


def case_context(request, case, procedure) -> dict:
    """The work panel of a case page (assignee, due day, checklist, their history)."""
    ticks = {t.item: t for t in ChecklistTick.objects.filter(submission=case).select_related("ticked_by")}
    labels = {item.id: item.label for item in procedure.checklist}
    events = history(case)
    for event in events:
        event["item_label"] = labels.get(event["item"], event["item"])
    return {
        "assignee": case.assignee, "assigned_at": case.assigned_at,
        "members": members(case.department), "is_me": case.assignee_id == request.user.pk,
        "due_on": case.due_on, "overdue": is_overdue(case),
        "closed": case.status in FINAL,
        "checklist": [{"item": item, "tick": ticks.get(item.id),
                       "by": display_name(ticks[item.id].ticked_by) if item.id in ticks else ""}
                      for item in procedure.checklist],
        "unticked": [item.label for item in procedure.checklist
                     if item.required and item.id not in ticks],  # as unticked_required, no query
        "history": events,
    }
