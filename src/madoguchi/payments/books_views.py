"""会計課 pages: the daily close and its files, the payments to look at, one payment with its
還付 and 領収書; and the resident's own 領収書 from My Page.

Only 会計課 (payments/office.py) sees the staff pages; everything they open or do is audited
with ids only. Thin: parse, call books/office/services, render.
"""

import csv
import io
from datetime import date
from functools import wraps

from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseForbidden
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from madoguchi.applications.models import Submission
from madoguchi.catalog.selectors import procedure_of_record
from madoguchi.core import audit
from madoguchi.core.roles import staff_required
from madoguchi.identity.session import resident_actor, resident_required
from madoguchi.payments import books, office, receipts, services
from madoguchi.payments.models import Attempt, ProviderSetting, Refund
from madoguchi.payments.providers import registry


def accounts_required(view):
    """Staff of this city who belong to its 会計課."""

    @staff_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not office.is_member(request.user, request.municipality):
            return HttpResponseForbidden(_("会計課の職員だけが見られるページです。"))
        return view(request, *args, **kwargs)

    return wrapper


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def _providers(municipality) -> list[str]:
    configured = ProviderSetting.objects.filter(municipality=municipality).values_list("provider", flat=True)
    return sorted(set(configured) & set(registry))


def _pdf(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


@accounts_required
def home(request):
    """日次締め: the day's totals per provider, its files, and how many payments need a look."""
    day = _day(request.GET.get("day", "")) or books.city_today()
    totals = {t["provider"]: t for t in books.day_totals(request.municipality, day)}
    providers = sorted(set(_providers(request.municipality)) | set(totals))
    audit.record(request.municipality, request.actor, "view", "payments_day", day.isoformat())
    return render(request, "payments/books/home.html", {
        "day": day, "rows": [totals.get(p, books.zero_totals(p)) for p in providers],
        "open_count": books.open_items(request.municipality).count,
        "previous": day.fromordinal(day.toordinal() - 1), "next": day.fromordinal(day.toordinal() + 1),
    })


@accounts_required
def daily_csv(request, day, provider):
    when = _day(day)
    if when is None or provider not in registry:
        raise Http404
    data = books.daily_csv(request.municipality, when, provider)
    audit.record(request.municipality, request.actor, "export", "payments_day", f"{when.isoformat()}:{provider}",
                 provider=provider, day=when.isoformat(), rows=sum(1 for _ in csv.reader(io.StringIO(data.decode("utf-8-sig")))) - 1)
    response = HttpResponse(data, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{books.csv_filename(request.municipality, when, provider)}"'
    response["Cache-Control"] = "no-store"
    return response


@accounts_required
def open_items(request):
    """未消込・二重決済・要確認・返金の失敗: what 会計課 must settle by hand."""
    items = books.open_items(request.municipality)
    audit.record(request.municipality, request.actor, "view", "payments_open", request.municipality.code,
                 count=items.count)
    return render(request, "payments/books/open.html", {"items": items, "limit": books.LIMIT})


def _attempt(request, attempt_id) -> Attempt:
    attempt = Attempt.objects.select_related("charge__submission", "charge__municipality").filter(
        public_id=attempt_id, charge__municipality=request.municipality).first()
    if attempt is None:
        raise Http404
    return attempt


def _render_payment(request, attempt, form: dict | None = None, status: int = 200):
    submission = attempt.charge.submission
    procedure = procedure_of_record(request.municipality, submission.procedure_code, language="ja")
    refunds = list(attempt.refunds.order_by("requested_at"))
    return render(request, "payments/books/payment.html", {
        "a": attempt, "charge": attempt.charge, "submission": submission,
        "title": procedure.title if procedure else submission.procedure_code,
        "refunds": [{"r": r, "can_approve": r.state == Refund.State.REQUESTED
                     and r.requested_by != request.actor.ref
                     and office.is_approver(request.user, request.municipality)} for r in refunds],
        "refunded_yen": books.refunded_yen(attempt), "refundable_yen": services.refundable_yen(attempt),
        "receipt": receipts.available(attempt), "form": form or {},
        "is_approver": office.is_approver(request.user, request.municipality),
    }, status=status)


@accounts_required
def payment(request, attempt_id):
    attempt = _attempt(request, attempt_id)
    audit.record(request.municipality, request.actor, "view", "payment_attempt", attempt.public_id)
    return _render_payment(request, attempt)


@accounts_required
def staff_receipt(request, attempt_id):
    attempt = _attempt(request, attempt_id)
    if not receipts.available(attempt):
        raise Http404
    audit.record(request.municipality, request.actor, "download", "payment_receipt", attempt.public_id)
    return _pdf(receipts.render(attempt), f"ryoshusho-{attempt.charge.submission.receipt_number}.pdf")


@require_POST
@accounts_required
def refund(request, attempt_id):
    """「返金を申請する」: refused input comes back next to its field, as typed."""
    attempt = _attempt(request, attempt_id)
    try:
        office.request_refund(attempt, request.user, request.municipality, request.POST.get("amount", ""),
                              request.POST.get("reason", ""), request.actor)
    except office.RefundInputRefused as exc:
        form = {"amount": request.POST.get("amount", ""), "reason": request.POST.get("reason", ""),
                "field": exc.field or "amount", "error": str(exc)}
        return _render_payment(request, attempt, form, status=400)
    messages.success(request, _("返金を申請しました。別の決裁者の承認を待っています。"))
    return redirect("payments:books_payment", attempt.public_id)


@require_POST
@accounts_required
def approve(request, refund_id):
    found = Refund.objects.select_related("attempt__charge").filter(
        public_id=refund_id, attempt__charge__municipality=request.municipality).first()
    if found is None:
        raise Http404
    try:
        done = office.approve_refund(found, request.user, request.municipality, request.actor)
    except office.RefundInputRefused as exc:
        messages.error(request, str(exc))
    else:
        if done.state == Refund.State.DONE:
            messages.success(request, _("返金を承認し、返金しました。"))
        elif done.state == Refund.State.FAILED:
            messages.error(request, _("返金を承認しましたが、決済事業者が返金を受け付けませんでした。要確認の一覧に載せました。"))
        else:
            messages.info(request, _("返金を承認しました。決済事業者への返金は自動で再試行します。"))
    return redirect("payments:books_payment", found.attempt.public_id)


@require_POST
@accounts_required
def review(request, attempt_id):
    """「確認済みにする」: 会計課 has settled a flagged payment (a 二重決済 refunded, …)."""
    attempt = _attempt(request, attempt_id)
    services.clear_flag(attempt, request.actor)
    messages.success(request, _("確認済みにしました。"))
    return redirect("payments:books_open")


@resident_required
def resident_receipt(request, public_id):
    """The resident's 領収書 from My Page, for their own paid submission when the city issues one."""
    submission = Submission.objects.filter(public_id=public_id, account=request.account,
                                           municipality=request.municipality).first()
    attempt = receipts.paid_attempt(submission) if submission else None
    if attempt is None or not receipts.available(attempt):
        raise Http404
    audit.record(request.municipality, resident_actor(request), "download", "payment_receipt",
                 attempt.public_id, subject_ref=request.account.ref)
    return _pdf(receipts.render(attempt), f"ryoshusho-{submission.receipt_number}.pdf")
