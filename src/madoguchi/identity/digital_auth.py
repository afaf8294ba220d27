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
from django.utils.translation import gettext as _

from madoguchi.identity.oidc.config import CITY_KEYS, config_for_city

log = logging.getLogger(__name__)

LOGIN_STATE = "digital_auth"
SIGN_STATE = "digital_auth_sign"  # a signing in progress; written by applications.views.digital_auth
PENDING_LINK = "digital_auth_pending_link"
METHOD = "digital_auth"

SigningFinisher = Callable[[HttpRequest, object, dict], HttpResponse]
_signing_finisher: SigningFinisher | None = None


def config(municipality):
    """The city's provider config (its `identity_config` over the MADOGUCHI_DIGITAL_AUTH_*
    settings: each city is its own relying party), or None when login with デジタル認証アプリ is
    off for it or misconfigured."""
    try:
        return config_for_city(municipality)
    except (ValueError, OSError):
        log.exception("digital auth: the settings of city %s are not usable", municipality.pk)
        return None


def enabled(municipality) -> bool:
    """Whether the login page offers the button."""
    return config(municipality) is not None


def signing_config(municipality):
    """The provider config when signing with デジタル認証アプリ is possible (the signing API and
    the key its JWE result is encrypted to are both set), else None."""
    found = config(municipality)
    if found is not None and found.sign_endpoint and not found.can_sign:
        log.error("digital auth: SIGN_ENDPOINT is set but ENCRYPTION_KEY_FILE is not; signing is off")
    return found if found is not None and found.can_sign else None


def signing_enabled(municipality) -> bool:
    """Whether the sign page offers 「デジタル認証アプリで署名する」."""
    return signing_config(municipality) is not None


def check_config(municipality, hosts: list[str] | None = None) -> tuple[str, list[str]]:
    """The city's デジタル認証アプリ client as the system administrator's page shows it: its
    state ("off", "login", "login+sign") and the problems found, without a network call (the
    settings build, the key files load, the redirect URI is this site's callback on one of the
    city's hosts). `hosts` defaults to the city's main host."""
    from urllib.parse import urlsplit

    from django.urls import reverse

    problems = []
    unknown = sorted(set(municipality.identity_config or {}) - set(CITY_KEYS) - {"enabled"})
    if unknown:
        problems.append(_("identity_config に知らない項目があります: %(keys)s") % {"keys": ", ".join(unknown)})
    try:
        found = config_for_city(municipality)
    except (ValueError, OSError) as exc:
        return "off", [*problems, str(exc)]
    if found is None:
        return "off", problems
    parts = urlsplit(found.redirect_uri)
    hosts = [h for h in (hosts if hosts is not None else [municipality.hostname]) if h]
    if hosts and parts.hostname not in hosts:
        problems.append(_("redirect_uri（%(uri)s）がこの自治体のホスト（%(hosts)s）にありません。ログインの後、"
                          "別のサイトに戻ってしまいます。") % {"uri": found.redirect_uri, "hosts": ", ".join(hosts)})
    callback = reverse("identity:digital_auth_callback")
    if parts.path != callback:
        problems.append(_("redirect_uri のパスは %(path)s にしてください。") % {"path": callback})
    if found.sign_endpoint and not found.can_sign:
        problems.append(_("署名 API が設定されていますが、署名結果の復号鍵（encryption_key_file）がないため、署名は使えません。"))
    return ("login+sign" if found.can_sign else "login"), problems


def register_signing_finisher(finisher: SigningFinisher) -> None:
    """Called once at start-up by the app that signs (applications): the callback hands it
    (request, provider config, the popped signing state) and returns its response."""
    global _signing_finisher
    _signing_finisher = finisher


def signing_finisher() -> SigningFinisher | None:
    return _signing_finisher
