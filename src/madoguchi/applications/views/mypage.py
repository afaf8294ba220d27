"""My Page: what is due by when, the resident's applications, their timeline, messages and
documents."""

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from madoguchi.applications import deadlines, documents, engine, selectors, services
from madoguchi.applications.documents import receipt_pdf
from madoguchi.applications.models import Status
from madoguchi.applications.workflow import allowed_targets
from madoguchi.catalog.selectors import procedure_of_record
from madoguchi.core import audit, redaction
from madoguchi.feedback import invites
from madoguchi.identity.session import resident_actor, resident_required
from madoguchi.notify import selectors as notify_selectors
from madoguchi.notify import services as notify_services


def pdf_response(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


def _title(request, code: str) -> str:
    procedure = procedure_of_record(request.municipality, code)
    return procedure.title if procedure else code


@resident_required
def mypage(request):
    submissions = [
        {"s": s, "title": _title(request, s.procedure_code), "pay_url": _pay_url(s)}
        for s in selectors.submissions_of(request.account)
    ]
    drafts = [
        {"d": d, "title": _title(request, d.procedure_code)} for d in services.open_drafts(request.account)
    ]
    return render(request, "applications/mypage.html",
                  {"submissions": submissions, "drafts": drafts, "account": request.account,
                   "deadlines": deadlines.due_for(request.account),
                   "reminder_text": deadlines.reminder_text(),
                   "email_failing": notify_services.email_failing(request.municipality, request.account.email)})


def _submission(request, public_id):
    submission = selectors.submission_of(request.account, public_id)
    if submission is None:
        raise Http404
    return submission


@resident_required
def submission(request, public_id):
    sub = _submission(request, public_id)
    if request.method == "POST":
        try:
            services.post_message(sub, request.POST.get("body", ""), resident_actor(request))
        except services.SubmissionRefused as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("メッセージを送りました。"))
        return redirect("applications:submission", sub.public_id)
    audit.record(request.municipality, resident_actor(request), "view", "submission", sub.public_id,
                 subject_ref=request.account.ref)
    # A clerk's message is free text: a protected resident's address typed into it is masked
    # for anyone but her (core.redaction), as in every notice and PDF.
    mask = redaction.masker(sub.municipality, documents.recipients_of(sub))
    thread = [{"m": m, "text": mask(services.message_text(m))} for m in sub.messages.all()]
    version = sub.current_version
    procedure = procedure_of_record(request.municipality, sub.procedure_code)
    sections = engine.summary(procedure.form(version.form_version), services.answers_of(version))
    return render(request, "applications/submission.html", {
        "submission": sub, "title": _title(request, sub.procedure_code), "events": sub.events.all(),
        "thread": thread, "documents": sub.documents.order_by("created_at"),
        "can_correct": sub.status == Status.RETURNED,
        "fee": sub.fee_quote.localized(procedure), "fee_note": procedure.fee_note, "pay_url": _pay_url(sub),
        "can_withdraw": Status.WITHDRAWN in allowed_targets(sub.status),
        "sections": sections, "version": version,
        "notices": notify_selectors.notices(request.municipality, person=request.account.ref,
                                            about=f"submission:{sub.pk}"),
    })


@require_POST
@resident_required
def withdraw(request, public_id):
    sub = _submission(request, public_id)
    try:
        services.withdraw(sub, resident_actor(request))
    except services.SubmissionRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("申請を取り下げました。"))
    return redirect("applications:submission", sub.public_id)


def _pay_url(sub) -> str:
    """The payment page of a case waiting for its fee (the payments app, by URL name:
    applications sits below payments and never imports it); empty otherwise."""
    if sub.status != Status.AWAITING_PAYMENT:
        return ""
    return reverse("payments:pay", args=[sub.public_id])


@resident_required
def submitted(request, public_id):
    """The done page; a fee due now goes straight on to the payment page."""
    sub = _submission(request, public_id)
    pay_url = _pay_url(sub)
    if pay_url:
        return redirect(pay_url)
    procedure = procedure_of_record(request.municipality, sub.procedure_code)
    return render(request, "applications/submitted.html",
                  {"submission": sub, "title": procedure.title if procedure else sub.procedure_code,
                   "fee": sub.fee_quote.localized(procedure) if procedure else sub.fee_quote,
                   "survey_url": invites.online_url(sub, translation.get_language())})


@resident_required
def receipt(request, public_id):
    sub = _submission(request, public_id)
    return pdf_response(receipt_pdf(sub), f"receipt-{sub.receipt_number}.pdf")


@resident_required
def document(request, public_id):
    doc = selectors.document_of(request.account, public_id)
    if doc is None:
        raise Http404
    audit.record(request.municipality, resident_actor(request), "download", "document", doc.public_id,
                 subject_ref=request.account.ref, kind=doc.kind)
    return pdf_response(services.document_bytes(doc), f"{doc.kind}-{doc.submission.receipt_number}.pdf")


@require_POST
@resident_required
def correct(request, public_id):
    sub = _submission(request, public_id)
    try:
        draft = services.start_correction(sub, request.account)
    except services.SubmissionRefused as exc:
        messages.error(request, str(exc))
        return redirect("applications:submission", sub.public_id)
    return redirect("applications:step", draft.public_id, 0)
