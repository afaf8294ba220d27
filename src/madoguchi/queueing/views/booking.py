"""Reservations online, no login: choose a purpose and a slot, get a link and a code; change or
cancel through the link (its token is the only key, and it holds nothing personal)."""

import secrets

from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from madoguchi.core import i18n
from madoguchi.core.email_address import InvalidEmailAddress, normalize_email
from madoguchi.queueing import qr, reservations, selectors, texts
from madoguchi.queueing.models import Reservation, ReservationSlot, VisitPurpose
from madoguchi.queueing.services import QueueError


def _purpose(request, purpose_id) -> VisitPurpose:
    purpose = VisitPurpose.objects.select_related("group").filter(
        pk=purpose_id, reservable=True, group__municipality=request.municipality).first()
    if purpose is None:
        raise Http404
    return purpose


def choose(request):
    return render(request, "queueing/reserve_choose.html", {"groups": selectors.groups_of(request.municipality)})


def slots(request, purpose_id: int, error: str = "", status: int = 200):
    purpose = _purpose(request, purpose_id)
    return render(request, "queueing/reserve_slots.html", {
        "purpose": purpose, "slots": reservations.open_slots(purpose), "error": error,
        "form_token": secrets.token_urlsafe(16), "email": request.POST.get("email", ""),
    }, status=status)


def _slot(purpose: VisitPurpose, slot_id) -> ReservationSlot | None:
    return ReservationSlot.objects.select_related("group").filter(
        pk=slot_id if str(slot_id or "").isdigit() else 0, group=purpose.group).first()


@require_POST
def book(request, purpose_id: int):
    purpose = _purpose(request, purpose_id)
    slot = _slot(purpose, request.POST.get("slot"))
    email = request.POST.get("email", "").strip()
    if slot is None:
        return slots(request, purpose_id, gettext("時間帯を選んでください。"), status=400)
    if email:
        try:
            email = normalize_email(email)
        except InvalidEmailAddress:
            return slots(request, purpose_id, gettext("メールアドレスを正しく入力してください。"), status=400)
    try:
        reservation = reservations.book(slot, purpose, request.POST.get("form_token", "")[:64]
                                        or secrets.token_urlsafe(16), email, language=texts.language(request))
    except QueueError as error:
        return slots(request, purpose_id, str(error), status=409)
    return redirect(reverse("queueing:reservation", args=[reservation.token]) + "?new=1")


def _reservation(request, token: str) -> Reservation:
    reservation = Reservation.objects.select_related("slot__group", "purpose").filter(
        token=token, municipality=request.municipality).first()
    if reservation is None:
        raise Http404
    return reservation


def detail(request, token: str, error: str = "", status: int = 200):
    reservation = _reservation(request, token)
    url = qr.public_url(request.municipality, i18n.with_language(reverse("queueing:reservation", args=[reservation.token]),
                                           texts.language(request)))
    return render(request, "queueing/reservation.html", {
        "reservation": reservation, "qr": qr.svg(url), "error": error, "new": request.GET.get("new"),
        "lang": texts.language(request),
        "checked_in": hasattr(reservation, "ticket"),
        "other_slots": [s for s in reservations.open_slots(reservation.purpose) if s.pk != reservation.slot_id],
    }, status=status)


@require_POST
def change(request, token: str):
    reservation = _reservation(request, token)
    slot = _slot(reservation.purpose, request.POST.get("slot"))
    try:
        if slot is None:
            raise QueueError(gettext("時間帯を選んでください。"))
        reservations.change(reservation, slot)
    except QueueError as error:
        return detail(request, token, str(error), status=409)
    return redirect("queueing:reservation", token=token)


@require_POST
def cancel(request, token: str):
    reservation = _reservation(request, token)
    try:
        reservations.cancel(reservation)
    except QueueError as error:
        return detail(request, token, str(error), status=409)
    return redirect("queueing:reservation", token=token)
