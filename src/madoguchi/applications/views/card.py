"""The card steps of a form: sign the answers before submitting, or fill the 基本4情報 from
the signing certificate. Both wait for the card client like the card login page does."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from madoguchi.applications import selectors, services, signing
from madoguchi.catalog.selectors import get_procedure
from madoguchi.core.actors import client_ip
from madoguchi.identity import cardauth, digital_auth
from madoguchi.identity.card.messages import PIN_NAMES
from madoguchi.identity.card_display import challenge_display, session_key
from madoguchi.identity.device import is_phone, vary_by_device
from madoguchi.identity.session import resident_actor, resident_required


def open_draft(request, draft_id):
    """The resident's unsubmitted draft and its procedure, or 404."""
    draft = selectors.draft_of(request.account, draft_id)
    if draft is None or draft.submitted_at is not None:
        raise Http404
    procedure = get_procedure(request.municipality, draft.procedure_code)
    if procedure is None:
        raise Http404
    return draft, procedure


def _wait_page(request, draft, procedure, mode: str):
    """The ways to use the card, in the order the device can use them: a phone first switches to
    デジタル認証アプリ (it cannot scan its own screen nor run `madoguchi-card`), and sees the QR
    code only for a PC beside it; a PC first shows the QR code, then the command for a reader."""
    challenge = draft.signing_challenge
    if challenge is None:
        return redirect("applications:confirm", draft.public_id)
    return vary_by_device(render(request, "applications/card_sign.html", {
        **challenge_display(request, challenge),
        "draft": draft, "procedure": procedure, "mode": mode, "pin_name": PIN_NAMES["signing"],
        "digital_auth": mode == "sign" and digital_auth.signing_enabled(request.municipality),
        "is_phone": is_phone(request),
    }))


@resident_required
def sign(request, draft_id):
    draft, procedure = open_draft(request, draft_id)
    if request.method != "POST":
        return _wait_page(request, draft, procedure, "sign")
    answers = services.answers_of(draft)
    try:
        evidence = signing.evidence_for(draft, procedure, answers, session_key(request))
        submission = services.submit_draft(draft, procedure, resident_actor(request), evidence)
    except cardauth.CardRefused as exc:
        messages.error(request, exc.message)
        if exc.reason == "pending":
            return redirect("applications:sign", draft.public_id)
        return redirect("applications:confirm", draft.public_id)
    except signing.SignatureMismatch:
        messages.error(request, _("署名のあとで入力内容が変わりました。もう一度確認して署名してください。"))
        return redirect("applications:confirm", draft.public_id)
    except services.SubmissionRefused as exc:
        messages.error(request, str(exc))
        return redirect("applications:confirm", draft.public_id)
    return redirect("applications:submitted", submission.public_id)


@require_POST
@resident_required
def prefill_start(request, draft_id):
    draft, _found = open_draft(request, draft_id)
    signing.request_prefill(draft, session_key(request))
    return redirect("applications:prefill", draft.public_id)


@resident_required
def prefill(request, draft_id):
    draft, procedure = open_draft(request, draft_id)
    if request.method != "POST":
        return _wait_page(request, draft, procedure, "prefill")
    try:
        challenge = cardauth.claim(request.municipality, signing.challenge_id(draft),
                                   session_key(request))
    except cardauth.CardRefused as exc:
        messages.error(request, exc.message)
        target = "applications:prefill" if exc.reason == "pending" else "applications:resume"
        return redirect(target, draft.public_id)
    certificate = cardauth.certificate_of(challenge)
    form = procedure.form(draft.form_version)
    services.prefill_draft(draft, signing.prefill_values(form, certificate), signing.CERTIFICATE)
    # The verified 基本4情報 link the account to its register record (once-only: the next
    # forms start filled from the register); what the certificate lacks, the register adds.
    if services.link_register(request.account, certificate, client_ip(request)):
        from_register = services.register_values(request.account, form, draft)
        services.prefill_draft(draft, from_register, services.SOURCE_REGISTER)
    messages.success(request, _("マイナンバーカードの署名用電子証明書から、氏名・住所・生年月日を入力しました。"))
    return redirect("applications:step", draft.public_id, draft.step)
