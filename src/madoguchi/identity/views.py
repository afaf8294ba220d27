"""E-mail one-time code login. The address travels in the session, never in a URL.

Plain form posts with Django's CSRF token, so the pages work without JavaScript; the limits
per client address are the API's (`limits.py`)."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from madoguchi.core.actors import client_ip
from madoguchi.core.email_address import MAX_LENGTH, InvalidEmailAddress, normalize_email
from madoguchi.identity import digital_auth, limits
from madoguchi.identity.device import is_phone, vary_by_device
from madoguchi.identity.emailcode import LoginError, request_login_code, verify_login_code
from madoguchi.identity.session import safe_next, start_session

PENDING_EMAIL = "login_email"
ALREADY_SENT = _("確認コードは少し前にお送りしました。届いている最新のメールのコードを入力してください。")


def _shown(typed: str) -> str:
    """What was typed, to show again in the field: printable characters only, not too long."""
    return "".join(ch for ch in typed if ch.isprintable())[:MAX_LENGTH + 1]


def login(request):
    error, status = "", 200
    email = request.session.get(PENDING_EMAIL, "")
    next_url = safe_next(request, reverse("applications:mypage"))
    if request.method == "POST":
        typed = request.POST.get("email", "")
        try:
            email = normalize_email(typed)
            limits.code_request(request)
            sent = request_login_code(request.municipality, email)
        except InvalidEmailAddress as exc:
            error, status, email = str(exc), 400, _shown(typed)
        except limits.Refused as exc:
            error, status = exc.message, exc.status
        else:
            if not sent:
                messages.info(request, ALREADY_SENT)
            request.session[PENDING_EMAIL] = email
            return redirect(f"{reverse('identity:login_code')}?next={next_url}")
    # A phone is offered デジタル認証アプリ first (it reads the card itself); a PC the card page
    # first, whose QR code a phone beside it reads, or a card reader.
    return vary_by_device(render(request, "identity/login.html",
                                 {"email": email, "error": error, "next": next_url,
                                  "digital_auth": digital_auth.enabled(request.municipality),
                                  "is_phone": is_phone(request)}, status=status))


def login_code(request):
    email = request.session.get(PENDING_EMAIL)
    if not email:
        return redirect("identity:login")
    error, status = "", 200
    next_url = safe_next(request, reverse("applications:mypage"))
    if request.method == "POST":
        try:
            limits.code_verification(request)
            account = verify_login_code(request.municipality, email, request.POST.get("code", ""),
                                        client_ip(request))
        except limits.Refused as exc:
            error, status = exc.message, exc.status
        except LoginError as exc:
            error, status = str(exc), 400
        else:
            request.session.pop(PENDING_EMAIL, None)
            start_session(request, account, "email")
            messages.success(request, gettext("ログインしました。"))
            return redirect(next_url)
    return render(request, "identity/login_code.html",
                  {"email": email, "error": error, "next": next_url}, status=status)


@require_POST
def logout(request):
    request.session.flush()
    messages.info(request, gettext("ログアウトしました。"))
    return redirect("applications:catalogue")
