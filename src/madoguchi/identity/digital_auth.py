"""デジタル認証アプリ as the rest of Madoguchi sees it: whether it is on, its session keys, and the
hand-off of a signing's callback.

The provider has one registered redirect URI (`identity:digital_auth_callback`), and it ends both
a login and a signing. Signing a submission belongs to `applications`, which sits above
`identity`; so instead of identity importing applications (a cycle), applications registers its
finisher here when Django starts (`ApplicationsConfig.ready`) and the callback calls whatever is
registered. The import-linter contracts in pyproject.toml keep it that way.
"""

import logging
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from madoguchi.identity.oidc.client import config_from_settings

log = logging.getLogger(__name__)

LOGIN_STATE = "digital_auth"
SIGN_STATE = "digital_auth_sign"  # a signing in progress; written by applications.views.digital_auth
PENDING_LINK = "digital_auth_pending_link"
METHOD = "digital_auth"

SigningFinisher = Callable[[HttpRequest, object, dict], HttpResponse]
_signing_finisher: SigningFinisher | None = None


def config():
    """The provider config, or None when login with デジタル認証アプリ is off or misconfigured."""
    try:
        return config_from_settings()
    except (ValueError, OSError):
        log.exception("digital auth: MADOGUCHI_DIGITAL_AUTH_* settings are not usable")
        return None


def enabled() -> bool:
    """Whether the login page offers the button."""
    return config() is not None


def signing_config():
    """The provider config when signing with デジタル認証アプリ is possible (the signing API and
    the key its JWE result is encrypted to are both set), else None."""
    found = config()
    if found is not None and found.sign_endpoint and not found.can_sign:
        log.error("digital auth: SIGN_ENDPOINT is set but ENCRYPTION_KEY_FILE is not; signing is off")
    return found if found is not None and found.can_sign else None


def signing_enabled() -> bool:
    """Whether the sign page offers 「デジタル認証アプリで署名する」."""
    return signing_config() is not None


def register_signing_finisher(finisher: SigningFinisher) -> None:
    """Called once at start-up by the app that signs (applications): the callback hands it
    (request, provider config, the popped signing state) and returns its response."""
    global _signing_finisher
    _signing_finisher = finisher


def signing_finisher() -> SigningFinisher | None:
    return _signing_finisher
