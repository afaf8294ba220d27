"""Activates the person's language for the request (in place of Django's LocaleMiddleware).

Pages follow the choice kept in the session (see preferences.py), never the browser's
Accept-Language on its own: a city's site opens in Japanese, and a browser in another
language is offered its language in a line at the top (`suggested_language`). The API, which
has no switch, follows Accept-Language as Django does. Staff pages speak only the staff
languages: another choice shows them in English."""

from django.utils import translation
from django.utils.cache import patch_vary_headers

from madoguchi.core import i18n
from madoguchi.core.i18n import preferences

STAFF_PREFIXES = ("/staff/", "/admin/")


def is_staff_path(path: str) -> bool:
    return path.startswith(STAFF_PREFIXES)


def suggested_language(request, prefs: preferences.Preferences) -> str | None:
    """The browser's language, when Madoguchi speaks it and the person has not chosen yet."""
    if prefs.chosen:
        return None
    browser = translation.get_language_from_request(request, check_path=False)
    code = i18n.supported(browser)
    return code if code and code != prefs.language else None


def _in_language(chunks, language):
    """A streamed response renders after the middleware returns: each chunk in the page's language."""
    iterator = iter(chunks)
    while True:
        with translation.override(language):
            chunk = next(iterator, None)
        if chunk is None:
            return
        yield chunk


class PreferencesMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        changes = preferences.from_query(request.GET)
        if changes:
            preferences.remember(request, changes)
        prefs = preferences.current(request)
        request.preferences = prefs
        if request.path.startswith("/api/") and "language" not in changes:
            language = i18n.supported(translation.get_language_from_request(request, check_path=False))
            language = language or i18n.DEFAULT
        else:
            language = prefs.language
        if is_staff_path(request.path) and language not in i18n.staff_codes():
            language = "en"
        previous = translation.get_language()
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        try:
            response = self.get_response(request)
        finally:
            # The thread's language goes back: a job or test after this request is not left in it.
            translation.activate(previous) if previous else translation.deactivate()
        if response.streaming and not getattr(response, "is_async", False):
            response.streaming_content = _in_language(response.streaming_content, language)
        patch_vary_headers(response, ("Accept-Language", "Cookie"))
        response.headers.setdefault("Content-Language", i18n.html_lang(language))
        return response
