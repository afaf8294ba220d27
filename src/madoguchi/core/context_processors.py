from django.conf import settings


def municipality(request):
    return {
        "municipality": getattr(request, "municipality", None),
        "session_seconds": settings.SESSION_COOKIE_AGE,
    }
