"""Request and response rules every page shares: refused URLs, caching, browser features.

The Content-Security-Policy is django-csp's (a thin subclass adds the sign-in app's origin to
form-action) and HSTS, nosniff and the referrer policy are Django's SecurityMiddleware
(settings.py, block "Security headers"). The rest is written by hand because no library covers
it: each is a few lines of policy that belongs to Madoguchi.
"""

import re
from urllib.parse import unquote, urlsplit

from csp.middleware import CSPMiddleware, PolicyParts
from django.conf import settings
from django.http import HttpResponseBadRequest, JsonResponse
from django.template.loader import render_to_string
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext_lazy as _lazy

from madoguchi.core.i18n import preferences

# C0 control characters and DEL. A NUL in a token reached the database (PostgreSQL refuses NUL
# in text, a 500); none of them belongs in a URL a person or a QR code produces. Tab, CR and LF
# may come from a GET form's text area, so the query string allows those three.
_PATH_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_QUERY_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
BAD_URL_MESSAGE = _lazy("URL に使えない文字が含まれています")


def _has_control(request) -> str:
    """Which part of the URL ('path' or 'query') holds a control character, or ''."""
    if _PATH_CONTROL.search(request.path):
        return "path"
    query = request.META.get("QUERY_STRING", "")
    if query and _QUERY_CONTROL.search(unquote(query.replace("+", " "), errors="replace")):
        return "query"
    return ""


class ControlCharacterMiddleware:
    """Refuse a URL carrying control characters with a 400 page before any view runs.

    One rule at the root instead of a check in every selector that takes a token: the views
    never see such a value. The API answers JSON naming the part of the URL.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        where = _has_control(request)
        if not where:
            return self.get_response(request)
        if request.path.startswith("/api/"):
            return JsonResponse({"detail": BAD_URL_MESSAGE, "field": where}, status=400)
        response = HttpResponseBadRequest(render_to_string("core/bad_request.html"))
        add_never_cache_headers(response)
        return response


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's middleware; `form-action` also names the デジタル認証アプリ's origins.

    Chrome applies form-action to the redirects that follow a form: the signing form posts
    here and is redirected on to the app, so its origin (from the issuer and signing endpoint
    settings, read per request) must be allowed, and `MADOGUCHI_CSP_FORM_ACTION` adds others
    (an authorization endpoint on another host).
    """

    def get_policy_parts(self, request, response, report_only=False):
        parts = super().get_policy_parts(request, response, report_only)
        extra = form_action_origins()
        if not extra:
            return parts
        update = dict(parts.update or {})
        update["form-action"] = [*update.get("form-action", []), *extra]
        return PolicyParts(parts.config, update, parts.replace, parts.nonce)


def form_action_origins() -> list[str]:
    urls = [settings.MADOGUCHI_DIGITAL_AUTH_ISSUER, settings.MADOGUCHI_DIGITAL_AUTH_SIGN_ENDPOINT,
            *settings.MADOGUCHI_CSP_FORM_ACTION]
    origins = []
    for url in urls:
        parts = urlsplit(url or "")
        origin = f"{parts.scheme}://{parts.netloc}" if parts.scheme in {"https", "http"} and parts.netloc else ""
        if origin and origin not in origins:
            origins.append(origin)
    return origins


class PermissionsPolicyMiddleware:
    """Permissions-Policy on every response: no page uses the camera, microphone, position,
    payment or device APIs, so every feature is off (settings.MADOGUCHI_PERMISSIONS_POLICY).
    Django has no setting for this header."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if settings.MADOGUCHI_PERMISSIONS_POLICY:
            response.headers.setdefault("Permissions-Policy", settings.MADOGUCHI_PERMISSIONS_POLICY)
        return response


class NoStoreMiddleware:
    """`Cache-Control: no-store` on every response that may show personal data.

    The safe way round: everything is no-store except the public pages listed in
    `MADOGUCHI_CACHEABLE_PATHS` (the catalogue, the navigator's start, congestion, the public
    API) seen by an anonymous visitor without session data; a logged-in resident's or staff
    member's every page, token URLs (/navi/p/, /queue/t/, /queue/r/), downloads and the
    personal API are never stored by a browser or a proxy. A view that sets its own
    Cache-Control keeps it. It sits after the authentication middleware (it reads the user and
    the session, which makes the session middleware add `Vary: Cookie`) and after WhiteNoise,
    which answers static files before it.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.public = [re.compile(pattern) for pattern in settings.MADOGUCHI_CACHEABLE_PATHS]

    def _personal(self, request) -> bool:
        if request.method not in {"GET", "HEAD"}:
            return True
        if not any(pattern.fullmatch(request.path) for pattern in self.public):
            return True
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            return True
        if not request.COOKIES.get(settings.SESSION_COOKIE_NAME):
            return False  # no session to look at: no query for a first-time visitor
        session = getattr(request, "session", None)
        # The display preferences (language, 文字サイズ) are not personal data.
        return bool(session is not None and set(session.keys()) - {preferences.SESSION_KEY})

    def __call__(self, request):
        personal = self._personal(request)
        response = self.get_response(request)
        if personal and "Cache-Control" not in response:
            add_never_cache_headers(response)
        return response
