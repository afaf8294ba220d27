"""The ticket machine (発券機): big buttons per purpose, a reservation check-in, the printed ticket.

Plain forms: works with touch, keyboard and without JavaScript. Each screen carries a fresh form
token, so a double tap or a reload issues one ticket, not two.
"""

import secrets

from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from madoguchi.queueing import estimate, qr, reservations, selectors, services, texts
from madoguchi.queueing.models import VisitPurpose
from madoguchi.queueing.services import QueueError


def _minutes(t: dict, wait: int | None) -> str:
    if wait is None:
        return t["closed"]
    return t["soon"] if wait == 0 else t["minutes"].format(n=wait)


def _groups(request, lang: str) -> list[dict]:
    t = texts.KIOSK[lang]
    rows = []
    for group in selectors.groups_of(request.municipality):
        snapshot = selectors.Snapshot(group)
        wait = snapshot.new_arrival()
        rows.append({
            "group": group, "name": texts.name(group, lang), "waiting": len(snapshot.line),
            "waiting_text": t["people"].format(n=len(snapshot.line)),
            "wait_text": _minutes(t, None if wait is None else estimate.round_up(wait)),
            "purposes": [{"purpose": p, "name": texts.name(p, lang)} for p in group.purposes.all()],
        })
    return rows


def kiosk(request, error: str = "", status: int = 200):
    lang = texts.language(request)
    return render(request, "queueing/kiosk.html", {
        "lang": lang, "t": texts.KIOSK[lang], "html_lang": texts.HTML_LANG[lang],
        "languages": texts.LANGUAGES, "groups": _groups(request, lang),
        "form_token": secrets.token_urlsafe(16), "error": error,
    }, status=status)


@require_POST
def issue(request):
    lang = texts.language(request)
    purpose = VisitPurpose.objects.select_related("group").filter(
        pk=request.POST.get("purpose") or 0, group__municipality=request.municipality).first()
    form_token = request.POST.get("form_token", "")
    if purpose is None or not form_token:
        return kiosk(request, "ご用件を選んでください。", status=400)
    ticket, _created = services.issue_ticket(purpose, form_token[:64])
    return redirect(f"{reverse('queueing:kiosk_ticket', args=[ticket.token])}?lang={lang}")


@require_POST
def check_in(request):
    try:
        ticket, _created = reservations.check_in(request.municipality, request.POST.get("code", ""))
    except QueueError as error:
        return kiosk(request, str(error), status=400)
    return redirect(f"{reverse('queueing:kiosk_ticket', args=[ticket.token])}?lang={texts.language(request)}")


def kiosk_ticket(request, token: str):
    """The printable ticket: number, group, the wait now and a QR for the phone."""
    ticket = selectors.ticket_by_token(token)
    if ticket is None or ticket.municipality_id != request.municipality.pk:
        raise Http404
    lang = texts.language(request)
    t = texts.KIOSK[lang]
    snapshot = selectors.Snapshot(ticket.group)
    ahead = snapshot.position(ticket)
    status_url = qr.public_url(reverse("queueing:status", args=[ticket.token]) + f"?lang={lang}")
    reserved = None
    if ticket.reservation_id:
        reserved = t["reserved_ticket"].format(
            time=f"{timezone.localtime(ticket.reservation.slot.starts_at):%H:%M}")
    return render(request, "queueing/ticket.html", {
        "ticket": ticket, "lang": lang, "t": t, "html_lang": texts.HTML_LANG[lang],
        "group_name": texts.name(ticket.group, lang), "purpose_name": texts.name(ticket.purpose, lang),
        "ahead_text": None if ahead is None else t["ahead"].format(n=ahead),
        "estimate_text": _minutes(t, ticket.estimate_minutes), "reserved": reserved,
        "qr": qr.svg(status_url), "status_url": status_url,
    })
