"""Signing a submission with デジタル認証アプリ: the second way to sign, for residents on phones.

`sign_start` registers the SHA-256 of the signed bytes with the provider and sends the resident
to the app with the transaction id; the resident signs there with the 署名用電子証明書. The one
OIDC redirect URI (`identity.views_oidc.callback`) hands the callback to `finish_signing`
(registered with `identity.digital_auth` in `ApplicationsConfig.ready`), which fetches the signature, checks that the answers still have the digest that was signed, verifies
the certificate and signature exactly as for the card client, and submits. What travels between
the two stays in the server-side session; the access token is used once and never stored.
"""

import logging
import uuid

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from madoguchi.applications import selectors, services, signing
from madoguchi.applications.views.card import open_draft
from madoguchi.catalog.selectors import get_procedure
from madoguchi.core import audit
from madoguchi.identity import cardauth, digital_auth
from madoguchi.identity.oidc.client import (
    LoginState,
    OidcError,
    begin_login,
    finish_login,
    sign_document,
    start_signing,
)
from madoguchi.identity.session import current_account, resident_actor, resident_required

log = logging.getLogger(__name__)

METHOD = "digital_auth"
# The client's messages speak of logging in; these two happen while signing.
_SIGNING_MESSAGES = {
    "login_cancelled": gettext_lazy("デジタル認証アプリでの署名が取り消されました。送信するには、もう一度署名してください。"),
    "state_mismatch": gettext_lazy("署名の手続きが途中で切れました。もう一度お試しください。"),
}
_CHANGED = gettext_lazy("署名のあとで入力内容が変わりました。もう一度確認して署名してください。")


def _message(exc: OidcError) -> str:
    return _SIGNING_MESSAGES.get(exc.code, exc.message_ja)


@require_POST
@resident_required
def sign_start(request, draft_id):
    """「デジタル認証アプリで署名する」: register the digest, then off to the app."""
    draft, procedure = open_draft(request, draft_id)
    config = digital_auth.signing_config(request.municipality)
    if config is None:
        raise Http404
    digest = signing.digest_of(draft, procedure, services.answers_of(draft))
    try:
        transaction_id = start_signing(config, digest)
        url, login = begin_login(config, sign_transaction_id=transaction_id)
    except OidcError as exc:
        log.warning("digital auth signing: %s %s", exc.code, exc.detail)
        messages.error(request, _message(exc))
        return redirect("applications:confirm", draft.public_id)
    request.session[digital_auth.SIGN_STATE] = {
        **login.to_session(), "draft": str(draft.public_id), "digest": digest.hex(),
        "transaction_id": transaction_id,
    }
    return redirect(url)


def _pending(data) -> tuple[LoginState | None, uuid.UUID | None, bytes, str]:
    """What `sign_start` kept, read defensively; a broken entry fails the state check."""
    try:
        draft_id = uuid.UUID(str(data["draft"]))
        digest = bytes.fromhex(str(data["digest"]))
        transaction_id = str(data["transaction_id"])
    except (KeyError, TypeError, ValueError):
        return None, None, b"", ""
    return LoginState.from_session(data), draft_id, digest, transaction_id


def finish_signing(request, config, data):
    """The OIDC callback of a signing (registered with `identity.digital_auth`; the login callback calls it with the popped state)."""
    request.account = current_account(request)
    if request.account is None:
        messages.error(request, _("ログインの有効期限が切れました。ログインしてから、もう一度署名してください。"))
        return redirect("identity:login")
    login, draft_id, digest, transaction_id = _pending(data)
    draft = selectors.draft_of(request.account, draft_id) if draft_id else None
    if draft is None:
        messages.error(request, _SIGNING_MESSAGES["state_mismatch"])
        return redirect("applications:mypage")
    back = redirect("applications:confirm", draft.public_id)  # shows a submitted draft's receipt
    procedure = get_procedure(request.municipality, draft.procedure_code)
    if draft.submitted_at is not None or procedure is None:
        return back
    try:
        identity = finish_login(config, login, request.GET)
        signed = sign_document(config, identity.access_token, digest, transaction_id=transaction_id)
    except OidcError as exc:
        log.warning("digital auth signing: %s %s", exc.code, exc.detail)  # detail: logs only
        messages.error(request, _message(exc))
        return back
    actor = resident_actor(request)
    try:
        evidence = signing.evidence_from_signed(draft, procedure, services.answers_of(draft),
                                                digest.hex(), signed.certificate_pem,
                                                signed.signature)
        submission = services.submit_draft(draft, procedure, actor, evidence)
    except cardauth.CardRefused as exc:
        audit.record(request.municipality, actor, "card_refused", "draft", draft.public_id,
                     subject_ref=request.account.ref, reason=exc.reason, purpose="sign",
                     via=METHOD)
        messages.error(request, exc.message)
        return back
    except signing.SignatureMismatch:
        messages.error(request, _CHANGED)
        return back
    except services.SubmissionRefused as exc:
        messages.error(request, str(exc))
        return back
    return redirect("applications:submitted", submission.public_id)
