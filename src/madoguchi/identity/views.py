"""E-mail one-time code login. The address travels in the session, never in a URL."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from madoguchi.core.actors import client_ip
from madoguchi.identity import digital_auth
from madoguchi.identity.emailcode import LoginError, request_login_code, verify_login_code
from madoguchi.identity.session import safe_next, start_session

PENDING_EMAIL = "login_email"


def login(request):
    error = ""
    email = request.session.get(PENDING_EMAIL, "")
    next_url = safe_next(request, reverse("applications:mypage"))
    if request.method == "POST":
        email = request.POST.get("email", "").strip()
        try:
            validate_email(email)
            request_login_code(request.municipality, email)
        except ValidationError:
            error = "メールアドレスの形式が正しくありません（例: taro@example.jp）"
        except LoginError as exc:
            error = str(exc)
        else:
            request.session[PENDING_EMAIL] = email
            return redirect(f"{reverse('identity:login_code')}?next={next_url}")
    return render(request, "identity/login.html",
                  {"email": email, "error": error, "next": next_url,
                   "digital_auth": digital_auth.enabled()}, status=400 if error else 200)


def login_code(request):
    email = request.session.get(PENDING_EMAIL)
    if not email:
        return redirect("identity:login")
    error = ""
    next_url = safe_next(request, reverse("applications:mypage"))
    if request.method == "POST":
        try:
            account = verify_login_code(request.municipality, email, request.POST.get("code", ""),
                                        client_ip(request))
        except LoginError as exc:
            error = str(exc)
        else:
            request.session.pop(PENDING_EMAIL, None)
            start_session(request, account, "email")
            messages.success(request, "ログインしました。")
            return redirect(next_url)
    return render(request, "identity/login_code.html",
                  {"email": email, "error": error, "next": next_url}, status=400 if error else 200)


@require_POST
def logout(request):
    request.session.flush()
    messages.info(request, "ログアウトしました。")
    return redirect("applications:catalogue")
