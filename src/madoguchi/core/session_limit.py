"""An absolute limit on a logged-in session, on top of the idle timeout.

SESSION_COOKIE_AGE with SESSION_SAVE_EVERY_REQUEST ends a session nobody uses (30 minutes by
default), but a session in use never ends: a counter PC left logged in through the day and the
evening, or a cookie taken from it, would stay valid for as long as someone keeps it busy. So
a session is also ended MADOGUCHI_SESSION_ABSOLUTE_SECONDS after its login (12 hours by
default: one working day with overtime), whatever happened in between; the person logs in
again. Staff sessions (Django's login: the staff pages, /admin/) and residents' sessions
(identity.session) alike.

The start is stamped at the first request that carries the login, with who it is for: a new
login (another user, or the same user again after logging out, which empties the session)
starts a new period. Sessions logged in before this limit existed are stamped at their next
request, so none is cut off by a deploy.
"""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import SESSION_KEY as STAFF_KEY
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

STARTED = "login_started_at"  # seconds since the epoch, when the login was first seen
STARTED_FOR = "login_started_for"  # whose login the stamp is for
# identity.session.SESSION_KEY (the core is below identity and does not import it;
# tests/core/test_session_limit.py checks they agree).
RESIDENT_KEY = "resident_account_id"
MESSAGE_TAG = "session-limit"
DEFAULT_SECONDS = 12 * 3600


def limit_seconds() -> int:
    return int(getattr(settings, "MADOGUCHI_SESSION_ABSOLUTE_SECONDS", DEFAULT_SECONDS))


def _holder(session) -> str:
    """Who the session is logged in as: the staff user, the resident, both, or nobody ("")."""
    staff, resident = session.get(STAFF_KEY), session.get(RESIDENT_KEY)
    if staff is None and resident is None:
        return ""
    return f"staff:{staff or ''}|resident:{resident or ''}"


class AbsoluteSessionLimitMiddleware:
    """Ends a logged-in session older than `limit_seconds()` and sends the browser to the login
    page it belongs to (the staff login for a staff session) with a message saying why."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = getattr(request, "session", None)
        holder = _holder(session) if session is not None else ""
        if holder:
            now = time.time()
            started = session.get(STARTED)
            if session.get(STARTED_FOR) != holder or not isinstance(started, int | float):
                session[STARTED], session[STARTED_FOR] = now, holder
            elif now - started > limit_seconds():
                return self._end(request, staff=session.get(STAFF_KEY) is not None)
        return self.get_response(request)

    @staticmethod
    def _end(request, staff: bool):
        logout(request)  # empties the session (a new key) and Django's login with it
        messages.info(request, _("ログインしてから長い時間がたったため、安全のためログアウトしました。"
                                 "もう一度ログインしてください。"), extra_tags=MESSAGE_TAG)
        login = reverse("casework:login" if staff else "identity:login")
        if request.method == "GET":
            return redirect(f"{login}?next={request.path}")
        return redirect(login)


def _stamp_login(sender, request, user, **kwargs) -> None:
    """A staff login starts a new period even in a session that already held the same user."""
    session = getattr(request, "session", None)
    if session is not None:
        session[STARTED], session[STARTED_FOR] = time.time(), _holder(session)


user_logged_in.connect(_stamp_login, dispatch_uid="madoguchi-session-limit")
