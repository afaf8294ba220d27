"""Logging in with デジタル認証アプリ (OpenID Connect, authorization code + PKCE).

The login state stays in the server-side session. The provider's pairwise `sub` is linked to an
account the first time through a confirmed e-mail address, as for the card. The 基本4情報 it
sends are not stored: the resident register will match them later.

The one registered redirect URI also ends a signing: the callback dispatches on what the session
holds, to the finisher that `applications` registered in `identity.digital_auth` at start-up.
"""

import hmac
import logging
from urllib.parse import urlencode

from django.contrib import messages
from django.db import IntegrityError, transaction
from django.http import Http404, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from madoguchi.core import audit
from madoguchi.core.actors import Actor, client_ip
from madoguchi.identity import digital_auth
from madoguchi.identity.models import DigitalAuthLink
from madoguchi.identity.oidc.client import LoginState, OidcError, begin_login, finish_login
from madoguchi.identity.session import current_account, safe_next, start_session

log = logging.getLogger(__name__)

# Kept here too: the login views and their tests read them from this module.
LOGIN_STATE, SIGN_STATE, PENDING_LINK, METHOD = (
    digital_auth.LOGIN_STATE, digital_auth.SIGN_STATE, digital_auth.PENDING_LINK, digital_auth.METHOD)


def jwks(request):
    """The relying party's public keys (signing and encryption) as the Agency registers them;
    public by nature, so cacheable. 404 when デジタル認証アプリ is off."""
    from madoguchi.identity.oidc.keys import jwks_of

    config = digital_auth.config(request.municipality)
    if config is None:
        raise Http404
    response = JsonResponse(jwks_of(config))
    response["Cache-Control"] = "public, max-age=3600"
    return response


def _to_login(request, next_url: str):
    return redirect(f"{reverse('identity:login')}?{urlencode({'next': next_url})}")


def begin(request):
    """Send the resident to the provider; only `state` travels in the URL."""
    config = digital_auth.config(request.municipality)
    if config is None:
        raise Http404
    next_url = safe_next(request, reverse("applications:mypage"))
    try:
        url, login = begin_login(config)
    except OidcError as exc:
        log.warning("digital auth: %s %s", exc.code, exc.detail)
        messages.error(request, exc.message_ja)
        return _to_login(request, next_url)
    request.session[LOGIN_STATE] = {**login.to_session(), "next": next_url}
    return redirect(url)


def callback(request):
    """The redirect URI: verify the login, then log in or link through a confirmed e-mail."""
    config = digital_auth.config(request.municipality)
    if config is None:
        raise Http404
    finisher = digital_auth.signing_finisher()
    if finisher is not None and _is_signing(request):
        # Signing builds on identity, not the reverse: applications registered its finisher.
        return finisher(request, config, request.session.pop(SIGN_STATE))
    pending = request.session.pop(LOGIN_STATE, None)  # single use, whatever happens next
    next_url = pending.get("next") if isinstance(pending, dict) else None
    next_url = next_url or reverse("applications:mypage")
    try:
        identity = finish_login(config, LoginState.from_session(pending), request.GET)
    except OidcError as exc:
        log.warning("digital auth: %s %s", exc.code, exc.detail)  # detail is for logs only
        messages.error(request, exc.message_ja)
        return _to_login(request, next_url)
    link = DigitalAuthLink.objects.filter(municipality=request.municipality, issuer=config.issuer,
                                          subject=identity.subject).select_related("account").first()
    if link is not None:
        return _log_in(request, link.account, next_url)
    signed_in = current_account(request)
    if signed_in is None or request.session.get("login_method") == METHOD:
        request.session[PENDING_LINK] = {"issuer": config.issuer, "subject": identity.subject,
                                         "next": next_url}
        messages.info(request, _("はじめてデジタル認証アプリでログインする方は、メールアドレスを確認して登録します。"))
        return _to_login(request, reverse("identity:digital_auth_link"))
    return _link_and_log_in(request, signed_in, config.issuer, identity.subject, next_url)


def _is_signing(request) -> bool:
    """Whether this callback ends a signing: one is in progress and either no login is, or the
    callback's state is the signing's. A stray callback still fails the state check there."""
    signing = request.session.get(SIGN_STATE)
    if not isinstance(signing, dict):
        return False
    if LOGIN_STATE not in request.session:
        return True
    returned, expected = request.GET.get("state") or "", str(signing.get("state") or "")
    return bool(expected) and hmac.compare_digest(returned.encode(), expected.encode())


def link_after_email(request):
    """After the e-mail code: link the デジタル認証アプリ login verified before it, and log in."""
    account = current_account(request)
    pending = request.session.pop(PENDING_LINK, None)
    if account is None or not isinstance(pending, dict):
        return redirect("applications:mypage")
    return _link_and_log_in(request, account, pending["issuer"], pending["subject"],
                            pending.get("next") or reverse("applications:mypage"))


def _link_and_log_in(request, account, issuer: str, subject: str, next_url: str):
    try:
        with transaction.atomic():
            link, created = DigitalAuthLink.objects.get_or_create(
                municipality=account.municipality, issuer=issuer, subject=subject,
                defaults={"account": account, "linked_by": "email"})
    except IntegrityError:  # linked by a concurrent request
        link, created = DigitalAuthLink.objects.get(
            municipality=account.municipality, issuer=issuer, subject=subject), False
    if link.account_id != account.pk:
        messages.error(request, _("このデジタル認証アプリの利用者は別のアカウントに登録されています。市役所にお問い合わせください。"))
        return redirect("applications:mypage")
    if created:
        audit.record(account.municipality, Actor.resident(account.pk, client_ip(request)),
                     "digital_auth_linked", "account", account.pk, subject_ref=account.ref,
                     link_id=link.pk, via=link.linked_by)
        messages.success(request, _("デジタル認証アプリを登録しました。次回からデジタル認証アプリでログインできます。"))
    return _log_in(request, account, next_url)


def _log_in(request, account, next_url: str):
    account.last_login_at = timezone.now()
    account.save(update_fields=["last_login_at"])
    audit.record(account.municipality, Actor.resident(account.pk, client_ip(request)), "login",
                 "account", account.pk, subject_ref=account.ref, method=METHOD)
    start_session(request, account, METHOD)
    messages.success(request, _("デジタル認証アプリでログインしました。"))
    return redirect(next_url)
