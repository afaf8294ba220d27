from django.conf import settings


def municipality(request):
    """The city and its look (core/branding.py: name, service name, colour, logo) on every page."""
    from madoguchi.core import branding

    city = getattr(request, "municipality", None)
    return {
        "municipality": city,
        "look": branding.look(city),
        "session_seconds": settings.SESSION_COOKIE_AGE,
    }


def preferences(request):
    """The language switch, the body's display classes and the page's `lang` on every page."""
    from django.utils import translation

    from madoguchi.core import i18n
    from madoguchi.core.i18n.middleware import is_staff_path, suggested_language

    prefs = getattr(request, "preferences", None)
    language = translation.get_language() or i18n.DEFAULT
    offered = i18n.staff_codes() if is_staff_path(request.path) else i18n.codes()
    return {
        "preferences": prefs,
        "html_lang": i18n.html_lang(language),
        "language_code": language,
        "site_languages": [(code, name, i18n.html_lang(code)) for code, name in i18n.names().items()
                      if code in offered],
        "suggested_language": suggested_language(request, prefs) if prefs else None,
    }
