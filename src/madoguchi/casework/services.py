"""Staff actions on a case: 受付, 差戻し, decision proposal, approval (電子決裁), the notice.

Rules: only staff of the case's department act on it; a decision is proposed by one
member and approved by another who holds the approver role; the notice issues only on
approval. Every action is audited through applications.services.transition.
"""

import uuid

from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from madoguchi.applications import services as applications
from madoguchi.applications.documents import recipients_of
from madoguchi.applications.models import IssuedDocument, ReturnReason, Status, Submission
from madoguchi.applications.protection_holds import HeldForProtection, guard
from madoguchi.applications.workflow import TransitionError, action_for
from madoguchi.casework import decisions, protection, work
from madoguchi.casework.models import Decision
from madoguchi.catalog.selectors import procedure_of_record
from madoguchi.core import branding, cities, redaction
from madoguchi.core.actors import Actor
from madoguchi.core.models import Role
from madoguchi.core.pdf import NoticeData, render_notice, seal
from madoguchi.core.roles import has_role, is_member_of
from madoguchi.core.text import LINE_BREAKS, has_unreadable_characters
from madoguchi.handoff import services as handoff


class CaseActionError(Exception):
    """Shown to the staff member as is; `code` names the refusal for pages and tests (a CSS class
    `refused-<code>` on the message), whatever language the message is in."""

    def __init__(self, message, code: str = "", errors: dict[str, str] | None = None):
        super().__init__(message)
        self.code = code
        self.errors = errors or {}  # a field's id → a plain message (the decision's content)


STAFF_TEXT_MAX = 2000


def _staff_text(text: str, what: str) -> str:
    """What staff write (a 差戻し note, a decision's reason, an approver's comment), trimmed: at
    most STAFF_TEXT_MAX characters, no control characters but line breaks and tabs. It is shown
    to the resident, printed on the notice and mailed, so a NUL or an escape sequence belongs in
    none of them. The one rule for the pages and the API (which also states it in its schema)."""
    text = (text or "").strip()
    if len(text) > STAFF_TEXT_MAX:
        raise CaseActionError(_("%(what)sは%(most)s文字以内で入力してください。") % {"what": what, "most": STAFF_TEXT_MAX})
    if has_unreadable_characters(text, LINE_BREAKS):
        raise CaseActionError(_("%(what)sに使えない文字（制御文字）が含まれています。") % {"what": what})
    return text


def _lock(submission: Submission) -> Submission:
    # Lock the case's row only: PostgreSQL refuses FOR UPDATE on the nullable side of the outer
    # joins that the applicant (an account or a register record) needs.
    return Submission.objects.select_for_update(of=("self",)).select_related(
        "department", "account", "resident").get(pk=submission.pk)


def _require_member(user, submission: Submission) -> None:
    if not is_member_of(user, submission.department):
        raise CaseActionError(_("この操作を行う権限がありません。"), "forbidden")


@transaction.atomic
def accept(submission: Submission, user, actor: Actor) -> None:
    submission = _lock(submission)
    _require_member(user, submission)
    _apply(submission, Status.ACCEPTED, actor)
    handoff.enqueue(submission, "accepted")


@transaction.atomic
def return_for_correction(submission: Submission, user, actor: Actor, message: str, *, reason: str) -> None:
    """差戻し: the note asks the resident for what is missing (free text, shown to them), the
    reason is its category (ReturnReason), which the city's figures count: the note may name
    people and is never counted, so the category is required, not guessed from the note. Both
    refusals are named by field (`message`, `return_reason`) for the page and the API."""
    submission = _lock(submission)
    _require_member(user, submission)
    errors, code = {}, ""
    if reason not in ReturnReason.values:
        errors["return_reason"], code = _("差戻しの理由の分類を選んでください。"), "return-category"
    try:
        message = _staff_text(message, _("差戻しの理由"))
    except CaseActionError as exc:
        errors["message"], code = str(exc), exc.code
    else:
        if not message:
            errors["message"], code = _("差戻しの理由（申請者へのお願い）を入力してください。"), "return-reason"
    if errors:
        raise CaseActionError(errors.get("message") or errors["return_reason"], code, errors)
    _apply(submission, Status.RETURNED, actor, note=message, reason=reason)


@transaction.atomic
def propose_decision(submission: Submission, user, actor: Actor, outcome: str, reason: str,
                     content: dict | None = None) -> Decision:
    """The drafter's proposal: 承認 with what the procedure file's `decision:` says it states
    (casework/decisions.py validates it), 却下 with its reason, or for a 届出 受理 (outcome
    approve, nothing stated). The required checklist items must be ticked first."""
    submission = _lock(submission)
    _require_member(user, submission)
    try:  # a case not under review says so first, before what a proposal would need
        action_for(submission.status, Status.PENDING_APPROVAL)
    except TransitionError as exc:
        raise CaseActionError(str(exc)) from exc
    procedure = procedure_of_record(submission.municipality, submission.procedure_code, language="ja")
    if decisions.is_receipt(procedure):
        if outcome not in ("", Decision.Outcome.APPROVE):
            raise CaseActionError(_("届出は受理します（却下はありません）。不備があれば差し戻してください。"), "outcome")
        outcome = Decision.Outcome.APPROVE
    if outcome not in Decision.Outcome.values:
        raise CaseActionError(_("承認か却下を選んでください。"), "outcome")
    try:  # a 承認 that a 支援措置 decision refused is not proposed at all
        guard(submission, "propose_decision", {"outcome": outcome})
    except HeldForProtection as exc:
        raise CaseActionError(protection.refusal(exc), exc.code) from exc
    unticked = work.unticked_required(submission, procedure)
    if unticked:
        raise CaseActionError(_("確認項目のうち、まだ確認していないものがあります: %(items)s")
                              % {"items": _("、").join(unticked)}, "checklist")
    reason = _staff_text(reason, _("理由"))
    if outcome == Decision.Outcome.REJECT and not reason:
        raise CaseActionError(_("却下の理由を入力してください（通知書に記載されます）。"), "reject-reason",
                              {"reason": _("却下の理由を入力してください（通知書に記載されます）。")})
    try:
        stated = decisions.validate(procedure, outcome, content or {},
                                    applications.answers_of(submission.current_version))
    except decisions.ContentRefused as exc:
        raise CaseActionError(str(exc), "content", exc.errors) from None
    _apply(submission, Status.PENDING_APPROVAL, actor, outcome=outcome)
    return Decision.objects.create(submission=submission, outcome=outcome, reason=reason,
                                   content=decisions.to_json(stated) if stated else "", proposed_by=user)


def _pending(submission: Submission) -> Decision:
    decision = submission.decisions.filter(state=Decision.State.PENDING).last()
    if decision is None:
        raise CaseActionError(_("決裁待ちの起案がありません。"), "nothing-pending")
    return decision


def _check_approver(user, submission: Submission, decision: Decision) -> None:
    if not has_role(user, submission.department, Role.APPROVER):
        raise CaseActionError(_("決裁は決裁者の権限を持つ職員が行います。"), "approver-role")
    if decision.proposed_by_id == user.pk:
        raise CaseActionError(_("起案した職員は自分で決裁できません。別の決裁者が決裁します。"), "own-proposal")


@transaction.atomic
def approve(submission: Submission, user, actor: Actor, comment: str = "",
            digest: str | None = None) -> IssuedDocument | None:
    """The approver decides exactly what they read: `digest` (decisions.digest of the proposal
    shown to them; the page always posts it) must match the pending proposal, else another
    drafter has proposed since and nothing is decided. A 届出's 受理 issues no notice."""
    submission = _lock(submission)
    decision = _pending(submission)
    _check_approver(user, submission, decision)
    if digest is not None and digest != decisions.digest(decision):
        raise CaseActionError(_("決裁する内容が、画面を開いた後に変わりました。内容を確認してからもう一度決裁してください。"),
                              "content-changed")
    comment = _staff_text(comment, _("コメント"))
    procedure = procedure_of_record(submission.municipality, submission.procedure_code, language="ja")
    # A 届出's 受理 issues no notice (and takes no notice number); a 却下 always does (one proposed
    # before 届出 became 受理-only still carries its reason and 教示).
    received = decisions.is_receipt(procedure) and decision.outcome == Decision.Outcome.APPROVE
    decision.state = Decision.State.APPROVED
    decision.approved_by = user
    decision.approved_at = timezone.now()
    decision.approver_comment = comment
    decision.notice_number = "" if received else _next_notice_number(submission)
    decision.save()
    target = Status.APPROVED if decision.outcome == Decision.Outcome.APPROVE else Status.REJECTED
    document = None if received else _issue_notice(submission, decision, procedure)
    _apply(submission, target, actor, note=decision.reason, decision=decision.pk)
    handoff.enqueue(submission, "decided", decision=decisions.for_handoff(decision))
    return document


@transaction.atomic
def send_back(submission: Submission, user, actor: Actor, comment: str) -> None:
    """The approver returns the proposal to the drafter (not to the resident)."""
    submission = _lock(submission)
    decision = _pending(submission)
    _check_approver(user, submission, decision)
    decision.state = Decision.State.SENT_BACK
    decision.approver_comment = _staff_text(comment, _("コメント"))
    decision.save()
    _apply(submission, Status.ACCEPTED, actor, decision=decision.pk)


def _apply(submission: Submission, target: str, actor: Actor, note: str = "", **detail) -> None:
    try:
        applications.transition(submission, target, actor, note=note, **detail)
    except HeldForProtection as exc:  # 支援措置: waiting for, or refused by, its 担当 (protection.py)
        raise CaseActionError(protection.refusal(exc), exc.code) from exc
    except TransitionError as exc:
        raise CaseActionError(str(exc)) from exc


def _next_notice_number(submission: Submission) -> str:
    year = timezone.localdate().year
    count = Decision.objects.filter(
        submission__department=submission.department, state=Decision.State.APPROVED,
        approved_at__year=year,
    ).exclude(notice_number="").count()
    return f"{submission.municipality.name}{submission.department.name[:2]}第{count + 1}号"  # ja-only: 決定通知書 (legal text)


def _issue_notice(submission: Submission, decision: Decision, procedure) -> IssuedDocument:
    version = submission.current_version
    answers = applications.answers_of(version)
    name, address = _applicant(procedure.form(version.form_version), answers)
    # 支援措置: the notice goes to the applicant, so a protected resident's address appears on it
    # only when the applicant is that resident (core.redaction); the mask is in Japanese, as
    # the notice is.
    with translation.override("ja"):
        mask = redaction.masker(submission.municipality, recipients_of(submission))
        address, reason, content = redaction.mask_values(
            mask, (address, decision.reason, decisions.rows(decision)))
    outcome = "approved" if decision.outcome == Decision.Outcome.APPROVE else "rejected"
    public_id = uuid.uuid4()
    title = f"{procedure.title} 決定通知書"  # ja-only: 決定通知書 (legal text)
    pdf = render_notice(NoticeData(
        municipality_name=submission.municipality.name,
        mayor_title=f"{submission.municipality.name}長",  # ja-only: 決定通知書 (legal text)
        department_name=submission.department.name,
        notice_number=decision.notice_number,
        procedure_title=procedure.title,
        receipt_number=submission.receipt_number,
        applicant_name=name,
        applicant_address=address,
        outcome=outcome,
        reason=reason,
        content=content,
        decided_at=timezone.localdate(),
        approvals=[("起案者", work.display_name(decision.proposed_by), decision.proposed_at),  # ja-only: 決定通知書
                   ("決裁者", work.display_name(decision.approved_by), decision.approved_at)],  # ja-only: 決定通知書
        legal_basis=procedure.legal_basis,
        verify_url=cities.public_url(submission.municipality, reverse("applications:verify", args=[public_id])),
        applied_on=timezone.localtime(submission.submitted_at).date(),
        letterhead=branding.letterhead(submission.municipality),
    ))
    try:
        pdf = seal.seal_notice(submission.municipality, pdf)
    except seal.SealError as exc:  # no seal, or its key does not load: nothing is decided
        raise CaseActionError(exc.message, "seal") from exc
    return applications.issue_document(submission, IssuedDocument.Kind.NOTICE, title, pdf,
                                       public_id=public_id)


def _applicant(form, answers: dict) -> tuple[str, str]:
    """The applicant's name and address, from the fields marked as the applicant's in the form
    the answers were given with (the submitted version's, not the procedure's current form: a
    later version may name its fields differently, and the notice would come out blank)."""
    name = address = ""
    for step in form.steps:
        for field in step.fields:
            if field.prefill == "applicant_name" and not name:
                name = str(answers.get(field.id, ""))
            if field.prefill == "applicant_address" and not address:
                address = str(answers.get(field.id, ""))
    return name, address


# The staff actions by name, for the web page and the API alike: (case, user, actor, fields).
ACTIONS = {
    "accept": lambda case, user, actor, f: accept(case, user, actor),
    "return": lambda case, user, actor, f: return_for_correction(case, user, actor, f.get("message", ""),
                                                                  reason=f.get("return_reason") or ""),
    "propose": lambda case, user, actor, f: propose_decision(
        case, user, actor, f.get("outcome") or "", f.get("reason") or "",
        decisions.submitted(f, f.get("outcome") or "approve")),
    "approve": lambda case, user, actor, f: approve(case, user, actor, f.get("comment") or "",
                                                    f.get("content_digest")),
    "send-back": lambda case, user, actor, f: send_back(case, user, actor, f.get("comment", "")),
}


def action_names() -> set[str]:
    """Every case action by name: these and the department's work (casework/work.py)."""
    return set(ACTIONS) | set(work.ACTIONS)


def perform(action: str, case: Submission, user, actor: Actor, fields) -> None:
    """Run a named action; KeyError for an unknown name, CaseActionError when refused."""
    (ACTIONS.get(action) or work.ACTIONS[action])(case, user, actor, fields)
