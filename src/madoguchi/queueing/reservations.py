"""Reservations: book, change, cancel by token, check in at the kiosk, remind the day before.

A slot's capacity is window-minutes (its length × the windows set aside); a booking uses its
purpose's expected minutes. Booking locks the slot's row, so two visitors can never both take
the last place. Priority rule: a checked-in reserved visitor is called ahead of walk-in
tickets from the start of the slot (selectors.call_order); one who checks in early waits in the
ordinary line until then.
"""

import re
import secrets
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext

from madoguchi.core.crypto import decrypt_bytes, encrypt_bytes
from madoguchi.queueing import notices
from madoguchi.queueing.models import Reservation, ReservationSlot, VisitPurpose
from madoguchi.queueing.services import QueueError, issue_ticket

CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: read aloud and typed
CHECK_IN_EARLY = timedelta(minutes=60)
CHECK_IN_LATE = timedelta(minutes=30)


def booked_minutes(slot: ReservationSlot, excluding: Reservation | None = None) -> int:
    booked = Reservation.objects.filter(slot=slot, cancelled_at__isnull=True)
    if excluding is not None:
        booked = booked.exclude(pk=excluding.pk)
    return booked.aggregate(m=Sum("purpose__expected_minutes"))["m"] or 0


def fits(slot: ReservationSlot, purpose: VisitPurpose, excluding: Reservation | None = None) -> bool:
    return booked_minutes(slot, excluding) + purpose.expected_minutes <= slot.capacity_minutes


def open_slots(purpose: VisitPurpose, now: datetime | None = None, days: int = 14) -> list[ReservationSlot]:
    """Future slots of the purpose's group with room for it."""
    now = now or timezone.now()
    slots = ReservationSlot.objects.filter(group=purpose.group, starts_at__gt=now,
                                           starts_at__lte=now + timedelta(days=days))
    return [slot for slot in slots if fits(slot, purpose)]


def _lock_slot(slot: ReservationSlot) -> ReservationSlot:
    return ReservationSlot.objects.select_for_update().select_related("group").get(pk=slot.pk)


def _check_bookable(slot: ReservationSlot, purpose: VisitPurpose, now: datetime, excluding=None) -> None:
    if purpose.group_id != slot.group_id or not purpose.reservable:
        raise QueueError(gettext("この用件はこの時間帯では予約できません。"))
    if slot.starts_at <= now:
        raise QueueError(gettext("過ぎた時間帯は予約できません。"))
    if not fits(slot, purpose, excluding):
        raise QueueError(gettext("この時間帯は予約でいっぱいです。別の時間帯を選んでください。"))


def _new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))


def book(slot: ReservationSlot, purpose: VisitPurpose, form_token: str, email: str = "",
         now: datetime | None = None, language: str = "ja") -> Reservation:
    """Book a place; the same form token returns the booking already made (no double booking).
    `language`: the booker's page language, kept for the reservation's mails and links."""
    now = now or timezone.now()
    municipality_id = slot.group.municipality_id
    existing = Reservation.objects.filter(municipality_id=municipality_id, form_token=form_token).first()
    if existing:
        return existing
    for _attempt in range(5):
        try:
            with transaction.atomic():
                slot = _lock_slot(slot)
                _check_bookable(slot, purpose, now)
                reservation = Reservation.objects.create(
                    municipality_id=municipality_id, slot=slot, purpose=purpose, code=_new_code(),
                    form_token=form_token, contact=encrypt_bytes(email.encode(), municipality_id) if email else None,
                    language=language or "ja")
                if email:
                    notices.tell_reservation(reservation, email, "reserved", f"queue-reserved:{reservation.pk}")
                return reservation
        except IntegrityError:
            existing = Reservation.objects.filter(municipality_id=municipality_id, form_token=form_token).first()
            if existing:
                return existing
    raise QueueError(gettext("予約できませんでした。もう一度お試しください。"))


@transaction.atomic
def change(reservation: Reservation, slot: ReservationSlot, now: datetime | None = None) -> Reservation:
    now = now or timezone.now()
    if reservation.cancelled_at or hasattr(reservation, "ticket"):
        raise QueueError(gettext("この予約は変更できません。"))
    slot = _lock_slot(slot)
    _check_bookable(slot, reservation.purpose, now, excluding=reservation)
    reservation.slot = slot
    reservation.reminded_at = None
    reservation.save(update_fields=["slot", "reminded_at"])
    return reservation


@transaction.atomic
def cancel(reservation: Reservation, now: datetime | None = None) -> None:
    if hasattr(reservation, "ticket"):
        raise QueueError(gettext("受付済みの予約は取り消せません。"))
    if reservation.cancelled_at is None:
        reservation.cancelled_at = now or timezone.now()
        reservation.save(update_fields=["cancelled_at"])


def find(municipality, entered: str) -> Reservation | None:
    """The reservation from what the kiosk read: the QR's URL (with its token) or the typed code."""
    entered = entered.strip()
    token = re.search(r"/r/([A-Za-z0-9_-]{16,32})/?", entered)
    reservations = Reservation.objects.select_related("slot__group", "purpose").filter(
        municipality=municipality, cancelled_at__isnull=True)
    if token:
        return reservations.filter(token=token.group(1)).first()
    code = re.sub(r"[\s-]", "", entered).upper()
    return reservations.filter(code=code).first() if len(code) == 8 else None


def check_in(municipality, entered: str, now: datetime | None = None):
    """Turn a reservation into a ticket at the kiosk, within an hour before to 30 minutes after.
    One ticket per reservation, however often it is scanned."""
    now = now or timezone.now()
    reservation = find(municipality, entered)
    if reservation is None:
        raise QueueError(gettext("予約が見つかりません。予約番号をお確かめください。"))
    if hasattr(reservation, "ticket"):
        return reservation.ticket, False
    slot = reservation.slot
    if now < slot.starts_at - CHECK_IN_EARLY:
        raise QueueError(gettext("受付は予約時刻の1時間前からです（%(time)s の予約）。") % {
            "time": f"{timezone.localtime(slot.starts_at):%H:%M}"})
    if now > slot.ends_at + CHECK_IN_LATE:
        raise QueueError(gettext("予約の時間を過ぎています。番号札をお取りください。"))
    ticket = issue_ticket(reservation.purpose, f"reservation:{reservation.pk}", now, reservation=reservation)
    Reservation.objects.filter(pk=reservation.pk).update(contact=None)  # no reminder needed now
    return ticket


def remind(now: datetime | None = None) -> int:
    """Mail everyone with an address whose slot is tomorrow (once each): `madoguchi queue_reminders`."""
    now = now or timezone.now()
    tomorrow = timezone.localdate(now) + timedelta(days=1)
    due = Reservation.objects.select_related("slot__group__municipality", "purpose").filter(
        cancelled_at__isnull=True, reminded_at__isnull=True, contact__isnull=False,
        slot__starts_at__date=tomorrow)
    sent = 0
    for reservation in due:
        with transaction.atomic():
            notices.tell_reservation(reservation, decrypt_bytes(reservation.contact).decode(), "reminder",
                                     f"queue-remind:{reservation.pk}:{reservation.slot_id}")
            reservation.reminded_at = now
            reservation.save(update_fields=["reminded_at"])
        sent += 1
    return sent
