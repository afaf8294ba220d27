"""The counter session: call, identify, pick the event, check, sign.

Every register look-up goes through register.selectors with the visit as the reason
("counter-session:<id>"), so the audit log ties each look-up to one visit. The bundle itself
is built in bundle.py.
"""

import struct

from django.db import transaction
from django.utils import timezone

from madoguchi.core import audit
from madoguchi.core.actors import Actor
from madoguchi.core.crypto import encrypt_bytes
from madoguchi.counter import bundle
from madoguchi.counter.models import CounterVisit, Identified, Signature, VisitStatus
from madoguchi.navigator import services as navigator
from madoguchi.navigator.models import NavigatorPlan
from madoguchi.navigator.selectors import plan_by_token
from madoguchi.register.codes import Status
from madoguchi.register.models import Resident
from madoguchi.register.selectors import find_by_card_face, find_by_kana

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
MAX_SIGNATURE_BYTES = 512 * 1024
MAX_SIGNATURE_SIDE = 4000


class VisitRefused(Exception):
    """The step was not taken; the message is plain Japanese for the clerk."""


def start_visit(municipality, clerk, actor: Actor) -> CounterVisit:
    """The clerk calls the next visitor."""
    visit = CounterVisit.objects.create(municipality=municipality, clerk=clerk)
    audit.record(municipality, actor, "counter_start", "counter_visit", visit.public_id)
    return visit


def _open(visit: CounterVisit) -> None:
    if visit.status != VisitStatus.OPEN:
        raise VisitRefused("この受付は来庁者の確認が済んでいるため、変更できません。")


def _set_person(visit: CounterVisit, actor: Actor, resident: Resident, how: str,
                represented: bool) -> None:
    if represented:
        visit.represented = resident
        fields = ["represented"]
    else:
        visit.visitor, visit.identified_by = resident, how
        fields = ["visitor", "identified_by"]
    visit.save(update_fields=fields)
    audit.record(visit.municipality, actor, "counter_identify", "counter_visit", visit.public_id,
                 subject_ref=resident.ref, method=how, represented=represented)


def identify_by_card(visit: CounterVisit, actor: Actor, face) -> Resident:
    """The card's 券面事項 (identity.card.pkcs11.CardFace, read on the counter PC) name the visitor."""
    _open(visit)
    found = find_by_card_face(visit.municipality, actor, visit.ref, face)
    if len(found) != 1:
        raise VisitRefused("カードの券面事項に一致する住民記録が見つかりません。"
                           "フリガナと生年月日で検索してください。")
    _set_person(visit, actor, found[0], Identified.CARD, represented=False)
    return found[0]


def search_by_kana(visit: CounterVisit, actor: Actor, kana: str, birth_date) -> list[Resident]:
    """Candidates for the clerk to choose from (the look-up is audited with the visit)."""
    return find_by_kana(visit.municipality, actor, visit.ref, kana, birth_date)


def choose(visit: CounterVisit, actor: Actor, resident_id: int, represented: bool = False) -> Resident:
    """The clerk picks the visitor (or, with a proxy, the represented resident) from a search."""
    _open(visit)
    resident = Resident.objects.filter(municipality=visit.municipality, pk=resident_id,
                                       status=Status.RESIDENT).first()
    if resident is None:
        raise VisitRefused("選んだ住民が見つかりません。もう一度検索してください。")
    _set_person(visit, actor, resident, Identified.KANA, represented)
    return resident


def set_proxy(visit: CounterVisit, name: str, relationship: str) -> None:
    """A 代理人 came: their name and relationship as the clerk read them from their ID."""
    _open(visit)
    name, relationship = (name or "").strip(), (relationship or "").strip()
    if not name or not relationship:
        raise VisitRefused("代理人の氏名と、本人との関係を入力してください。")
    visit.proxy_name, visit.proxy_relationship = name[:50], relationship[:30]
    visit.save(update_fields=["proxy_name", "proxy_relationship"])


def load_plan(visit: CounterVisit, token: str) -> NavigatorPlan:
    """The QR code the resident made at home with the navigator."""
    _open(visit)
    plan = plan_by_token(visit.municipality, (token or "").strip())
    if plan is None:
        raise VisitRefused("このQRコードの回答は見つかりません。期限切れの場合は、できごとを選び直してください。")
    visit.plan, visit.event = plan, plan.event
    visit.save(update_fields=["plan", "event"])
    return plan


def start_event(visit: CounterVisit, event_id: str) -> NavigatorPlan:
    """The clerk goes through the navigator's questions with the visitor: a new plan."""
    _open(visit)
    try:
        plan = navigator.start_plan(visit.municipality, event_id)
    except LookupError:
        raise VisitRefused("このできごとは選べません。") from None
    visit.plan, visit.event = plan, plan.event
    visit.save(update_fields=["plan", "event"])
    return plan


@transaction.atomic
def confirm(visit: CounterVisit, actor: Actor) -> None:
    """The visitor has checked every form on the tablet: nothing may be blank any more."""
    visit = CounterVisit.objects.select_for_update().get(pk=visit.pk)
    _open(visit)
    entries = bundle.entries(visit)
    if not entries:
        raise VisitRefused("手続の書類がまだありません。")
    if any(e.blanks for e in entries):
        raise VisitRefused("まだ入力されていない項目があります。")
    visit.status = VisitStatus.CHECKED
    visit.save(update_fields=["status"])
    audit.record(visit.municipality, actor, "counter_confirm", "counter_visit", visit.public_id)


def _png_size(image: bytes) -> tuple[int, int]:
    if not image.startswith(PNG_MAGIC) or image[12:16] != b"IHDR" or len(image) < 24:
        raise VisitRefused("署名の画像を読み取れませんでした。もう一度署名してください。")
    return struct.unpack(">II", image[16:24])


@transaction.atomic
def sign(visit: CounterVisit, actor: Actor, image: bytes) -> Signature:
    """The visitor's one signature (a PNG from the tablet's canvas) over the checked bundle."""
    visit = CounterVisit.objects.select_for_update().get(pk=visit.pk)
    if visit.status != VisitStatus.CHECKED:
        raise VisitRefused("署名の前に、来庁者に内容を確認していただいてください。")
    if len(image) > MAX_SIGNATURE_BYTES:
        raise VisitRefused("署名の画像が大きすぎます。もう一度署名してください。")
    width, height = _png_size(image)
    if not (0 < width <= MAX_SIGNATURE_SIDE and 0 < height <= MAX_SIGNATURE_SIDE):
        raise VisitRefused("署名の画像を読み取れませんでした。もう一度署名してください。")
    signature = Signature.objects.create(visit=visit, image=encrypt_bytes(image))
    visit.status, visit.signed_at = VisitStatus.SIGNED, timezone.now()
    visit.save(update_fields=["status", "signed_at"])
    audit.record(visit.municipality, actor, "counter_sign", "counter_visit", visit.public_id)
    return signature


@transaction.atomic
def signed_on_paper(visit: CounterVisit, actor: Actor) -> None:
    """No tablet: the visitor signed the printed A4 summary, which the clerk keeps."""
    visit = CounterVisit.objects.select_for_update().get(pk=visit.pk)
    if visit.status != VisitStatus.CHECKED:
        raise VisitRefused("署名の前に、来庁者に内容を確認していただいてください。")
    visit.status, visit.signed_at = VisitStatus.SIGNED, timezone.now()
    visit.save(update_fields=["status", "signed_at"])
    audit.record(visit.municipality, actor, "counter_sign", "counter_visit", visit.public_id, on="paper")
