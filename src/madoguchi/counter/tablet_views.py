"""The paired tablet's pages (public URLs under /counter/tablet/, no staff login).

The device cookie is the only credential: signed, HttpOnly, SameSite=Strict, limited to the
tablet's own path, and naming a random token whose hash is in CounterTablet. The URLs carry no
visit id and no personal data; every response is `Cache-Control: no-store`.
"""

import math

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpResponseForbidden, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from madoguchi.core import i18n
from madoguchi.core.actors import client_ip
from madoguchi.counter import services, tablets
from madoguchi.counter.presenting import signature_png, visitor_context, visitor_language
from madoguchi.feedback import invites

COOKIE = "madoguchi_counter_tablet"
SALT = "madoguchi.counter.tablet"


def _path() -> str:
    return reverse("counter_tablet:home")


def _token(request) -> str | None:
    return request.get_signed_cookie(COOKIE, default=None, salt=SALT)


def _device(request):
    return tablets.tablet_for_token(request.municipality, _token(request))


def _pair_page(request, error: str = "", status: int = 200):
    ended = not error and COOKIE in request.COOKIES
    response = render(request, "counter/device_pair.html", {"error": error, "ended": ended}, status=status)
    if COOKIE in request.COOKIES:
        response.delete_cookie(COOKIE, path=_path(), samesite="Strict")
    return response


@never_cache
@require_GET
def home(request):
    """Unpaired: the code page. Paired: the clerk's current visit (its short summaries and the
    signature; after the filing, the receipt numbers and what is still to do elsewhere), or
    「次の方をお待ちください」."""
    tablet = _device(request)
    if tablet is None:
        return _pair_page(request)
    screen, visit = tablets.current(tablet)
    state = tablets.state_of(screen, visit)
    language = visitor_language(visit, request.GET.get("lang")) if visit is not None else "ja"
    easy = language == i18n.EASY
    context = {"screen": screen, "visit": visit, "easy": easy, "state": state["state"],
               "html_lang": i18n.html_lang(language), "language_code": language,
               "visit_tag": state["visit"], "entries": [], "cases": [], "takeaway": None,
               "refresh": tablets.NO_SCRIPT_REFRESH_SECONDS}
    if screen == tablets.SIGN:
        context.update(visitor_context(visit, language))
        context["shown_visit"] = str(visit.public_id)
    elif screen == tablets.THANKS:
        context.update(visitor_context(visit, language))
        if context["cases"]:  # filed: the visitor may tell how the visit went (anonymous)
            context["survey_url"] = invites.counter_url(
                request.municipality, [c["s"] for c in context["cases"]], language, back=_path())
        # without JavaScript, reload when the thanks end rather than up to 15 s later
        context["refresh"] = max(1, min(context["refresh"], math.ceil(tablets.thanks_left(visit))))
    with translation.override(language):
        return render(request, "counter/device.html", context)


@never_cache
@require_POST
def pair(request):
    """The pairing code typed on the tablet. Whoever was logged in on this browser is logged
    out first: a paired tablet never holds a staff (or resident) session."""
    try:
        tablet, token = tablets.pair(request.municipality, request.POST.get("code", ""), client_ip(request))
    except tablets.PairingRefused as exc:
        return _pair_page(request, str(exc), status=400)
    logout(request)
    response = redirect("counter_tablet:home")
    response.set_signed_cookie(
        COOKIE, token, salt=SALT, path=_path(), httponly=True, samesite="Strict",
        secure=settings.SESSION_COOKIE_SECURE,
        max_age=max(1, int((tablet.expires_at - timezone.now()).total_seconds())))
    return response


@never_cache
@require_GET
def state(request):
    """The tablet's poll: opaque tags of what it should show now."""
    tablet = _device(request)
    if tablet is None:
        return JsonResponse({"state": "unpaired", "visit": ""}, status=403)
    return JsonResponse(tablets.state_of(*tablets.current(tablet)))


@never_cache
@require_POST
def sign(request):
    """The signature drawn on the tablet; the visit is filed at once, as on the clerk's page."""
    tablet = _device(request)
    if tablet is None:
        return HttpResponseForbidden(_("この端末は接続されていません。職員にお声がけください。"))
    try:
        tablets.sign(tablet, request.POST.get("visit", ""), signature_png(request), client_ip(request))
        messages.success(request, _("署名を受け付けました。"))
    except services.VisitRefused as exc:
        messages.error(request, str(exc))
    easy = "?lang=easy" if request.POST.get("lang") == "easy" else ""
    return redirect(_path() + easy)
