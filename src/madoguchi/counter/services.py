"""The counter session: call, identify, pick the event, check, sign.

Every register look-up goes through register.selectors with the visit as the reason
("counter-session:<id>"), so the audit log ties each look-up to one visit. The bundle itself
is built in bundle.py.
"""

import struct

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from madoguchi.applications import services as applications
from madoguchi.applications.models import IssuedDocument, Submission
from madoguchi.catalog.selectors import procedure_of_record
from madoguchi.core import audit, i18n
from madoguchi.core.actors import Actor
from madoguchi.core.crypto import decrypt_bytes, encrypt_bytes
from madoguchi.core.roles import departments_of
from madoguchi.counter import bundle, pdf
from madoguchi.counter.models import CounterVisit, Identified, Signature, VisitStatus
from madoguchi.counter.protected import came_in_person, protected_people
from madoguchi.navigator import services as navigator
from madoguchi.navigator.models import NavigatorPlan
from madoguchi.navigator.selectors import plan_by_token
from madoguchi.queueing import selectors as queue_selectors
from madoguchi.queueing import services as queue
from madoguchi.queueing.models import Ticket, TicketStatus
from madoguchi.register.codes import CURRENT, DatePrecision, Status
from madoguchi.register.models import Resident
from madoguchi.register.selectors import find_by_card_face, find_by_kana, household_members
from madoguchi.register.services import linked_account

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
MAX_SIGNATURE_BYTES = 512 * 1024
MAX_SIGNATURE_SIDE = 4000


class VisitRefused(Exception):
    """The step was not taken; the message is plain Japanese for the clerk."""


@transaction.atomic
def start_visit(municipality, clerk, actor: Actor, ticket: Ticket | None = None) -> CounterVisit:
    """The clerk calls the next visitor. With the queue ticket called to the clerk's window the
    visit starts at that call (so its duration runs from it) and the ticket is being served."""
    visit = CounterVisit.objects.create(municipality=municipality, clerk=clerk)
    if ticket is not None:
        _take_ticket(visit, clerk, actor, ticket)
    audit.record(municipality, actor, "counter_start", "counter_visit", visit.public_id,
                 ticket=ticket.pk if ticket else None)
    return visit


def _take_ticket(visit: CounterVisit, clerk, actor: Actor, ticket: Ticket) -> None:
    serving = queue_selectors.at_windows_of(visit.municipality, departments_of(clerk, visit.municipality))
    if ticket not in serving:
        raise VisitRefused(_("この番号札は、担当の窓口で呼び出し中ではありません。"))
    if CounterVisit.objects.filter(ticket=ticket).exists():
        raise VisitRefused(_("%(ticket)s の方の受付はもう始まっています。") % {"ticket": ticket.label})
    if ticket.status == TicketStatus.CALLED:
        ticket = queue.act(ticket, "start", actor)
    visit.ticket, visit.called_at = ticket, ticket.called_at
    visit.save(update_fields=["ticket", "called_at"])


def _open(visit: CounterVisit) -> None:
    if visit.status != VisitStatus.OPEN:
        raise VisitRefused(_("この受付は来庁者の確認が済んでいるため、変更できません。"))


def _set_person(visit: CounterVisit, actor: Actor, resident: Resident, how: str,
                represented: bool) -> None:
    if represented:
        visit.represented = resident
        fields = ["represented"]
    else:
        visit.visitor, visit.identified_by = resident, how
        fields = ["visitor", "identified_by"]
    visit.protected_person_confirmed = False  # a new person: the clerk confirms again
    fields.append("protected_person_confirmed")
    if visit.plan_id and not visit.plan.answers:  # the event was chosen before the visitor
        visit.known_from_register = _answer_from_register(visit, visit.plan, actor)
        fields.append("known_from_register")
    visit.save(update_fields=fields)
    audit.record(visit.municipality, actor, "counter_identify", "counter_visit", visit.public_id,
                 subject_ref=resident.ref, method=how, represented=represented)


def identify_by_card(visit: CounterVisit, actor: Actor, face) -> Resident:
    """The card's 券面事項 (identity.card.pkcs11.CardFace, read on the counter PC) name the visitor."""
    _open(visit)
    found = find_by_card_face(visit.municipality, actor, visit.ref, face)
    if len(found) != 1:
        raise VisitRefused(_("カードの券面事項に一致する住民記録が見つかりません。"
                             "フリガナと生年月日で検索してください。"))
    _set_person(visit, actor, found[0], Identified.CARD, represented=False)
    return found[0]


# Whom the clerk may pick: the visitor is a current resident; the represented resident may
# also be one whose death is already registered (おくやみ), never one who moved away.
CHOOSABLE = {False: CURRENT, True: (*CURRENT, Status.DECEASED)}


def search_by_kana(visit: CounterVisit, actor: Actor, kana: str, birth_date,
                   include_deceased: bool = False) -> list[Resident]:
    """Candidates for the clerk to choose from (the look-up is audited with the visit). For an
    おくやみ visit the deceased may already be off the register: `include_deceased` finds them."""
    found = find_by_kana(visit.municipality, actor, visit.ref, kana, birth_date,
                         include_former=include_deceased)
    allowed = CHOOSABLE[include_deceased]
    return [r for r in found if r.status in allowed]


def choose(visit: CounterVisit, actor: Actor, resident_id: int, represented: bool = False) -> Resident:
    """The clerk picks the visitor (or, with a proxy, the represented resident) from a search."""
    _open(visit)
    resident = Resident.objects.filter(municipality=visit.municipality, pk=resident_id,
                                       status__in=CHOOSABLE[represented]).first()
    if resident is None:
        raise VisitRefused(_("選んだ住民が見つかりません。もう一度検索してください。"))
    _set_person(visit, actor, resident, Identified.KANA, represented)
    return resident


def confirm_protected_person(visit: CounterVisit, actor: Actor) -> None:
    """「来庁者が支援措置の対象者本人であることを確認した」: only when the visitor is the protected
    person; the bundle is built again with the register's addresses. Audited."""
    _open(visit)
    if visit.visitor is None or visit.visitor.pk not in protected_people(visit):
        raise VisitRefused(_("来庁者が支援措置の対象者本人であるときだけ確認できます。"))
    visit.protected_person_confirmed = True
    visit.save(update_fields=["protected_person_confirmed"])
    audit.record(visit.municipality, actor, "counter_protected_person_confirmed", "counter_visit",
                 visit.public_id, subject_ref=visit.visitor.ref)


def set_proxy(visit: CounterVisit, name: str, relationship: str) -> None:
    """A 代理人 came: their name and relationship as the clerk read them from their ID."""
    _open(visit)
    name, relationship = (name or "").strip(), (relationship or "").strip()
    if not name or not relationship:
        raise VisitRefused(_("代理人の氏名と、本人との関係を入力してください。"))
    visit.proxy_name, visit.proxy_relationship = name[:50], relationship[:30]
    visit.save(update_fields=["proxy_name", "proxy_relationship"])


def set_language(visit: CounterVisit, code: str) -> None:
    """The language the visitor reads on the tablet and the take-away sheet (the clerk asks)."""
    language = i18n.supported(code)
    if language is None:
        raise VisitRefused(_("この言語は選べません。"))
    visit.language = language
    visit.save(update_fields=["language"])


def load_plan(visit: CounterVisit, token: str) -> NavigatorPlan:
    """The QR code the resident made at home with the navigator."""
    _open(visit)
    plan = plan_by_token(visit.municipality, (token or "").strip())
    if plan is None:
        raise VisitRefused(_("このQRコードの回答は見つかりません。期限切れの場合は、できごとを選び直してください。"))
    navigator.drop_stale(plan)  # a plan saved before stale answers were dropped on saving
    visit.plan, visit.event = plan, plan.event
    visit.save(update_fields=["plan", "event"])
    return plan


def start_event(visit: CounterVisit, event_id: str, actor: Actor | None = None) -> NavigatorPlan:
    """The clerk goes through the navigator's questions with the visitor: a new plan. With the
    visitor chosen (and `actor` to audit the look-up), what the register knows of the household
    answers its questions at once (who moves, the children's ages), and is never asked."""
    _open(visit)
    try:
        plan = navigator.start_plan(visit.municipality, event_id)
    except LookupError:
        raise VisitRefused(_("このできごとは選べません。")) from None
    visit.plan, visit.event = plan, plan.event
    visit.known_from_register = _answer_from_register(visit, plan, actor) if actor else []
    visit.save(update_fields=["plan", "event", "known_from_register"])
    return plan


def _answer_from_register(visit: CounterVisit, plan: NavigatorPlan, actor: Actor) -> list[str]:
    subject = visit.subject
    if subject is None:
        return []
    members = household_members(visit.municipality, actor, visit.ref, subject)
    return navigator.fill_known(plan, [navigator.Member(m.relationship, m.birth_date,
                                                        exact=m.birth_date_precision == DatePrecision.DAY)
                                       for m in members], timezone.localdate())


def ask_known(visit: CounterVisit) -> None:
    """「住民記録の回答を使わずに質問する」: the visitor says the register's answer is not theirs
    (one of the household stays behind): those questions are asked like the others."""
    _open(visit)
    if visit.plan is None or not visit.known_from_register:
        return
    navigator.forget_answers(visit.plan, visit.known_from_register)
    visit.known_from_register = []
    visit.save(update_fields=["known_from_register"])


def household(visit: CounterVisit, actor: Actor) -> list[Resident]:
    """The members of the household of the resident the visit is about, for the clerk's page
    (the look-up is audited with the visit)."""
    subject = visit.subject
    return household_members(visit.municipality, actor, visit.ref, subject) if subject else []


@transaction.atomic
def confirm(visit: CounterVisit, actor: Actor) -> None:
    """The visitor has checked every form on the tablet: nothing may be blank any more."""
    visit = CounterVisit.objects.select_for_update().get(pk=visit.pk)
    _open(visit)
    entries = bundle.entries(visit)
    if not entries:
        raise VisitRefused(_("手続の書類がまだありません。"))
    if any(e.blanks for e in entries):
        raise VisitRefused(_("まだ入力されていない項目があります。"))
    visit.status = VisitStatus.CHECKED
    visit.save(update_fields=["status"])
    audit.record(visit.municipality, actor, "counter_confirm", "counter_visit", visit.public_id)


def _checked(visit: CounterVisit) -> CounterVisit:
    """The visit locked, refused unless the visitor has checked the bundle (and not yet signed)."""
    visit = CounterVisit.objects.select_for_update().get(pk=visit.pk)
    if visit.status != VisitStatus.CHECKED:
        raise VisitRefused(_("署名の前に、来庁者に内容を確認していただいてください。"))
    return visit


def _png_size(image: bytes) -> tuple[int, int]:
    if not image.startswith(PNG_MAGIC) or image[12:16] != b"IHDR" or len(image) < 24:
        raise VisitRefused(_("署名の画像を読み取れませんでした。もう一度署名してください。"))
    return struct.unpack(">II", image[16:24])


@transaction.atomic
def sign(visit: CounterVisit, actor: Actor, image: bytes) -> Signature:
    """The visitor's one signature (a PNG from the tablet's canvas) over the checked bundle."""
    visit = _checked(visit)
    if len(image) > MAX_SIGNATURE_BYTES:
        raise VisitRefused(_("署名の画像が大きすぎます。もう一度署名してください。"))
    width, height = _png_size(image)
    if not (0 < width <= MAX_SIGNATURE_SIDE and 0 < height <= MAX_SIGNATURE_SIDE):
        raise VisitRefused(_("署名の画像を読み取れませんでした。もう一度署名してください。"))
    signature = Signature.objects.create(visit=visit, image=encrypt_bytes(image, visit.municipality_id))
    visit.status, visit.signed_at = VisitStatus.SIGNED, timezone.now()
    visit.save(update_fields=["status", "signed_at"])
    audit.record(visit.municipality, actor, "counter_sign", "counter_visit", visit.public_id)
    return signature


@transaction.atomic
def signed_on_paper(visit: CounterVisit, actor: Actor) -> None:
    """No tablet: the visitor signed the printed A4 summary, which the clerk keeps."""
    visit = _checked(visit)
    visit.status, visit.signed_at = VisitStatus.SIGNED, timezone.now()
    visit.save(update_fields=["status", "signed_at"])
    audit.record(visit.municipality, actor, "counter_sign", "counter_visit", visit.public_id, on="paper")


def applicant_of(visit: CounterVisit) -> Resident | None:
    """Whose application the filed cases are: in an おくやみ visit the family member who came and
    signs; otherwise the resident the forms are about (a 代理人 applies in their name)."""
    if visit.event in bundle.SIGNED_BY_VISITOR and visit.represented and visit.visitor:
        return visit.visitor
    return visit.subject


def _title_in_japanese(visit: CounterVisit, entry) -> str:
    """What is stored is Japanese, whatever language the clerk's page is in."""
    found = procedure_of_record(visit.municipality, entry.procedure.code, language="ja")
    return found.title if found is not None else entry.procedure.title


@transaction.atomic
def file_visit(visit: CounterVisit, actor: Actor) -> list[Submission]:
    """Each signed form becomes a case in its department's queue (one receipt number each, all
    sharing the visit), with its 様式 PDF and the signature printed in for departments on paper.
    Filing twice files nothing more; the visit's time from the call to here is recorded and its
    queue ticket, if any, is finished."""
    visit = CounterVisit.objects.select_for_update().get(pk=visit.pk)
    if visit.status == VisitStatus.FILED:
        return filed_cases(visit)
    if visit.status != VisitStatus.SIGNED:
        raise VisitRefused(_("来庁者の署名の後で各課へ送付します。"))
    applicant = applicant_of(visit)
    if applicant is None:
        raise VisitRefused(_("申請者を住民記録で確認してから送付してください。"))
    account = linked_account(applicant)
    in_person = came_in_person(visit, applicant)
    signature = Signature.objects.filter(visit=visit).first()
    image = decrypt_bytes(signature.image) if signature else None
    for entry in bundle.entries(visit):
        if entry.form.submission_id:
            continue
        submission = applications.file_at_counter(
            applicant, entry.procedure, entry.form.form_version, entry.answers, entry.form.sources,
            actor, visit.public_id, account=account, in_person=in_person)
        applications.issue_document(submission, IssuedDocument.Kind.FORM,
                                    f"{_title_in_japanese(visit, entry)}（様式）",  # ja-only: a stored title
                                    pdf.render_standard_form(visit, entry, signature=image))
        entry.form.submission = submission
        entry.form.save(update_fields=["submission"])
    visit.status, visit.finished_at = VisitStatus.FILED, timezone.now()
    visit.duration_seconds = int((visit.finished_at - visit.called_at).total_seconds())
    visit.save(update_fields=["status", "finished_at", "duration_seconds"])
    if visit.ticket_id and visit.ticket.status in queue_selectors.ACTIVE:
        queue.act(visit.ticket, "finish", actor)  # the measured service time feeds the estimate
    cases = filed_cases(visit)
    audit.record(visit.municipality, actor, "counter_file", "counter_visit", visit.public_id,
                 subject_ref=applicant.ref, cases=[str(c.public_id) for c in cases],
                 duration_seconds=visit.duration_seconds)
    return cases


def filed_cases(visit: CounterVisit) -> list[Submission]:
    return list(Submission.objects.filter(municipality=visit.municipality, visit_ref=visit.public_id)
                .select_related("department").order_by("department__name", "pk"))
