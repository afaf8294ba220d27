"""Staff pages: the department queue, a case, and the actions on it. Thin: parse, call, render."""

from cryptography import x509
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.http import Http404, HttpResponse, HttpResponseForbidden
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from madoguchi.applications import engine
from madoguchi.applications import services as applications
from madoguchi.applications.models import Attachment, ReturnReason, SubmissionSignature
from madoguchi.casework import decisions, fees, protection, review, selectors, services, work
from madoguchi.catalog.fees import FeeQuote
from madoguchi.catalog.selectors import procedure_of_record, procedures_for
from madoguchi.core import audit
from madoguchi.core.crypto import decrypt_bytes
from madoguchi.core.models import Role
from madoguchi.core.roles import has_role, is_city_admin, is_staff_of, staff_required
from madoguchi.handoff import selectors as handoff
from madoguchi.identity.jpki.profile import basic_info_from
from madoguchi.notify import selectors as notify
from madoguchi.payments.models import Charge


class StaffLoginView(auth_views.LoginView):
    template_name = "casework/login.html"
    redirect_authenticated_user = True

    def get_success_url(self):
        """The queue; a city administrator who works no department's cases lands on the city's
        administration instead (the queue would refuse them)."""
        user, city = self.request.user, self.request.municipality
        if not is_staff_of(user, city) and is_city_admin(user, city):
            return self.get_redirect_url() or reverse("administration:city_home")
        return self.get_redirect_url() or reverse("casework:queue")



def signature_view(version) -> dict | None:
    """Who signed this version, read from the stored certificate (verified on receipt)."""
    signature = SubmissionSignature.objects.filter(version=version).first()
    if signature is None:
        return None
    cert = x509.load_der_x509_certificate(decrypt_bytes(signature.certificate))
    return {"s": signature, "signer": basic_info_from(cert), "not_after": cert.not_valid_after_utc}


def _case(request, public_id):
    case = selectors.case_for(request.user, request.municipality, public_id)
    if case is None:
        raise Http404
    return case


@staff_required
def case_detail(request, public_id):
    case = _case(request, public_id)
    audit.record(request.municipality, request.actor, "view", "submission", case.public_id,
                 subject_ref=case.subject_ref)
    return _render_case(request, case)


def _render_case(request, case, fee_form: dict | None = None, status: int = 200,
                 decision_form: dict | None = None, return_form: dict | None = None):
    procedure = procedure_of_record(request.municipality, case.procedure_code, language="ja")
    versions = []
    for version in case.versions.order_by("-number"):
        form = procedure.form(version.form_version)
        answers = applications.answers_of(version)
        files = Attachment.objects.filter(public_id__in=engine.attachment_ids(form, answers),
                                          municipality=request.municipality)
        versions.append({"v": version, "sections": engine.summary(form, answers), "files": files,
                         "signature": signature_view(version),
                         "prefilled": engine.labelled_sources(form, version.sources)})
    decision = case.decisions.filter(state="pending").last()
    can_approve = bool(decision) and has_role(request.user, case.department, Role.APPROVER) \
        and decision.proposed_by_id != request.user.pk
    return render(request, "casework/case.html", {
        "case": case, "procedure": procedure, "versions": versions,
        "events": case.events.all(), "decisions": case.decisions.select_related("proposed_by", "approved_by"),
        "pending": decision, "can_approve": can_approve,
        "thread": [{"m": m, "text": applications.message_text(m)} for m in case.messages.all()],
        "documents": case.documents.all(), "same_visit": _titled(request, selectors.same_visit(case, request.user)),
        "has_my_number": any(f.type == "my_number" for step in procedure.current_form.steps
                             for field in step.fields for f in [field, *field.fields]),
        "fee": _fee_context(request, case, fee_form or {}),
        "returning": {**(return_form or {}), "reasons": ReturnReason.choices},
        # One panel each, from the module that owns it (casework/*.py, handoff/selectors.py).
        "decision": decisions.case_context(request, case, procedure, decision_form),
        "work": work.case_context(request, case, procedure),
        "review": review.case_context(request, case, procedure),
        "handoff": handoff.case_context(case),
        "protection": protection.case_context(request, case),
        # What the applicant was told about this case, and whether it reached them.
        "notices": notify.notices(request.municipality, about=f"submission:{case.pk}"),
    }, status=status)


def _fee_context(request, case, form: dict) -> dict:
    """The 手数料 panel: what was charged and paid, and (事後決済) the form fixing the amount."""
    values, errors = form.get("values", {}), form.get("errors", {})
    lines = [{"g": g, "value": values.get(g.input_name, str(g.quantity) if g.quantity else ""),
              "error": errors.get(g.input_name, "")} for g in fees.guide(case)]
    return {"charges": Charge.objects.filter(submission=case).order_by("created_at"),
            "can_fix": fees.can_fix(case, request.user), "lines": lines,
            "values": values, "errors": errors, "message": form.get("message", ""),
            "quote": FeeQuote.from_json(case.fee_lines)}


def _fix_fee(request, case):
    """「手数料を確定して請求する」: refused input comes back at its fields, nothing lost."""
    try:
        fees.fix_fee(case, request.user, request.actor, request.POST, note=request.POST.get("note", "").strip()[:200])
    except fees.FeeRefused as exc:
        values = {k: request.POST.get(k, "") for k in request.POST if k != "csrfmiddlewaretoken"}
        audit.record(request.municipality, request.actor, "view", "submission", case.public_id,
                     subject_ref=case.subject_ref)
        return _render_case(request, case, {"values": values, "errors": exc.errors, "message": str(exc)},
                            status=400)
    messages.success(request, _("手数料を確定し、申請者にお支払いをお願いしました（入金待ち）。"))
    return redirect("casework:case", case.public_id)


def _propose(request, case):
    """「起案して決裁に回す」: refused input comes back at its fields (the decision's content, the
    reason), everything typed kept."""
    try:
        services.perform("propose", case, request.user, request.actor, request.POST)
    except services.CaseActionError as exc:
        values = {k: request.POST.getlist(k) for k in request.POST if k != "csrfmiddlewaretoken"}
        audit.record(request.municipality, request.actor, "view", "submission", case.public_id,
                     subject_ref=case.subject_ref)
        messages.error(request, str(exc), extra_tags=f"refused-{exc.code}" if exc.code else "")
        form = {"values": values, "errors": exc.errors}
        return _render_case(request, case, status=400, decision_form=form)
    messages.success(request, _("処理しました。"))
    return redirect("casework:case", case.public_id)


def _return(request, case):
    """「差し戻す」: a missing note or category comes back at its field, at once, with what was
    typed kept (a redirect would lose the note the clerk wrote)."""
    try:
        services.perform("return", case, request.user, request.actor, request.POST)
    except services.CaseActionError as exc:
        audit.record(request.municipality, request.actor, "view", "submission", case.public_id,
                     subject_ref=case.subject_ref)
        messages.error(request, str(exc), extra_tags=f"refused-{exc.code}" if exc.code else "")
        form = {"message": request.POST.get("message", ""), "reason": request.POST.get("return_reason", ""),
                "errors": exc.errors}
        return _render_case(request, case, status=400, return_form=form)
    messages.success(request, _("処理しました。"))
    return redirect("casework:case", case.public_id)


def _titled(request, rows: list[dict]) -> list[dict]:
    titles = {p.code: p.title for p in procedures_for(request.municipality, language="ja")}
    return [{**row, "title": titles.get(row["s"].procedure_code, row["s"].procedure_code)} for row in rows]


def _decide_hold(request, case):
    """「支援措置の確認」: the 支援措置担当 allows or refuses a held request (casework/protection.py);
    anyone else is refused with 403."""
    try:
        protection.decide(case, request.user, request.actor, request.POST.get("decision", ""),
                          request.POST.get("note", ""))
    except protection.HoldDecisionRefused as exc:
        if exc.code == "role":
            return HttpResponseForbidden(str(exc))
        messages.error(request, str(exc), extra_tags=f"refused-{exc.code}")
    else:
        messages.success(request, _("支援措置の確認を記録しました。"))
    return redirect("casework:case", case.public_id)


@require_POST
@staff_required
def case_action(request, public_id, action):
    case = _case(request, public_id)
    if action == "protection-hold":
        return _decide_hold(request, case)
    if action == "fee":
        return _fix_fee(request, case)
    if action == "propose":
        return _propose(request, case)
    if action == "return":
        return _return(request, case)
    if action != "message" and action not in services.action_names():
        raise Http404
    try:
        if action == "message":
            applications.post_message(case, request.POST.get("body", ""), request.actor,
                                      staff_user=request.user)
        else:
            services.perform(action, case, request.user, request.actor, request.POST)
    except (services.CaseActionError, applications.SubmissionRefused) as exc:
        code = getattr(exc, "code", "")
        messages.error(request, str(exc), extra_tags=f"refused-{code}" if code else "")
    else:
        messages.success(request, _("処理しました。"))
    return redirect("casework:case", case.public_id)


@require_POST
@staff_required
def my_number(request, public_id):
    """Show the 個人番号 in full, on purpose, to the department's clerks and approvers only;
    every reveal is an audit event. Everywhere else it is masked."""
    case = _case(request, public_id)
    if not any(has_role(request.user, case.department, r) for r in (Role.CLERK, Role.APPROVER)):
        return HttpResponseForbidden(_("個人番号を確認する権限がありません。"))
    version = case.current_version
    procedure = procedure_of_record(request.municipality, case.procedure_code)
    numbers = engine.my_numbers(procedure.form(version.form_version),
                                applications.answers_of(version))
    audit.record(request.municipality, request.actor, "reveal_my_number", "submission",
                 case.public_id, subject_ref=case.subject_ref, version=version.number,
                 count=len(numbers))
    response = render(request, "casework/my_number.html", {"case": case, "numbers": numbers,
                                                            "procedure": procedure})
    response["Cache-Control"] = "no-store"
    return response


@staff_required
def attachment(request, public_id, attachment_id):
    case = _case(request, public_id)
    procedure = procedure_of_record(request.municipality, case.procedure_code)
    allowed = set()
    for version in case.versions.all():
        allowed.update(engine.attachment_ids(procedure.form(version.form_version),
                                             applications.answers_of(version)))
    if str(attachment_id) not in allowed:
        raise Http404
    file = Attachment.objects.get(public_id=attachment_id)
    audit.record(request.municipality, request.actor, "download", "attachment", file.public_id,
                 subject_ref=case.subject_ref, submission=str(case.public_id))
    response = HttpResponse(decrypt_bytes(file.data), content_type=file.content_type)
    response["Content-Disposition"] = "attachment"
    response["Cache-Control"] = "no-store"
    return response


@staff_required
def document(request, public_id, document_id):
    case = _case(request, public_id)
    doc = case.documents.filter(public_id=document_id).first()
    if doc is None:
        raise Http404
    audit.record(request.municipality, request.actor, "download", "document", doc.public_id,
                 subject_ref=case.subject_ref)
    response = HttpResponse(applications.document_bytes(doc), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{doc.kind}-{case.receipt_number}.pdf"'
    response["Cache-Control"] = "no-store"
    return response
