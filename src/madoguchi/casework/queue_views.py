"""The department queue page: thin, parse the filters and cursors, read a page, render; a POST
is the bulk 受付 of the 届出 checked on it (casework/work.py)."""

from datetime import date
from urllib.parse import urlencode

from django.contrib import messages
from django.http import QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from madoguchi.applications import protection_holds
from madoguchi.applications.models import Channel, Status
from madoguchi.casework import selectors, work
from madoguchi.catalog.loader import catalog_for
from madoguchi.core import counting
from madoguchi.core.roles import staff_required

SORTS = ("", "due")


def _date(text: str) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def _filters(params, user) -> selectors.Filters:
    status, channel = params.get("status", ""), params.get("channel", "")
    return selectors.Filters(status=status if status in Status.values else "",
                             procedure=params.get("procedure", ""),
                             channel=channel if channel in Channel.values else "",
                             since=_date(params.get("since", "")), until=_date(params.get("until", "")),
                             assignee=user.pk if params.get("mine") == "1" else None)


@staff_required
def queue(request):
    """The department queue, 25 cases a page, oldest first or by due day (`sort=due`), all of
    the departments' cases or 「自分の担当」 (`mine=1`). `after`/`before` are the keyset cursors
    of 「次へ」/「前へ」; one that is not ours (or of the other order) is ignored (the first
    page)."""
    if request.method == "POST":
        return _bulk_accept(request)
    filters = _filters(request.GET, request.user)
    sort = request.GET.get("sort", "")
    sort = sort if sort in SORTS else ""
    departments = selectors.departments(request.user, request.municipality)
    after = selectors.position_in(sort, request.GET.get("after", ""))
    before = None if after else selectors.position_in(sort, request.GET.get("before", ""))
    page = selectors.queue_page(departments, filters, after=after, before=before, order=sort)
    catalogue = catalog_for(request.municipality.slug, language="ja")
    today = work.today()
    kept = request.GET.copy()
    for name in ("after", "before", "page"):
        kept.pop(name, None)
    query = kept.urlencode()
    held = protection_holds.pending_among(s.pk for s in page.cases)  # 支援措置の確認待ち
    rows = [{"s": s, "title": catalogue[s.procedure_code].title if s.procedure_code in catalogue
             else s.procedure_code,
             "bulk": work.bulk_acceptable(catalogue.get(s.procedure_code), s) and s.pk not in held,
             "overdue": work.is_overdue(s, today), "held": s.pk in held} for s in page.cases]
    return render(request, "casework/queue.html", {
        "page": page, "count": selectors.queue_count(departments, filters, order=sort),
        "show_first": page.previous_cursor is not None or bool(after and not page.cases),
        "rows": rows, "any_bulk": any(r["bulk"] for r in rows),
        "statuses": Status.choices,
        "procedures": selectors.own_procedures(request.municipality, departments),
        "departments": departments, "channels": Channel.choices,
        "f": {"status": filters.status, "procedure": filters.procedure, "channel": filters.channel,
              "since": request.GET.get("since", ""), "until": request.GET.get("until", ""),
              "mine": bool(filters.assignee), "sort": sort},
        "query": query, "exact_up_to": counting.EXACT_UP_TO,
        "next_url": _page_url(query, "after", page.next_cursor),
        "previous_url": _page_url(query, "before", page.previous_cursor),
        "first_url": "?" + query if query else "?",
    })


def _bulk_accept(request):
    """受付 of the checked 届出, each on its own (work.bulk_accept); one message for what was
    accepted and one line for each case that was not, then back to the same page of the queue."""
    result = work.bulk_accept(request.user, request.actor, request.municipality,
                              request.POST.getlist("case"))
    if result.too_many:
        messages.error(request, _("一度に受け付けられるのは%(most)s件までです。") % {"most": work.BULK_MAX},
                       extra_tags="bulk-too-many")
    elif not (result.accepted or result.already or result.refused):
        messages.error(request, _("受け付ける届出を選んでください。"), extra_tags="bulk-none")
    if result.accepted:
        messages.success(request, ngettext("%(n)s件の届出を受け付けました：%(numbers)s",
                                           "%(n)s件の届出を受け付けました：%(numbers)s",
                                           len(result.accepted))
                         % {"n": len(result.accepted), "numbers": _("、").join(result.accepted)},
                         extra_tags="bulk-accepted")
    if result.already:
        messages.info(request, _("受付済みでした：%(numbers)s") % {"numbers": _("、").join(result.already)},
                      extra_tags="bulk-already")
    for number, why in result.refused:
        messages.error(request, _("%(number)s は受け付けませんでした：%(why)s") % {
            "number": number or _("（不明な案件）"), "why": why}, extra_tags="bulk-refused")
    # Back to the page the form was on: only its query string is taken, re-encoded.
    query = QueryDict(request.POST.get("query", "")[:1000]).urlencode()
    return redirect(reverse("casework:queue") + (f"?{query}" if query else ""))


def _page_url(query: str, name: str, cursor: str | None) -> str | None:
    if cursor is None:
        return None
    return f"?{query}&{urlencode({name: cursor})}" if query else f"?{urlencode({name: cursor})}"
