"""Drafts, submission, corrections, the status timeline, messages and issued documents.

Each function is one transaction. Staff actions reach the status through `transition`,
which applies the state machine in workflow.py and writes the timeline and audit log.
"""

import hashlib
import uuid

from cryptography.hazmat.primitives.serialization import Encoding
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from madoguchi.applications import engine, processing, protection_holds
from madoguchi.applications.models import (
    Attachment,
    Channel,
    Draft,
    IssuedDocument,
    Message,
    Status,
    Submission,
    SubmissionEvent,
    SubmissionSignature,
    SubmissionVersion,
)
from madoguchi.applications.prefill import event_day_in, from_navigator, from_register
from madoguchi.applications.receipts import new_receipt_number
from madoguchi.applications.workflow import TransitionError, action_for
from madoguchi.catalog.fees import FeeQuote, quote
from madoguchi.catalog.schema import Procedure
from madoguchi.catalog.selectors import department_for, procedure_of_record
from madoguchi.core import audit
from madoguchi.core.actors import Actor
from madoguchi.core.crypto import decrypt_bytes, decrypt_json, encrypt_bytes, encrypt_json
from madoguchi.identity.emailcode import hash_secret
from madoguchi.identity.jpki.profile import basic_info_from
from madoguchi.navigator import services as navigator_services
from madoguchi.navigator.models import NavigatorPlan
from madoguchi.notify import services as notify
from madoguchi.register import services as register_services

SOURCE_ACCOUNT = "account"  # the confirmed e-mail of the logged-in resident
SOURCE_RESIDENT = "resident"
SOURCE_REGISTER = "register"  # the resident register (住民記録), for a card-linked account


class SubmissionRefused(Exception):
    """The submission cannot be stored; `errors` maps field paths to plain Japanese messages."""

    def __init__(self, message: str, errors: dict | None = None):
        super().__init__(message)
        self.errors = errors or {}


_NOT_ONLINE = gettext_lazy("この手続はオンラインでは受け付けていません。手続の案内にある窓口・方法でお手続きください。")


def answers_of(obj) -> dict:
    """Decrypt a draft's or a version's answers."""
    return decrypt_json(obj.answers) if obj.answers else {}


def _prefill(procedure: Procedure, account) -> tuple[dict, dict]:
    answers, sources = {}, {}
    for step in procedure.current_form.steps:
        for field in step.fields:
            if field.prefill == "applicant_email":
                answers[field.id] = account.email
                sources[field.id] = SOURCE_ACCOUNT
    return answers, sources


@transaction.atomic
def start_draft(account, procedure: Procedure) -> Draft:
    if not procedure.online:
        raise SubmissionRefused(_NOT_ONLINE)
    answers, sources = _prefill(procedure, account)
    known = from_register(account, procedure.current_form)  # sources by path, groups too
    answers, sources = {**answers, **known.answers}, {**sources, **known.sources}
    return Draft.objects.create(
        municipality=account.municipality, account=account, procedure_code=procedure.code,
        form_version=procedure.current_form.version, answers=encrypt_json(answers, account.municipality_id),
        sources=sources,
    )


@transaction.atomic
def start_from_plan(account, procedure: Procedure, plan: NavigatorPlan) -> Draft:
    """「オンラインで申請をはじめる」 from a 手続ナビ result: the resident's open draft of this
    procedure if there is one (a second press, or a second plan, resumes rather than piling up
    drafts), else a new one; then what the plan knows goes into the fields still blank (source
    "navigator"), the draft remembers the plan and its last day (届出期限) from the event's day."""
    if not procedure.online:
        raise SubmissionRefused(_NOT_ONLINE)
    draft = (open_drafts(account).select_for_update()
             .filter(procedure_code=procedure.code, correcting__isnull=True).first())
    if draft is None:
        draft = start_draft(account, procedure)
    form = procedure.form(draft.form_version)
    day = navigator_services.given_event_day(plan)
    known = from_navigator(form, procedure.code, plan.event, plan.answers, day)
    answers = answers_of(draft)
    blank = {k: v for k, v in known.answers.items() if not _holds(answers.get(k))}
    answers.update(blank)
    draft.answers = encrypt_json(answers, draft.municipality_id)
    draft.sources = {**draft.sources,
                     **{path: source for path, source in known.sources.items()
                        if path.split("-", 1)[0] in blank}}
    draft.navigator_plan = plan
    if day is not None:
        draft.due_on = navigator_services.deadline_for(procedure, day) or draft.due_on
    draft.save(update_fields=["answers", "sources", "navigator_plan", "due_on", "updated_at"])
    return draft


def _holds(value) -> bool:
    """A field holds an answer; a group only once one of its items holds something (`[{}]` is
    still empty)."""
    if isinstance(value, list):
        return any(value)
    return value not in (None, "")


def link_register(account, certificate, ip_address: str | None = None) -> bool:
    """Link the account to its register record by the verified signing certificate's 基本4情報;
    False when the register has no single match (then nothing is pre-filled from it)."""
    info = basic_info_from(certificate)
    return register_services.link_account(account, info, "signing_certificate", ip_address) is not None


def register_values(account, form, draft: Draft) -> dict:
    """Register values for the fields the draft does not hold yet (the resident's own answers
    and the certificate's values are kept)."""
    known = answers_of(draft)
    # A group counts as held once one of its items holds something; `[{}]` is still empty.
    return {k: v for k, v in from_register(account, form).answers.items()
            if not (any(known[k]) if isinstance(known.get(k), list) else known.get(k))}


@transaction.atomic
def prefill_draft(draft: Draft, values: dict, source: str) -> None:
    """Fill values the city already knows (certificate, register) and record where they came from."""
    answers = answers_of(draft)
    answers.update(values)
    draft.answers = encrypt_json(answers, draft.municipality_id)
    draft.sources = {**draft.sources, **{k: source for k in values}}
    draft.save(update_fields=["answers", "sources", "updated_at"])


def open_drafts(account):
    return Draft.objects.filter(account=account, submitted_at__isnull=True).order_by("-updated_at")


@transaction.atomic
def save_draft(draft: Draft, answers: dict, step: int, typed_fields: list[str],
               procedure: Procedure | None = None) -> None:
    """Store answers. A field on this step becomes the resident's own when it had no origin
    yet or the resident changed a pre-filled value. With the procedure, a step that holds the
    event's day (prefill.event_day_in: 異動日, 死亡日, after a birth the newborn's birth date)
    refreshes the draft's last day (`due_on`), so My Page and the reminders follow what the
    resident typed."""
    before = answers_of(draft)
    sources = dict(draft.sources)
    for name in typed_fields:
        if name not in answers:
            continue
        changed = answers[name] != before.get(name)
        if isinstance(answers[name], list):  # a group: its items' values carry their origins
            _keep_unchanged_items(sources, name, before.get(name) or [], answers[name])
            if changed:
                sources[name] = SOURCE_RESIDENT
        elif name not in sources or changed:
            sources[name] = SOURCE_RESIDENT
    draft.answers = encrypt_json(answers, draft.municipality_id)
    draft.sources = {k: v for k, v in sources.items() if k.split("-", 1)[0] in answers}
    draft.step = step
    fields = ["answers", "sources", "step", "updated_at"]
    if procedure is not None and _refresh_due_on(draft, procedure, answers, typed_fields):
        fields.append("due_on")
    draft.save(update_fields=fields)


def _refresh_due_on(draft: Draft, procedure: Procedure, answers: dict, typed_fields) -> bool:
    """Recompute `due_on` when this step holds the event's day; True when it changed."""
    event = draft.navigator_plan.event if draft.navigator_plan is not None else ""
    on_step = {name: answers[name] for name in typed_fields if name in answers}
    day = event_day_in(on_step, event)
    if day is None:
        return False
    due_on = navigator_services.deadline_for(procedure, day)
    if due_on is None or due_on == draft.due_on:
        return False
    draft.due_on = due_on
    return True


def _keep_unchanged_items(sources: dict, group_id: str, before: list, after: list) -> None:
    """A group item's value keeps its origin (`children-0-name` → register) while the resident
    leaves it as it was; an edited, moved or removed value loses it."""
    for path in [p for p in sources if p.startswith(f"{group_id}-")]:
        _prefix, index, sub_id = path.split("-", 2)
        i = int(index)
        old = before[i].get(sub_id) if i < len(before) else None
        new = after[i].get(sub_id) if i < len(after) else None
        if new is None or old != new:
            del sources[path]


def status_token(submission: Submission) -> str:
    """The secret that, with the receipt number, lets a caller read the status. Derived, not
    stored, so a retried API call returns it again; rotating SECRET_KEY invalidates it."""
    return hash_secret(f"status:{submission.public_id}")[:32]


def clean_answers(answers: dict) -> dict:
    """A draft's answers without the raw input kept for redisplay."""
    return {k: v for k, v in answers.items() if k != engine.RAW}


def _create_submission(procedure: Procedure, form_version: int, answers: dict, sources: dict,
                       actor: Actor, *, account=None, resident=None, draft=None,
                       idempotency_key=None, channel=Channel.ONLINE, visit_ref=None,
                       in_person: bool = True, signed_by=None):
    """A submission inside the caller's transaction (a draft's, a counter visit's): the insert
    runs in a savepoint so a duplicate draft or key is raised to the caller, which holds its
    own lock and answer for it, and a receipt number collision is drawn again.

    A request for a protected resident's certificate by someone else is held for the
    支援措置担当 (protection_holds; `in_person`: see file_at_counter; `signed_by`: the verified
    signing certificate of an online request, which names the requester)."""
    municipality = (account or resident).municipality
    department = department_for(municipality, procedure)
    fee = quote(procedure, answers)
    for _attempt in range(5):
        try:
            with transaction.atomic():
                submission = _insert_submission(
                    procedure, form_version, actor, municipality=municipality,
                    department=department, account=account, resident=resident, draft=draft,
                    idempotency_key=idempotency_key, channel=channel, visit_ref=visit_ref,
                    fee=fee)
            break
        except IntegrityError:
            if draft is not None and Submission.objects.filter(draft=draft).exists():
                raise
            if idempotency_key and Submission.objects.filter(
                municipality=municipality, idempotency_key=idempotency_key
            ).exists():
                raise
            continue  # a receipt number collision: draw again
    else:
        raise SubmissionRefused(_NO_RECEIPT_NUMBER)
    _record_submitted(submission, procedure, form_version, answers, sources, actor)
    protection_holds.hold_if_needed(submission, answers, in_person=in_person, signed_by=signed_by)
    return submission


_NO_RECEIPT_NUMBER = gettext_lazy("受付番号を発行できませんでした。時間をおいてもう一度送信してください。")


def _insert_submission(procedure: Procedure, form_version: int, actor: Actor, *, municipality,
                       department, account, resident, draft, idempotency_key, channel,
                       visit_ref, fee: FeeQuote) -> Submission:
    """One INSERT: the receipt number is drawn here (random, so no round trip allocates it);
    the unique constraints refuse a collision, a second submission of one draft and a second
    use of one idempotency key.

    The fee quote is stored as it stood at submit. Online, a fee due now makes the case wait
    お支払い待ち (the payment page opens next); at the counter the clerk takes the fee, so the
    case is 受付待ち as before and the counter records the payment."""
    status = (Status.AWAITING_PAYMENT if fee.due and channel == Channel.ONLINE
              else Status.SUBMITTED)
    return Submission.objects.create(
        municipality=municipality, receipt_number=new_receipt_number(),
        procedure_code=procedure.code, form_version=form_version, department=department,
        account=account, resident=resident, channel=channel, visit_ref=visit_ref,
        actor_kind=actor.kind, actor_ref=actor.ref, draft=draft, idempotency_key=idempotency_key,
        status=status, fee_yen=fee.total_yen, fee_lines=fee.as_json() if not fee.empty else {},
        fee_deferred=fee.deferred, due_on=processing.due_on(procedure.processing_days),
    )


def _record_submitted(submission: Submission, procedure: Procedure, form_version: int,
                      answers: dict, sources: dict, actor: Actor) -> None:
    """What every new submission writes beside itself: its first version, the timeline's first
    event, the audit event and the applicant's mail — one INSERT each (one row of each table:
    nothing to batch), and no savepoint (the mail's dedupe key names this new submission, so
    it cannot exist yet)."""
    SubmissionVersion.objects.create(
        submission=submission, number=1, form_version=form_version,
        answers=encrypt_json(answers, submission.municipality_id), sources=sources, actor_kind=actor.kind,
        actor_ref=actor.ref,
    )
    _keep_attachments(procedure.form(form_version), answers)
    SubmissionEvent.objects.create(submission=submission, to_status=submission.status,
                                   actor_kind=actor.kind, actor_ref=actor.ref)
    audit.record(submission.municipality, actor, "submit", "submission", submission.public_id,
                 subject_ref=submission.subject_ref, procedure=procedure.code,
                 form_version=form_version, channel=submission.channel,
                 **({"fee_yen": submission.fee_yen, "status": submission.status}
                    if submission.fee_yen or submission.fee_deferred else {}))
    _mail(submission, "submitted", {"submission": submission, "procedure": procedure},
          f"submitted:{submission.pk}", new_key=True)


# The event each mail template tells (notify's short texts for LINE, SMS and push are per event).
EVENTS = {"submitted": "received", "status_returned": "returned", "status_approved": "decided",
          "status_rejected": "decided", "status_awaiting_payment": "payment_request", "message": "message"}


def _mail(submission: Submission, template: str, context: dict, dedupe_key: str,
          new_key: bool = False) -> None:
    """Tell the applicant, on their first channel (LINE, push, SMS, e-mail: notify.tell); a
    counter case without an account or address gets nothing.

    In the account's language: a status notice is queued in a staff member's request, whose
    language is theirs, not the resident's."""
    tell_applicant(submission, EVENTS[template], template, context, dedupe_key, new_key=new_key)


def tell_applicant(submission: Submission, event: str, template: str, context: dict, dedupe_key: str, *,
                   template_dir: str = "notify", new_key: bool = False) -> None:
    """The applicant's notice about `submission`: the staff see it on the case, the resident on
    the submission's page (about "submission:<pk>"); short messages link to that page."""
    account = submission.account if submission.account_id else None
    if not submission.contact_email and account is None:
        return
    notify.tell(submission.municipality, event, key=dedupe_key, person=account.ref if account else "",
                email=submission.contact_email or None, context=context, email_template=template,
                template_dir=template_dir, about=f"submission:{submission.pk}",
                link=reverse("applications:submission", args=[submission.public_id]),
                language=account.language if account else "", new_key=new_key)


def file_at_counter(resident, procedure: Procedure, form_version: int, answers: dict, sources: dict,
                    actor: Actor, visit_ref, account=None, in_person: bool = True) -> Submission:
    """A form the visitor checked and signed at the counter becomes a case of its department.

    The caller (the counter) holds the transaction and the visit's lock; the idempotency key
    per visit and procedure makes a second filing of the same form impossible.

    `in_person`: the clerk confirmed that the visitor is `resident` themselves. False with a
    代理人 (or while a protected visitor is not confirmed as that person): then a request for a
    protected resident's 住民票の写し or 附票 waits for the 支援措置担当 (protection_holds)."""
    return _create_submission(
        procedure, form_version, clean_answers(answers), sources, actor, account=account,
        resident=resident, channel=Channel.COUNTER, visit_ref=visit_ref,
        idempotency_key=f"counter:{visit_ref}:{procedure.code}"[:64], in_person=in_person,
    )


def submit_draft(draft: Draft, procedure: Procedure, actor: Actor, evidence=None) -> Submission:
    """Submit once: a double click or a retry returns the same submission and receipt.

    A procedure that requires the card is refused without a verified card signature."""
    try:
        with transaction.atomic():
            locked = Draft.objects.select_for_update().get(pk=draft.pk)
            existing = Submission.objects.filter(draft=locked).first()
            if existing is not None:
                return existing
            if locked.submitted_at is not None:  # a correction draft already resubmitted
                return locked.correcting
            answers = answers_of(locked)
            form = procedure.form(locked.form_version)
            incomplete = engine.first_incomplete_step(form, answers)
            if incomplete is not None:
                raise SubmissionRefused(_("入力されていない項目があります。"), {"step": str(incomplete)})
            if procedure.card_required and evidence is None:
                raise SubmissionRefused(_("この手続はマイナンバーカードでの署名が必要です。"))
            answers = clean_answers(answers)
            if locked.correcting_id:
                submission = _resubmit(locked, answers, actor,
                                       signed_by=evidence.certificate if evidence else None)
            else:
                submission = _create_submission(procedure, locked.form_version, answers,
                                                locked.sources, actor, account=locked.account,
                                                draft=locked,
                                                signed_by=evidence.certificate if evidence else None)
            if evidence is not None:
                _store_signature(submission, evidence, actor)
            locked.submitted_at = timezone.now()
            locked.save(update_fields=["submitted_at"])
            return submission
    except IntegrityError:
        return Submission.objects.get(draft=draft)


class IdempotencyConflict(SubmissionRefused):
    """The caller's Idempotency-Key already stands for a submission with other answers."""


def scoped_idempotency_key(account, client_key: str) -> str:
    """The stored key: the account's id and a digest of the client's key. Two accounts that
    happen to send the same key never meet (each gets its own submission), and any client
    key fits the 64-character column without a schema change."""
    digest = hashlib.sha256(client_key.encode("utf-8", "surrogatepass")).hexdigest()[:40]
    return f"api:{account.pk}:{digest}"


def own_attachment(account):
    """Look up an attachment id for an API answer: only the account's own, in its city."""
    def find(ident: str) -> dict | None:
        try:
            public_id = uuid.UUID(ident)
        except ValueError:
            return None
        found = Attachment.objects.filter(municipality=account.municipality, account=account,
                                          public_id=public_id).first()
        return found and {"id": str(found.public_id), "filename": found.filename, "size": found.size}
    return find


def _same_request(submission: Submission, procedure: Procedure, answers: dict) -> Submission:
    """A retry returns the first submission; the same key with another body is refused rather
    than answered with a submission the caller did not send."""
    first = submission.versions.order_by("number").first()
    if submission.procedure_code != procedure.code or answers_of(first) != answers:
        raise IdempotencyConflict(
            _("この Idempotency-Key は別の内容の申請で使われています。新しいキーで送信してください。"),
            {"Idempotency-Key": _("別の内容の申請で使われています")})
    return submission


def submit_answers(account, procedure: Procedure, answers: dict, actor: Actor,
                   idempotency_key: str) -> tuple[Submission, bool]:
    """The API path: complete answers in one call, checked by the form's rules
    (`engine.validate_answers`). Returns (submission, created); the same key and answers
    again return the first submission, the same key with other answers is refused.

    The key is claimed by the INSERT itself: the unique constraint (municipality,
    idempotency_key) refuses a second submission, and only then is the first one read. So a
    new submission costs no look-up, and two requests racing with one key cannot both insert
    (the second waits on the first's row and fails once it commits). Everything a submission
    writes is one transaction; a receipt number collision rolls it back and draws again."""
    if not procedure.online:
        raise SubmissionRefused(_NOT_ONLINE, {"procedure": str(_NOT_ONLINE)})
    if procedure.card_required:
        message = _("この手続はマイナンバーカードでの署名が必要です。画面から申請してください。")
        raise SubmissionRefused(message, {"procedure": message})
    answers, errors = engine.validate_answers(procedure.current_form, answers,
                                              own_attachment(account))
    if errors:
        raise SubmissionRefused(_("入力内容に誤りがあります。"), errors)
    key = scoped_idempotency_key(account, idempotency_key)
    municipality = account.municipality
    department = department_for(municipality, procedure)
    form_version = procedure.current_form.version
    sources = {k: SOURCE_RESIDENT for k in answers}
    fee = quote(procedure, answers)
    for _attempt in range(5):
        try:
            with transaction.atomic():
                submission = _insert_submission(
                    procedure, form_version, actor, municipality=municipality,
                    department=department, account=account, resident=None, draft=None,
                    idempotency_key=key, channel=Channel.ONLINE, visit_ref=None, fee=fee)
                _record_submitted(submission, procedure, form_version, answers, sources, actor)
                protection_holds.hold_if_needed(submission, answers)
            return submission, True
        except IntegrityError:
            existing = Submission.objects.filter(municipality=municipality,
                                                 idempotency_key=key).first()
            if existing is not None:
                return _same_request(existing, procedure, answers), False
            # no submission holds the key: the receipt number collided; draw again
    raise SubmissionRefused(_NO_RECEIPT_NUMBER)


@transaction.atomic
def start_correction(submission: Submission, account) -> Draft:
    """After 差戻し the resident edits a copy of the last version; the original is kept."""
    if submission.status != Status.RETURNED:
        raise SubmissionRefused(_("この申請はいま修正できません。"))
    existing = Draft.objects.filter(correcting=submission, submitted_at__isnull=True).first()
    if existing:
        return existing
    version = submission.current_version
    return Draft.objects.create(
        municipality=submission.municipality, account=account,
        procedure_code=submission.procedure_code, form_version=version.form_version,
        answers=version.answers, sources=version.sources, correcting=submission,
    )


def _store_signature(submission: Submission, evidence, actor: Actor) -> None:
    version = submission.current_version
    SubmissionSignature.objects.create(
        version=version, certificate=encrypt_bytes(evidence.certificate.public_bytes(Encoding.DER),
                                                         submission.municipality_id),
        signature=evidence.signature, digest=evidence.digest,
        serial=str(evidence.certificate.serial_number),
        issuer=evidence.certificate.issuer.rfc4514_string()[:255], verified_at=timezone.now(),
    )
    audit.record(submission.municipality, actor, "signed", "submission", submission.public_id,
                 subject_ref=submission.subject_ref, version=version.number,
                 serial=str(evidence.certificate.serial_number))


def _keep_attachments(form, answers: dict) -> None:
    """Files named in a submitted version become records; retention no longer touches them."""
    ids = list(engine.attachment_ids(form, answers))
    if ids:  # a form without files costs no statement
        Attachment.objects.filter(public_id__in=ids).update(submitted=True)


def _resubmit(draft: Draft, answers: dict, actor: Actor, signed_by=None) -> Submission:
    submission = Submission.objects.select_for_update().get(pk=draft.correcting_id)
    number = submission.versions.count() + 1
    SubmissionVersion.objects.create(
        submission=submission, number=number, form_version=draft.form_version,
        answers=encrypt_json(answers, submission.municipality_id), sources=draft.sources, actor_kind=actor.kind,
        actor_ref=actor.ref,
    )
    procedure = procedure_of_record(submission.municipality, submission.procedure_code)
    _keep_attachments(procedure.form(draft.form_version), answers)
    _extend_due_on(submission)
    transition(submission, Status.SUBMITTED, actor, note="", version=number)
    protection_holds.recheck(submission, answers, signed_by=signed_by)
    return submission


def _extend_due_on(submission: Submission) -> None:
    """The 標準処理期間 does not run while the resident corrects (行政手続法 第6条): the due day
    moves later by the days since the return (applications/processing.py)."""
    if submission.due_on is None:
        return
    returned = (submission.events.filter(to_status=Status.RETURNED).order_by("-at", "-id")
                .values_list("at", flat=True).first())
    if returned is not None:
        submission.due_on = processing.after_correction(
            submission.due_on, timezone.localdate(returned, timezone.get_default_timezone()))
        submission.save(update_fields=["due_on"])


def _locked(submission: Submission) -> Submission:
    locked = Submission.objects.select_for_update().get(pk=submission.pk)
    submission.status = locked.status
    return locked


def _payment_requested_from(submission: Submission) -> str:
    """Where the case stood when it began to wait for payment: nowhere (paid at submit) or
    審査中 (a 事後決済 request), read from the timeline's last arrival at お支払い待ち."""
    event = (submission.events.filter(to_status=Status.AWAITING_PAYMENT)
             .order_by("-at", "-id").only("from_status").first())
    return event.from_status if event is not None else ""


@transaction.atomic
def payment_received(submission: Submission, actor: Actor, **detail) -> Submission:
    """The fee is paid (payments.services.settle calls this): お支払い待ち → 受付待ち, or back to
    審査中 when the payment was requested after review. Paid again (a webhook after the
    return page, a retry) it changes nothing and says so by returning the case as it is."""
    locked = _locked(submission)
    if locked.status != Status.AWAITING_PAYMENT:
        return locked
    target = (Status.ACCEPTED if _payment_requested_from(locked) == Status.ACCEPTED
              else Status.SUBMITTED)
    transition(locked, target, actor, **detail)
    submission.status = locked.status
    return locked


@transaction.atomic
def await_payment(submission: Submission, quote_or_amount, actor: Actor, note: str = "") -> Submission:
    """事後決済: the department fixes the amount while the case is 審査中 and asks the resident
    to pay it (審査中 → お支払い待ち; the timeline, the audit log and a mail say so).

    `quote_or_amount` is a FeeQuote or a whole number of yen (read as one line 手数料); the
    amount and its lines are stored on the submission, where the payment page reads them."""
    amount_refused = SubmissionRefused(_("請求する金額を1円以上の整数で指定してください。"),
                                       {"amount_yen": _("1円以上の整数（円）で指定してください")})
    if isinstance(quote_or_amount, FeeQuote):
        fee = quote_or_amount
    elif type(quote_or_amount) is int and quote_or_amount > 0:  # never a float, never a bool
        procedure = procedure_of_record(submission.municipality, submission.procedure_code)
        fee = FeeQuote.fixed(quote_or_amount, revenue_code=procedure.payment.revenue_code)
    else:
        raise amount_refused
    if fee.deferred or fee.total_yen <= 0:
        raise amount_refused
    locked = _locked(submission)
    try:
        action_for(locked.status, Status.AWAITING_PAYMENT)
    except TransitionError:
        raise SubmissionRefused(_("審査中の申請にだけ、手数料を請求できます。")) from None
    locked.fee_yen = fee.total_yen
    locked.fee_lines = fee.as_json()
    locked.fee_deferred = True  # fixed after review: the queue keeps showing it (未納)
    locked.save(update_fields=["fee_yen", "fee_lines", "fee_deferred", "updated_at"])
    transition(locked, Status.AWAITING_PAYMENT, actor, note=note, amount_yen=fee.total_yen)
    for name in ("fee_yen", "fee_lines", "fee_deferred", "status"):
        setattr(submission, name, getattr(locked, name))
    return locked


@transaction.atomic
def withdraw(submission: Submission, actor: Actor) -> None:
    """取下げ by the resident, while the department has not yet proposed a decision."""
    locked = Submission.objects.select_for_update().get(pk=submission.pk)
    try:
        transition(locked, Status.WITHDRAWN, actor)
    except TransitionError:
        raise SubmissionRefused(_("決裁に進んでいるため、取り下げできません。担当課にお問い合わせください。")) from None
    Draft.objects.filter(correcting=locked, submitted_at__isnull=True).delete()


def transition(submission: Submission, target: str, actor: Actor, note: str = "", reason: str = "",
               **detail) -> None:
    """Move a submission along the state machine; the caller holds the transaction. `reason` is
    a 差戻し's category (ReturnReason), kept on the event and in the audit detail.

    A case held for a 支援措置 decision (protection_holds.guard) refuses what the hold stops
    with a TransitionError, before anything is written."""
    action = action_for(submission.status, target)
    protection_holds.guard(submission, action, detail)
    SubmissionEvent.objects.create(
        submission=submission, from_status=submission.status, to_status=target,
        actor_kind=actor.kind, actor_ref=actor.ref, note=note, reason=reason,
    )
    submission.status = target
    submission.save(update_fields=["status", "updated_at"])
    if reason:
        detail["reason"] = reason
    audit.record(submission.municipality, actor, action, "submission", submission.public_id,
                 subject_ref=submission.subject_ref, **detail)
    if target in {Status.RETURNED, Status.APPROVED, Status.REJECTED, Status.AWAITING_PAYMENT}:
        # 承認 issues a 決定通知書 (casework, before this transition); a 届出's 受理 issues none.
        notice = submission.documents.filter(kind=IssuedDocument.Kind.NOTICE).exists() \
            if target == Status.APPROVED else False
        _mail(submission, f"status_{target}", {"submission": submission, "note": note, "notice": notice},
              f"status:{submission.pk}:{submission.events.count()}")


@transaction.atomic
def post_message(submission: Submission, body: str, actor: Actor, staff_user=None) -> Message:
    text = body.strip()
    if not text:
        raise SubmissionRefused(_("メッセージを入力してください。"))
    if len(text) > 2000:
        raise SubmissionRefused(_("メッセージは2000文字以内で入力してください。"))
    sender = Message.Sender.DEPARTMENT if staff_user else Message.Sender.RESIDENT
    message = Message.objects.create(submission=submission, sender=sender, staff_user=staff_user,
                                     body=encrypt_bytes(text.encode(), submission.municipality_id))
    audit.record(submission.municipality, actor, "message", "submission", submission.public_id,
                 subject_ref=submission.subject_ref, sender=sender)
    if staff_user:
        _mail(submission, "message", {"submission": submission}, f"message:{message.pk}")
    return message


def message_text(message: Message) -> str:
    return decrypt_bytes(message.body).decode()


def issue_document(submission: Submission, kind: str, title: str, pdf: bytes,
                   public_id=None) -> IssuedDocument:
    extra = {"public_id": public_id} if public_id else {}
    return IssuedDocument.objects.create(
        submission=submission, kind=kind, title=title, data=encrypt_bytes(pdf, submission.municipality_id), **extra,
        sha256=hashlib.sha256(pdf).hexdigest(),
    )


def document_bytes(document: IssuedDocument) -> bytes:
    return decrypt_bytes(document.data)
