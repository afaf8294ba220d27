"""The resident's session: who is logged in, and the login gate every resident page uses."""

from functools import wraps

from django.shortcuts import redirect
from django.urls import reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme

from madoguchi.core.actors import Actor, client_ip
from madoguchi.core.i18n import preferences
from madoguchi.identity.models import ResidentAccount

SESSION_KEY = "resident_account_id"


def current_account(request) -> ResidentAccount | None:
    account_id = request.session.get(SESSION_KEY)
    if not account_id:
        return None
    return ResidentAccount.objects.filter(pk=account_id, municipality=request.municipality).first()


def resident_required(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        request.account = current_account(request)
        if request.account is None:
            # After logging in the browser GETs `next`: a POST-only URL would answer 405.
            back = request.path if request.method == "GET" else reverse("applications:mypage")
            return redirect(f"{reverse('identity:login')}?next={back}")
        return view(request, *args, **kwargs)

    return wrapper


def resident_actor(request) -> Actor:
    return Actor.resident(request.account.pk, client_ip(request))


def safe_next(request, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}):
        return target
    return default


def start_session(request, account: ResidentAccount, method: str) -> None:
    """Log the resident in: a new session key (no fixation), the account, and how they proved it."""
    request.session.cycle_key()
    request.session[SESSION_KEY] = account.pk
    request.session["login_method"] = method
    _keep_preferences(request, account)


PREFERENCE_FIELDS = ("language", "text_size", "contrast")


def _keep_preferences(request, account: ResidentAccount) -> None:
    """At login the account's choices come back; a choice made before logging in, where the
    account has none, is kept on the account."""
    saved = {f: getattr(account, f) for f in PREFERENCE_FIELDS if getattr(account, f)}
    chosen = {f: v for f, v in (request.session.get(preferences.SESSION_KEY) or {}).items()
              if f in PREFERENCE_FIELDS and f not in saved}
    if chosen:
        save_preferences(account, chosen)
    preferences.remember(request, saved, announce=False)
    if saved.get("language"):  # the rest of this request (the "logged in" message) speaks it too
        translation.activate(saved["language"])
        request.LANGUAGE_CODE = saved["language"]


def save_preferences(account: ResidentAccount, changes: dict) -> None:
    fields = [f for f in PREFERENCE_FIELDS if f in changes]
    for field in fields:
        setattr(account, field, changes[field])
    if fields:
        account.save(update_fields=fields)


def _preferences_changed(sender, request, changes, **kwargs) -> None:
    if getattr(request, "municipality", None) is None:
        return
    account = current_account(request)
    if account is not None:
        save_preferences(account, changes)


preferences.preferences_changed.connect(_preferences_changed, dispatch_uid="identity-preferences")
