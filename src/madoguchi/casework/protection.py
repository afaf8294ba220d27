"""The 支援措置 panel of a case (applications/protection_holds.py holds the request).

Every staff member who can see a held case sees that it waits for the 支援措置担当's decision
and can take no other step on it; only a staff member holding that role (register.protection
.may_reveal) sees whom it concerns (names, never their addresses), whether the requester is
the recorded 加害者等, and decides: 交付してよい (the case goes on as usual) or 交付しない (it
can no longer be approved; the department rejects it through the usual 決裁). The decision's
note is kept encrypted and shown to that role only; the audit event holds ids and the
outcome."""

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from madoguchi.applications import services as applications
from madoguchi.applications.models import ProtectionHold, Submission
from madoguchi.applications.protection_holds import HeldForProtection, hold_of, rule_for
from madoguchi.core import audit
from madoguchi.core.actors import Actor
from madoguchi.core.text import LINE_BREAKS, has_unreadable_characters
from madoguchi.register import protection
from madoguchi.register.models import Resident

NOTE_MAX = 500
DECISIONS = {"allow": ProtectionHold.State.ALLOWED, "refuse": ProtectionHold.State.REFUSED}


class HoldDecisionRefused(Exception):
    """Not decided; the message is for the staff member, `code` names the refusal."""

    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.code = code


def refusal(exc: HeldForProtection) -> str:
    """The staff member's words for a step the hold stopped."""
    if exc.code == "protection-hold-pending":
        return _("この申請は支援措置の確認待ちです。支援措置担当の職員が判断するまで、受付・差戻し・決裁はできません。")
    return _("支援措置担当の職員が交付しないと判断した申請です。承認はできません。却下で決裁してください。")


def _requester(case: Submission) -> dict:
    """The requester as the latest version names them (the rule's fields)."""
    rule = rule_for(case.procedure_code)
    version = case.current_version
    if rule is None or version is None:
        return {}
    answers = applications.answers_of(version)
    return {"name": str(answers.get(rule.requester_name) or ""),
            "birth_date": str(answers.get(rule.requester_birth_date) or "")}


def _people(case: Submission, hold: ProtectionHold) -> list[dict]:
    """The protected residents the request concerns (name and フリガナ, no address) and whether
    the requester matches the 加害者等 recorded on their mark."""
    requester = _requester(case)
    measures = {}
    for measure in protection.marks_in_force(case.municipality).filter(resident_id__in=hold.protected_ids):
        measures.setdefault(measure.resident_id, []).append(measure)
    residents = Resident.objects.filter(municipality=case.municipality, pk__in=hold.protected_ids) \
        .only("pk", "name", "kana").order_by("pk")
    return [{"resident": r, "in_force": r.pk in measures,
             "matches_against": any(protection.matches_against(m, **requester)
                                    for m in measures.get(r.pk, []))}
            for r in residents]


def case_context(request, case: Submission) -> dict:
    """The panel: {} for a case never held."""
    hold = hold_of(case)
    if hold is None:
        return {}
    deciding = protection.may_reveal(request.user, request.municipality)
    context = {"hold": hold, "may_decide": deciding and hold.pending, "reads": deciding,
               "count": len(hold.protected_ids)}
    if deciding:
        people = _people(case, hold)
        context |= {"people": people, "matches_against": any(p["matches_against"] for p in people),
                    "note": hold.note, "decided_by": _staff_name(hold.decided_by)}
    return context


def _staff_name(ref: str) -> str:
    if not ref.startswith("staff:"):
        return ref
    user = get_user_model().objects.filter(pk=int(ref.split(":", 1)[1])).first()
    return (user.get_full_name() or user.username) if user else ref


def _note(text: str) -> str:
    text = (text or "").strip()
    if not text:
        raise HoldDecisionRefused(_("判断の理由（確認した内容）を入力してください。"), "note")
    if len(text) > NOTE_MAX:
        raise HoldDecisionRefused(_("判断の理由は%(most)s文字以内で入力してください。") % {"most": NOTE_MAX}, "note")
    if has_unreadable_characters(text, LINE_BREAKS):
        raise HoldDecisionRefused(_("判断の理由に使えない文字（制御文字）が含まれています。"), "note")
    return text


@transaction.atomic
def decide(case: Submission, user, actor: Actor, decision: str, note: str) -> ProtectionHold:
    """The 支援措置担当 decides a pending hold, once, with the note of what they checked."""
    if not protection.may_reveal(user, case.municipality):
        raise HoldDecisionRefused(_("支援措置の確認は、支援措置担当の職員だけが行えます。"), "role")
    hold = ProtectionHold.objects.select_for_update().filter(submission=case).first()
    if hold is None:
        raise HoldDecisionRefused(_("この申請は支援措置の確認の対象ではありません。"), "no-hold")
    if not hold.pending:
        raise HoldDecisionRefused(_("この申請の支援措置の確認はもう済んでいます。"), "decided")
    if decision not in DECISIONS:
        raise HoldDecisionRefused(_("交付してよいか、交付しないかを選んでください。"), "decision")
    hold.note = _note(note)
    hold.state, hold.decided_by, hold.decided_at = DECISIONS[decision], actor.ref, timezone.now()
    hold.save(update_fields=["note", "state", "decided_by", "decided_at"])
    audit.record(case.municipality, actor, "protection_hold_decided", "submission", case.public_id,
                 subject_ref=case.subject_ref, hold=hold.pk, state=hold.state,
                 protected=hold.protected_ids)
    return hold
