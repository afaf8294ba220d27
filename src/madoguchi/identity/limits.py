"""Limits on the e-mail code endpoints, checked before any code is made or tried.

- **By client address** (django-ratelimit, counted in `CACHES["ratelimit"]`, a database cache
  every app process shares): code requests (`MADOGUCHI_OTP_CLIENT_RATE`) and verifications
  (`MADOGUCHI_OTP_VERIFY_CLIENT_RATE`). A client over the limit gets 429 with Retry-After.
- **By target** there is no counter here on purpose: a counter per address is one a stranger
  can use up, which locks the owner out. The target limit is a rule on the codes themselves
  (`emailcode.request_login_code`: no second mail while the last code is live and young), and
  verification attempts count per code.
- **JSON from the same origin** for the API: `application/json` only (a cross-site page can
  send `text/plain` or a form without asking; JSON needs a CORS preflight that Madoguchi never
  grants) and, when the browser says where the request comes from (Origin, else Referer), it
  must be this host or a configured trusted origin. Clients that are not browsers send neither
  and are served. Django's CSRF check is for cookie sessions with a token in the form, which
  API clients do not have; its origin comparison is private, hence these few lines.
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from django_ratelimit.core import get_usage


class Refused(Exception):
    """A request refused before it reached the service: status, plain message, Retry-After."""

    def __init__(self, status: int, message: str, retry_after: int | None = None):
        message = str(message)  # a lazy text, in the language of the request that raised it
        super().__init__(message)
        self.status = status
        self.message = message
        self.retry_after = retry_after


TOO_MANY = _("短い時間に多くの確認コードが求められました。しばらくたってから、もう一度お試しください。")
TOO_MANY_TRIES = _("短い時間に多くの確認コードが入力されました。しばらくたってから、もう一度お試しください。")


def _limit(request, group: str, rate: str, message: str) -> None:
    usage = get_usage(request, group=group, key="ip", rate=rate, increment=True)
    if usage is not None and usage["should_limit"]:
        raise Refused(429, message, max(usage["time_left"], 1))


def code_request(request) -> None:
    """Count a request for a code against the client's address; Refused (429) over the limit."""
    _limit(request, "madoguchi.email-code.request", settings.MADOGUCHI_OTP_CLIENT_RATE, TOO_MANY)


def code_verification(request) -> None:
    """Count a code typed or posted against the client's address; Refused (429) over the limit."""
    _limit(request, "madoguchi.email-code.verify", settings.MADOGUCHI_OTP_VERIFY_CLIENT_RATE,
           TOO_MANY_TRIES)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower() if parts.scheme and parts.netloc else url.lower()


def json_from_same_origin(request) -> None:
    """Refused (415) unless the body is JSON; Refused (403) when a browser names another origin."""
    if request.content_type != "application/json":
        raise Refused(415, _("JSON（Content-Type: application/json）で送ってください。"))
    claimed = request.headers.get("Origin") or request.headers.get("Referer")
    if claimed is None:
        return
    allowed = {f"{request.scheme}://{request.get_host()}".lower(),
               *(origin.lower() for origin in settings.CSRF_TRUSTED_ORIGINS)}
    if _origin(claimed) not in allowed:
        raise Refused(403, _("このサイトの画面からの送信ではないため、受け付けられません。"))
