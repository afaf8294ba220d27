"""The clerk's page for one window: call next or a given ticket, recall, absent, start, finish,
transfer; open or close the window; the day's figures. Staff of the group's department only."""

from datetime import date

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from madoguchi.core.roles import departments_of, staff_required
from madoguchi.queueing import estimate, selectors, services, texts
from madoguchi.queueing.models import Ticket, VisitPurpose, Window
from madoguchi.queueing.services import QueueError


def _windows(request):
    """Windows of the groups whose department the user belongs to, in this city."""
    departments = departments_of(request.user, request.municipality)
    return Window.objects.select_related("group").filter(
        group__municipality=request.municipality, group__department__in=departments)


def _window(request, window_id: int) -> Window:
    window = _windows(request).filter(pk=window_id).first()
    if window is None:
        raise Http404
    return window


@staff_required
def windows(request):
    return render(request, "queueing/staff/windows.html", {"windows": _windows(request)})


@staff_required
def window_page(request, window_id: int):
    window = _window(request, window_id)
    snapshot = selectors.Snapshot(window.group)
    line = [{"ticket": t, "wait": None if (w := snapshot.wait_for(i)) is None else estimate.round_up(w),
             "priority": selectors.is_priority(t, snapshot.now)} for i, t in enumerate(snapshot.line)]
    absent = Ticket.objects.filter(group=window.group, status="absent",
                                   service_date=timezone.localdate()).order_by("-called_at")[:10]
    purposes = VisitPurpose.objects.select_related("group").filter(
        group__municipality=request.municipality).exclude(group=window.group)
    return render(request, "queueing/staff/window.html", {
        "window": window, "current": services.current_at(window), "line": line, "absent": absent,
        "transfer_purposes": purposes, "windows_open": snapshot.windows_open,
    })


@staff_required
@require_POST
def window_action(request, window_id: int, action: str):
    window = _window(request, window_id)
    try:
        if action == "call-next":
            ticket = services.call_next(window, request.actor)
            if ticket is None:
                messages.info(request, gettext("お待ちの方はいません。"))
            else:
                messages.success(request, gettext("%(ticket)s をお呼びしました。") % {"ticket": ticket.label})
        elif action == "call":
            ticket = _ticket_of(window, request.POST.get("ticket"))
            services.call_ticket(window, ticket, request.actor)
            messages.success(request, gettext("%(ticket)s をお呼びしました。") % {"ticket": ticket.label})
        elif action in ("recall", "start", "finish", "absent"):
            ticket = _ticket_of(window, request.POST.get("ticket"))
            services.act(ticket, action, request.actor)
        elif action == "transfer":
            ticket = _ticket_of(window, request.POST.get("ticket"))
            purpose = VisitPurpose.objects.select_related("group").filter(
                pk=request.POST.get("purpose") or 0, group__municipality=request.municipality).first()
            if purpose is None:
                raise QueueError(gettext("移動先を選んでください。"))
            moved = services.transfer(ticket, purpose, request.actor)
            messages.success(request, gettext("%(ticket)s を%(group)s（新しい番号 %(new)s）へ移しました。") % {
                "ticket": ticket.label, "group": purpose.group.name_in(), "new": moved.label})
        elif action in ("open", "close"):
            services.set_window_open(window, action == "open", request.actor)
        else:
            raise Http404
    except QueueError as error:
        messages.error(request, str(error))
    return redirect("queueing:window", window_id=window.pk)


def _ticket_of(window: Window, ticket_id) -> Ticket:
    ticket = Ticket.objects.select_related("group").filter(
        pk=ticket_id if str(ticket_id or "").isdigit() else 0, group=window.group).first()
    if ticket is None:
        raise QueueError(gettext("番号札が見つかりません。"))
    return ticket


@staff_required
def figures(request):
    """The day's record for the KPI pages: average and maximum wait, served per window."""
    try:
        day = date.fromisoformat(request.GET.get("date", ""))
    except ValueError:
        day = timezone.localdate()
    return render(request, "queueing/staff/figures.html", {
        "figures": selectors.daily_figures(request.municipality, day), "day": day,
        "day_label": texts.day_label(day)})
