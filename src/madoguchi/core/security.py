"""Request and response rules every page shares: refused URLs, caching, browser features.

Written by hand because no library covers them: Django's SecurityMiddleware and django-csp set
the other security headers (settings.py, block "Security headers"); these three are each a few
lines of policy that belongs to Madoguchi.
"""

import re
from urllib.parse import unquote

from django.http import HttpResponseBadRequest, JsonResponse
from django.template.loader import render_to_string
from django.utils.cache import add_never_cache_headers

# C0 control characters and DEL. A NUL in a token reached the database (PostgreSQL refuses NUL
# in text, a 500); none of them belongs in a URL a person or a QR code produces. Tab, CR and LF
# may come from a GET form's text area, so the query string allows those three.
_PATH_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_QUERY_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
BAD_URL_MESSAGE = "URL に使えない文字が含まれています"


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
