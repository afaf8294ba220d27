"""Staff password guessing: django-axes counts failures and locks; this module only makes its
events Madoguchi's own.

- Failed staff and /admin/ logins and lockouts go to the audit log (`staff_login_failed`,
  `staff_locked_out`) with the address and, when the typed name is an existing account, its
  id as subject. Never the password, never the typed name: people type passwords into the name
  field.
- A try refused because the client is already locked is not audited again, so an attacker who
  keeps trying does not grow the audit log.
- Axes' own log lines name the login page only (`client_str`), not the name or the address.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_login_failed
from django.dispatch import receiver
from django.shortcuts import render

from madoguchi.core import audit
from madoguchi.core.actors import Actor, client_ip


def _where(request) -> str:
    return "admin" if request.path.startswith("/admin/") else "staff"


def _subject(username) -> str:
    if not isinstance(username, str) or not username or "\x00" in username:
        return ""
    user_id = get_user_model().objects.filter(username=username).values_list("pk", flat=True).first()
    return f"staff:{user_id}" if user_id else ""


def _record(request, action: str, username) -> None:
    municipality = getattr(request, "municipality", None)
    if municipality is None:  # no city resolved: nothing to file it under
        return
    audit.record(municipality, Actor("system", "login", client_ip(request)), action, "staff_login",
                 _where(request), subject_ref=_subject(username))


def _counted(request) -> bool:
    """Axes counted this failure (it sets the count only then; a try it refused because the
    client was already locked leaves it None)."""
    return getattr(request, "axes_failures_since_start", None) is not None


@receiver(user_login_failed, dispatch_uid="madoguchi.identity.bruteforce.failed")
def login_failed(sender, credentials, request=None, **kwargs):
    # Whether axes' receiver ran before this one or not: a refused try of a locked client has
    # `axes_locked_out` set by the backend and no count.
    if request is None or (getattr(request, "axes_locked_out", False) and not _counted(request)):
        return
    _record(request, "staff_login_failed", credentials.get("username"))


def locked_out(sender, request=None, username=None, ip_address=None, **kwargs):
    """axes' `user_locked_out` (connected in apps.py): recorded once, when a counted failure
    locks; axes sends it again for every refused try, which is not recorded."""
    if request is not None and _counted(request):
        _record(request, "staff_locked_out", username)


def username(request, credentials=None) -> str | None:
    """The name axes counts under: as typed, without NUL and cut at the longest a username can
    be. Django's login form lets a longer name through to `authenticate` (its length limit is
    set after the field's validators are made), and axes' column is 255 characters: PostgreSQL
    refused the row with a 500."""
    typed = (credentials or {}).get("username") if credentials else request.POST.get("username")
    if not isinstance(typed, str):
        return None
    limit = get_user_model()._meta.get_field(get_user_model().USERNAME_FIELD).max_length or 150
    return typed.replace("\x00", "")[:limit]


def client_str(username, ip_address, user_agent, path_info, request) -> str:
    """What axes writes in its log lines: which login page, nothing about who."""
    return f"a client of the {_where(request) if request is not None else 'staff'} login"


def lockout_response(request, original_response=None, credentials=None):
    """The page a locked client sees (staff login and /admin/ alike): plain Japanese, 429, the
    same words whether or not the typed account exists, and never the typed name."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60) if settings.AXES_COOLOFF_TIME else None
    return render(request, "identity/locked_out.html", {"minutes": minutes},
                  status=settings.AXES_HTTP_RESPONSE_CODE)
