"""Linking LINE from My Page (the pages of LINE's account-link flow on Madoguchi's side).

- line/ : how to add the city's official account (its add-friend link and QR code): adding it
  makes the account reply with a link to the next page.
- line/link/?linkToken=… : reached from that reply. The link token is put in the session and
  the address bar loses it (it does not travel through the login page's `next`, nor stay in
  the history); after login the resident confirms, a nonce is made for their account and the
  browser goes on to LINE's dialog, which finishes the link (notify/line_link.py).
- line/unlink/ : POST, at any time.
"""

import re
import time

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from madoguchi.identity.session import resident_required
from madoguchi.notify import channels, line_link, selectors

LINK_TOKEN = re.compile(r"^[A-Za-z0-9_\-]{8,128}$")
SESSION_TOKEN = "line_link_token"  # noqa: S105 - a session key's name
TOKEN_SECONDS = 10 * 60  # LINE's link token lives 10 minutes


def _line(request):
    line = channels.channel_for(request.municipality, "line")
    if line is None:
        raise Http404
    return line


def _contacts(request) -> list:
    return [c for c in selectors.contacts_of(request.municipality, request.account.ref) if c.channel == "line"]


def _qr(url: str) -> str:
    import segno

    return segno.make(url, error="m").svg_inline(scale=4, title=None)


@require_safe
@resident_required
def start(request):
    line = _line(request)
    return render(request, "identity/contacts/line_start.html", {
        "add_friend_url": line.add_friend_url, "basic_id": line.basic_id,
        "qr": _qr(line.add_friend_url), "contacts": _contacts(request),
    })


@require_http_methods(["GET", "HEAD", "POST"])
def link(request):
    """From LINE's reply: keep the token in the session, then show the same page without it."""
    token = request.GET.get("linkToken")
    if token is not None:
        if LINK_TOKEN.match(token):
            request.session[SESSION_TOKEN] = {"token": token, "at": time.time()}
        else:
            request.session.pop(SESSION_TOKEN, None)
        return redirect("identity:line_link")
    return _confirm(request)


def _kept_token(request) -> str | None:
    kept = request.session.get(SESSION_TOKEN)
    if not isinstance(kept, dict) or time.time() - float(kept.get("at") or 0) > TOKEN_SECONDS:
        return None
    token = kept.get("token")
    return token if isinstance(token, str) and LINK_TOKEN.match(token) else None


@resident_required
def _confirm(request):
    line = _line(request)
    token = _kept_token(request)
    if request.method == "POST" and token is not None:
        request.session.pop(SESSION_TOKEN, None)
        nonce = line_link.start(request.municipality, request.account.ref)
        return redirect(line.account_link_url(token, nonce))
    response = render(request, "identity/contacts/line_link.html", {
        "token_ok": token is not None, "contacts": _contacts(request)},
        status=200 if token is not None or request.method == "GET" else 400)
    # Chrome applies form-action to the redirect after the form: allow LINE's dialog
    # (django-csp's per-response update, enforced and report-only alike).
    response._csp_update = response._csp_update_ro = {"form-action": [line.dialog_origin]}
    return response


@require_POST
@resident_required
def unlink(request):
    if line_link.unlink(request.municipality, request.account.ref):
        messages.success(request, _("LINEとの連携を解除しました。LINEにはお知らせを送りません。"))
    return redirect(reverse("identity:contacts") + "#contacts-line")


urlpatterns = [
    path("line/", start, name="line_start"),
    path("line/link/", link, name="line_link"),
    path("line/unlink/", unlink, name="line_unlink"),
]
