"""Logging in with the My Number card (利用者証明).

The page shows a challenge as a QR code (for a phone beside a PC) and, on a PC, as a command for
the card client (`madoguchi-card login URL`); on a phone it first offers デジタル認証アプリ, when
the city has it, since a phone cannot scan its own screen. It checks by itself every few seconds,
or with a button when JavaScript is off. The first time, the certificate is linked to the account through a confirmed
e-mail address (until the resident register can match the 基本4情報).
"""

from django.contrib import messages
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from madoguchi.core import audit
from madoguchi.core.actors import Actor, client_ip
from madoguchi.identity import cardauth, digital_auth
from madoguchi.identity.card.messages import PIN_NAMES
from madoguchi.identity.card_display import challenge_display, session_key
from madoguchi.identity.device import is_phone, vary_by_device
from madoguchi.identity.models import CardChallenge, CardCredential
from madoguchi.identity.session import current_account, safe_next, start_session

PENDING_LINK = "card_pending_link"


def _login_page(request, challenge):
    return vary_by_device(render(request, "identity/card_login.html", {
        **challenge_display(request, challenge),
        "next": safe_next(request, reverse("applications:mypage")),
        "pin_name": PIN_NAMES["authentication"],
        "digital_auth": digital_auth.enabled(request.municipality),
        "is_phone": is_phone(request),
    }))


def login(request):
    challenge = cardauth.new_challenge(request.municipality, session_key(request),
                                       CardChallenge.Purpose.LOGIN)
    return _login_page(request, challenge)


def status(request, public_id):
    challenge = cardauth.status_for(request.municipality, public_id, session_key(request))
    if challenge is None:
        raise Http404
    return JsonResponse({"state": challenge.state, "message": challenge.message_shown})


def finish(request, public_id):
    """Claim the verified challenge: log in, or link the card after an e-mail confirmation."""
    if request.method != "POST":
        return redirect("identity:card_login")
    next_url = safe_next(request, reverse("applications:mypage"))
    try:
        challenge = cardauth.claim(request.municipality, public_id, session_key(request))
    except cardauth.CardRefused as exc:
        messages.error(request, exc.message)
        if exc.reason == "pending":
            return redirect(f"{reverse('identity:card_wait', args=[public_id])}?next={next_url}")
        return redirect(f"{reverse('identity:card_login')}?next={next_url}")
    cert = cardauth.certificate_of(challenge)
    account = cardauth.account_for(request.municipality, cert)
    if account is None:
        signed_in = current_account(request)
        if signed_in is None:
            request.session[PENDING_LINK] = str(challenge.public_id)
            messages.info(request, _("はじめてマイナンバーカードでログインする方は、メールアドレスを確認してカードを登録します。"))
            return redirect(f"{reverse('identity:login')}?next={reverse('identity:card_link')}")
        cardauth.link(signed_in, cert, CardCredential.Kind.AUTHENTICATION, "email",
                      client_ip(request))
        account = signed_in
    account.last_login_at = timezone.now()
    account.save(update_fields=["last_login_at"])
    audit.record(request.municipality, Actor.resident(account.pk, client_ip(request)), "login",
                 "account", account.pk, subject_ref=account.ref, method="card")
    start_session(request, account, "card")
    messages.success(request, _("マイナンバーカードでログインしました。"))
    return redirect(next_url)


def wait(request, public_id):
    challenge = cardauth.status_for(request.municipality, public_id, session_key(request))
    if challenge is None:
        raise Http404
    return _login_page(request, challenge)


def link_after_email(request):
    """After the e-mail code: link the card that was verified before it."""
    account = current_account(request)
    public_id = request.session.pop(PENDING_LINK, None)
    if account is None or public_id is None:
        return redirect("applications:mypage")
    challenge = CardChallenge.objects.filter(municipality=request.municipality,
                                             public_id=public_id,
                                             state=CardChallenge.State.USED).first()
    if challenge is None:
        raise Http404
    try:
        cardauth.link(account, cardauth.certificate_of(challenge),
                      CardCredential.Kind.AUTHENTICATION, "email", client_ip(request))
    except cardauth.CardRefused as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("マイナンバーカードを登録しました。次回からカードでログインできます。"))
    return redirect("applications:mypage")
