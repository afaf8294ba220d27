"""Payment pages: the fee and the methods, the return from a provider, provider webhooks.

Thin over services.py. Every resident page is the submission's own account's (404 for anyone
else, as My Page); URLs carry random public ids only. The pay page works without JavaScript:
each method is a plain form that POSTs here and is redirected on to the provider.
"""

import logging

from django.contrib import messages
from django.http import Http404, HttpResponseBadRequest, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from madoguchi.applications import selectors as application_selectors
from madoguchi.catalog.selectors import procedure_of_record
from madoguchi.feedback import invites
from madoguchi.identity.session import resident_actor, resident_required
from madoguchi.payments import receipts, services, states
from madoguchi.payments.models import Attempt, AttemptState, Charge
from madoguchi.payments.providers import UnknownProvider, WebhookRefused

log = logging.getLogger(__name__)


def _own_submission(request, public_id):
    submission = application_selectors.submission_of(request.account, public_id)
    if submission is None:
        raise Http404
    return submission


def _own_attempt(request, attempt_id) -> Attempt:
    attempt = (Attempt.objects.select_related("charge__submission", "charge__municipality")
               .filter(public_id=attempt_id, charge__submission__account=request.account).first())
    if attempt is None:
        raise Http404
    return attempt


def _receipt_url(submission) -> str:
    """The 領収書 link, where the city issues one for the method that paid (never for a
    counter terminal's slip): the pay page and the return page show it once paid."""
    paid = receipts.paid_attempt(submission)
    return reverse("payments:receipt", args=[submission.public_id]) if paid and receipts.available(paid) else ""


def _title(request, code: str) -> str:
    procedure = procedure_of_record(request.municipality, code)
    return procedure.title if procedure else code


@require_http_methods(["GET", "HEAD", "POST"])
@resident_required
def pay(request, public_id):
    """The fee, line by line, and the city's methods as buttons; POST starts (or continues)
    the payment with one of them."""
    submission = _own_submission(request, public_id)
    charge = services.charge_for(submission)
    if request.method == "POST":
        if charge is None or charge.status != Charge.Status.DUE:
            return redirect("payments:pay", submission.public_id)
        try:
            attempt = services.start_attempt(charge, request.POST.get("provider", ""),
                                             request.POST.get("method", ""), resident_actor(request))
        except services.ChargeClosed:
            return redirect("payments:pay", submission.public_id)
        except services.PaymentRefused as exc:
            messages.error(request, str(exc))
            return redirect("payments:pay", submission.public_id)
        return redirect(attempt.redirect_url)
    if charge is None or charge.status == Charge.Status.CANCELLED:
        return redirect("applications:submission", submission.public_id)
    context = {
        "submission": submission, "title": _title(request, submission.procedure_code),
        "charge": charge, "fee": submission.fee_quote,
        "methods": services.online_methods(submission.municipality) if charge.status == Charge.Status.DUE else [],
        "waiting": charge.attempts.filter(state=AttemptState.PENDING, method="konbini").first(),
        "paid_attempt": charge.paid_attempt,
        "receipt_url": _receipt_url(submission) if charge.status == Charge.Status.PAID else "",
    }
    response = render(request, "payments/pay.html", context)
    origins = services.checkout_origins(submission.municipality)
    if origins:
        # Chrome applies form-action to the redirect after the form: allow the provider's page
        # (django-csp's per-response update, enforced and report-only alike)
        response._csp_update = response._csp_update_ro = {"form-action": origins}
    return response


@require_http_methods(["GET", "HEAD"])
@resident_required
def attempt_return(request, attempt_id):
    """Back from the provider: asked once there (the query string proves nothing)."""
    attempt = _own_attempt(request, attempt_id)
    attempt = services.handle_return(attempt, actor=resident_actor(request))
    submission = attempt.charge.submission
    submission.refresh_from_db()
    return render(request, "payments/return.html", {
        "attempt": attempt, "submission": submission, "charge": Charge.objects.get(pk=attempt.charge_id),
        "title": _title(request, submission.procedure_code),
        "paid": attempt.state == AttemptState.SUCCEEDED,
        "duplicate": attempt.state == AttemptState.DUPLICATE,
        "pending": attempt.state in states.LIVE,
        "over": attempt.state in (AttemptState.FAILED, AttemptState.EXPIRED, AttemptState.CANCELLED),
        "receipt_url": _receipt_url(submission) if attempt.state == AttemptState.SUCCEEDED else "",
        # the done page is skipped when a fee is due at once: the survey's invite is here instead
        "survey_url": (invites.online_url(submission, translation.get_language())
                       if attempt.state in (AttemptState.SUCCEEDED, AttemptState.DUPLICATE) else ""),
    })


@require_http_methods(["GET", "HEAD", "POST"])
@resident_required
def attempt_cancel(request, attempt_id):
    """The provider's back link: close the unpaid session there and choose again."""
    attempt = _own_attempt(request, attempt_id)
    attempt = services.cancel_attempt(attempt, resident_actor(request))
    if attempt.state == AttemptState.CANCELLED:
        messages.info(request, _("お支払いを中止しました。別の方法でもお支払いいただけます。"))
    return redirect("payments:pay", attempt.charge.submission.public_id)


@csrf_exempt
@require_POST
def webhook(request, provider):
    """A provider's notice: verified, stored once, answered at once (slow work is the job's).
    400 when the signature does not verify; 404 for a provider nothing is registered for."""
    try:
        body = request.body
        services.handle_webhook(provider, body, dict(request.headers))
    except UnknownProvider:
        raise Http404 from None
    except WebhookRefused:
        return HttpResponseBadRequest("invalid signature", content_type="text/plain")
    return JsonResponse({"received": True})
