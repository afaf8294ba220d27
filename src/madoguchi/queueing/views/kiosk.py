"""The ticket machine (発券機): big buttons per purpose, a reservation check-in, the printed ticket.

Plain forms: works with touch, keyboard and without JavaScript. Each screen carries a fresh form
token, so a double tap or a reload issues one ticket, not two.
"""

import secrets

from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.views.decorators.http import require_POST

from madoguchi.core import i18n
from madoguchi.queueing import estimate, qr, reservations, selectors, services, texts
from madoguchi.queueing.models import VisitPurpose
from madoguchi.queueing.services import QueueError


def _groups(request, lang: str) -> list[dict]:
    rows = []
    for group in selectors.groups_of(request.municipality):
        snapshot = selectors.Snapshot(group)
        wait = snapshot.new_arrival()
        rows.append({
            "group": group, "name": texts.name(group, lang), "waiting": len(snapshot.line),
            "waiting_text": texts.people(len(snapshot.line)),
            "wait_text": texts.minutes(None if wait is None else estimate.round_up(wait)),
            "purposes": [{"purpose": p, "name": texts.name(p, lang)} for p in group.purposes.all()],
        })
    return rows


def kiosk(request, error: str = "", status: int = 200):
    """The kiosk is shared: a visitor's language is for that visitor only; 「はじめにもどる」
    (and the ticket screen's return) opens it with ?lang=ja for the next one."""
    lang = texts.language(request)
    return render(request, "queueing/kiosk.html", {
        "lang": lang, "languages": i18n.names(), "groups": _groups(request, lang),
        "form_token": secrets.token_urlsafe(16), "error": error,
    }, status=status)


@require_POST
def issue(request):
    lang = texts.language(request)
    purpose = VisitPurpose.objects.select_related("group").filter(
        pk=request.POST.get("purpose") or 0, group__municipality=request.municipality).first()
    form_token = request.POST.get("form_token", "")
    if purpose is None or not form_token:
        return kiosk(request, gettext("ご用件を選んでください。"), status=400)
    ticket, _created = services.issue_ticket(purpose, form_token[:64], language=lang)
    return redirect(i18n.with_language(reverse("queueing:kiosk_ticket", args=[ticket.token]), lang))


@require_POST
def check_in(request):
    try:
        ticket, _created = reservations.check_in(request.municipality, request.POST.get("code", ""))
    except QueueError as error:
        return kiosk(request, str(error), status=400)
    return redirect(i18n.with_language(reverse("queueing:kiosk_ticket", args=[ticket.token]), texts.language(request)))


def kiosk_ticket(request, token: str):
    """The printable ticket: number, group, the wait now and a QR for the phone."""
    ticket = selectors.ticket_by_token(token)
    if ticket is None or ticket.municipality_id != request.municipality.pk:
        raise Http404
    lang = texts.language(request)
    snapshot = selectors.Snapshot(ticket.group)
    ahead = snapshot.position(ticket)
    status_url = qr.public_url(request.municipality, i18n.with_language(reverse("queueing:status", args=[ticket.token]), lang))
    reserved = None
    if ticket.reservation_id:
        reserved = gettext("予約の方（%(time)sから優先してお呼びします）") % {
            "time": f"{timezone.localtime(ticket.reservation.slot.starts_at):%H:%M}"}
    return render(request, "queueing/ticket.html", {
        "ticket": ticket, "lang": lang,
        "group_name": texts.name(ticket.group, lang), "purpose_name": texts.name(ticket.purpose, lang),
        "ahead_text": None if ahead is None else ngettext(
            "あなたの前に%(n)s人", "あなたの前に%(n)s人", ahead) % {"n": ahead},
        "estimate_text": texts.minutes(ticket.estimate_minutes), "reserved": reserved,
        "qr": qr.svg(status_url), "status_url": status_url,
    })
