"""Public pages: the phone status page, the congestion page, the waiting-room display, the
event stream and the JSON figures. No login; tickets are found by their random token only."""

import json
from datetime import date

from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIRequest
from django.http import Http404, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.views.decorators.http import require_POST

from madoguchi.core import i18n
from madoguchi.core.email_address import InvalidEmailAddress, normalize_email
from madoguchi.notify.push_subscriptions import InvalidSubscription, application_server_key
from madoguchi.queueing import events, patterns, selectors, services, texts
from madoguchi.queueing.models import Ticket, TicketStatus
from madoguchi.queueing.services import NOTICE_CHOICES, QueueError


def _ticket(request, token: str):
    ticket = selectors.ticket_by_token(token)
    if ticket is None or ticket.municipality_id != request.municipality.pk:
        raise Http404
    return ticket


def ticket_state(ticket, lang: str = "ja") -> dict:
    """What the visitor's phone shows; recomputed from the line at every request."""
    return events.ticket_state(ticket, lang)


def _status_page(request, ticket, state, lang: str, status: int = 200, **extra):
    """The visitor's phone page, in the site's language (the ticket's QR carries ?lang=; the
    site's language switch keeps the visitor on this page)."""
    return render(request, "queueing/status.html", {
        "ticket": ticket, "state": state, "lang": lang, "languages": i18n.names(),
        "title": gettext("番号札 %(label)s の状況") % {"label": state["ticket"]},
        "choices": [(n, ngettext("あと%(n)s人", "あと%(n)s人", n) % {"n": n}) for n in NOTICE_CHOICES],
        "status_url": i18n.with_language(reverse("queueing:status_json", args=[ticket.token]), lang),
        "events_url": i18n.with_language(reverse("queueing:ticket_events", args=[ticket.token]), lang),
        "waiting": ticket.status == TicketStatus.ISSUED, "push_key": application_server_key(request.municipality),
        **extra}, status=status)


def status(request, token: str):
    ticket = _ticket(request, token)
    lang = texts.language(request)
    state = ticket_state(ticket, lang)
    if state["token"] != ticket.token:  # transferred: follow the visitor to the new number
        return redirect(i18n.with_language(reverse("queueing:status", args=[state["token"]]), lang))
    return _status_page(request, ticket, state, lang, asked=ticket.notify_when_remaining)


def status_json(request, token: str):
    return JsonResponse(ticket_state(_ticket(request, token), texts.language(request)))


def _last_event_id(request) -> int | None:
    header = request.headers.get("Last-Event-ID", "")
    return int(header) if header.isdigit() and len(header) < 19 else None


def _event_response(stream) -> StreamingHttpResponse:
    response = StreamingHttpResponse(stream, content_type="text/event-stream; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"  # nginx: pass each event on at once
    return response


def _holds(request) -> bool:
    """A WSGI stream may wait only where the worker has other threads for other visitors."""
    return bool(request.META.get("wsgi.multithread"))


def _ticket_stream_wsgi(request, token: str, last_seen: int | None):
    ticket = _ticket(request, token)
    lang = texts.language(request)
    return _event_response(events.sync_stream(
        lambda: events.ticket_event_id(ticket), lambda: json.dumps(
            events.ticket_state(Ticket.objects.get(pk=ticket.pk), lang), ensure_ascii=False, separators=(",", ":")),
        last_seen, hold=_holds(request), event="ticket"))


async def ticket_events(request, token: str):
    """text/event-stream of one ticket's state (event `ticket`, the status.json object), pushed
    whenever its group changes; resumes after Last-Event-ID. Under ASGI it holds no thread and
    no database connection while waiting (queueing.events)."""
    last_seen = _last_event_id(request)
    if not isinstance(request, ASGIRequest):
        return await sync_to_async(_ticket_stream_wsgi)(request, token, last_seen)
    key = ("ticket", request.municipality.pk, token, texts.language(request))
    if await events.hub().current(key) is None:
        raise Http404
    return _event_response(events.async_stream(key, last_seen, event="ticket"))


@require_POST
def ask_notice(request, token: str):
    ticket = _ticket(request, token)
    lang = texts.language(request)
    email = request.POST.get("email", "").strip()
    try:
        try:
            email = normalize_email(email)
        except InvalidEmailAddress:
            raise QueueError(gettext("メールアドレスを正しく入力してください。")) from None
        services.ask_for_notice(ticket, email, int(request.POST.get("remaining") or 0))
    except (QueueError, ValueError) as error:
        message = str(error) if isinstance(error, QueueError) else gettext("何人前にお知らせするかを選んでください。")
        return _status_page(request, ticket, ticket_state(ticket, lang), lang, status=400,
                            error=message, email=email)
    return redirect(i18n.with_language(reverse("queueing:status", args=[ticket.token]) + "?asked=1", lang))


@require_POST
def ask_push_notice(request, token: str):
    """The ticket page's script, after the browser subscribed to push: JSON in and out (the
    form only exists where scripts run). 400 with the field and the reason for what is wrong."""
    ticket = _ticket(request, token)
    try:
        remaining = int(request.POST.get("remaining") or 0)
    except ValueError:
        remaining = 0
    try:
        services.ask_for_push_notice(ticket, request.POST.get("subscription", ""), remaining,
                                     request.headers.get("User-Agent", ""))
    except InvalidSubscription as error:
        return JsonResponse({"field": "subscription", "reason": str(error),
                             "message": gettext("この端末ではプッシュ通知を設定できませんでした。")}, status=400)
    except QueueError as error:
        return JsonResponse({"field": "remaining", "reason": "refused", "message": str(error)}, status=400)
    return JsonResponse({"ok": True})


def _selected_groups(request):
    groups = list(selectors.groups_of(request.municipality))
    wanted = [c for c in request.GET.get("groups", "").split(",") if c]
    if wanted:
        groups = [g for g in groups if g.code in wanted]
    if not groups:
        raise Http404
    return groups


def _label(board: dict, groups) -> None:
    """The board's groups with their names and figures in the page's language."""
    names = {g.code: g.name_in() for g in groups}
    for g in board["groups"]:
        g.update(label=names.get(g["code"], g["name"]), waiting_text=texts.people(g["waiting"]),
                 wait_text=texts.minutes(g["estimated_wait_minutes"]))


def display(request):
    """The waiting-room screen; updated by the event stream, a meta refresh without JavaScript."""
    groups = _selected_groups(request)
    codes = ",".join(g.code for g in groups)
    board = selectors.board(request.municipality, groups)
    _label(board, groups)
    return render(request, "queueing/display.html", {
        "board": board, "codes": codes, "is_japanese": i18n.is_japanese(texts.language(request)),
        "events_url": f"{reverse('queueing:events')}?groups={codes}",
        "board_url": f"{reverse('queueing:board')}?groups={codes}",
    })


def board(request):
    """The same board as the stream, for clients that poll."""
    groups = _selected_groups(request)
    data = selectors.board(request.municipality, groups)
    data["event_id"] = events.latest_id(request.municipality.pk, tuple(g.pk for g in groups))
    return JsonResponse(data)


def _board_stream_wsgi(request, last_seen: int | None):
    groups = _selected_groups(request)
    group_ids = tuple(sorted(g.pk for g in groups))
    municipality_id = request.municipality.pk
    return _event_response(events.sync_stream(
        lambda: events.latest_id(municipality_id, group_ids),
        lambda: events.board_json(municipality_id, group_ids), last_seen, hold=_holds(request)))


async def event_stream(request):
    """text/event-stream of boards (event `board`); resumes after Last-Event-ID. Under ASGI it
    holds no thread and no database connection while waiting (queueing.events)."""
    last_seen = _last_event_id(request)
    if not isinstance(request, ASGIRequest):
        return await sync_to_async(_board_stream_wsgi)(request, last_seen)
    codes = [c for c in request.GET.get("groups", "").split(",") if c]
    group_ids = await events.run_db(events.group_ids)(request.municipality.pk, codes)
    if not group_ids:
        raise Http404
    return _event_response(events.async_stream(("board", request.municipality.pk, group_ids), last_seen))


def _short_day(iso: str) -> str:
    """12/7（月） in Japanese, the language's short date and weekday otherwise."""
    day = date.fromisoformat(iso)
    return gettext("%(month)s/%(day)s（%(weekday)s）") % {
        "month": day.month, "day": day.day, "weekday": texts.weekday(day.weekday())}


def congestion(request):
    """For residents deciding when to come: the line now, the usual week, busy days ahead."""
    now = timezone.now()
    pattern = patterns.usual_pattern(request.municipality, now)
    weekday = timezone.localdate(now).weekday()
    shown = int(request.GET.get("weekday", weekday)) if request.GET.get("weekday", "").isdigit() else weekday
    shown = shown if 0 <= shown <= 4 else 0
    rows = pattern[shown]
    peak = max((r["visitors"] or 0 for r in rows), default=0) or 1
    board = selectors.board(request.municipality, now=now)
    _label(board, selectors.groups_of(request.municipality))
    return render(request, "queueing/congestion.html", {
        "board": board,
        "weekday": shown, "weekdays": [(n, texts.weekday(n)) for n in range(5)],
        "weekday_name": texts.weekday(shown, short=False),
        "bars": [{**r, "percent": round((r["visitors"] or 0) * 100 / peak)} for r in rows],
        "forecast": [{**d, "day": _short_day(d["date"])} for d in patterns.forecast(request.municipality, now)],
        "now": timezone.localtime(now),
    })


def api_status(request):
    """Public JSON: the same figures as the congestion page (documented in docs/queue.md)."""
    now = timezone.now()
    pattern = patterns.usual_pattern(request.municipality, now)
    data = {
        "municipality": {"code": request.municipality.code, "name": request.municipality.name},
        "generated_at": timezone.localtime(now).isoformat(),
        **selectors.board(request.municipality, now=now),
        "usual_pattern": {patterns.WEEKDAYS[wd]: rows for wd, rows in pattern.items() if wd < 5},
        "forecast": patterns.forecast(request.municipality, now),
    }
    response = HttpResponse(json.dumps(data, ensure_ascii=False, indent=1),
                            content_type="application/json; charset=utf-8")
    response["Access-Control-Allow-Origin"] = "*"
    return response
