"""What one registration with the provider consists of, and how Django settings fill it in.

A `ProviderConfig` is checked when it is built, so a deployment with a missing key or secret
fails at start-up rather than on a resident's first login.
"""

import urllib.parse
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from cryptography.hazmat.primitives import serialization

from madoguchi.identity.oidc import jwt

DEFAULT_SCOPES = ("openid", "name", "address", "birthdate", "gender")
AUTH_METHODS = ("private_key_jwt", "client_secret_basic")
_LOOPBACK = ("127.0.0.1", "localhost", "::1")


def check_url(url: str, what: str) -> None:
    """https only; plain http is allowed to loopback so the local provider works in tests."""
    parts = urllib.parse.urlsplit(url if isinstance(url, str) else "")
    if parts.hostname and (parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in _LOOPBACK)):
        return
    raise ValueError(f"{what} must be an https URL (http only to loopback): {url!r}")


@lru_cache(maxsize=8)
def private_key(pem: str):
    """The relying party's own key for private_key_jwt: RSA 2048+ (RS256) or P-256 (ES256)."""
    if not pem:
        raise ValueError("private_key_jwt needs private_key_pem")
    try:
        key = serialization.load_pem_private_key(pem.encode("ascii"), password=None)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"private_key_pem cannot be loaded: {exc}") from exc
    jwt.algorithm_for(key)  # JwtError is a ValueError
    return key


@dataclass(frozen=True)
class ProviderConfig:
    """One client registration with デジタル認証アプリ (per deployment); see docs/identity.md."""

    issuer: str
    client_id: str
    redirect_uri: str
    auth_method: str = "private_key_jwt"
    client_secret: str = field(default="", repr=False)
    private_key_pem: str = field(default="", repr=False)
    key_id: str = ""
    scopes: tuple[str, ...] = DEFAULT_SCOPES
    sign_endpoint: str = ""
    acr_values: str = ""
    discovery_url: str = ""  # when the metadata is not at issuer + /.well-known/openid-configuration
    timeout: float = 10.0
    leeway: int = 60

    def __post_init__(self):
        object.__setattr__(self, "scopes", tuple(self.scopes))
        check_url(self.issuer, "issuer")
        for name in ("sign_endpoint", "discovery_url"):
            if getattr(self, name):
                check_url(getattr(self, name), name)
        if not self.client_id or not self.redirect_uri:
            raise ValueError("client_id and redirect_uri are required")
        if "openid" not in self.scopes:
            raise ValueError("scopes must include openid")
        if self.auth_method not in AUTH_METHODS:
            raise ValueError(f"auth_method must be one of {AUTH_METHODS}")
        if self.auth_method == "client_secret_basic" and not self.client_secret:
            raise ValueError("client_secret_basic needs client_secret")
        if self.auth_method == "private_key_jwt":
            private_key(self.private_key_pem)


def config_from_settings(settings=None) -> ProviderConfig | None:
    """The deployment's config from MADOGUCHI_DIGITAL_AUTH_* settings; None when not set up."""
    if settings is None:
        from django.conf import settings

    def get(name, default=""):
        return getattr(settings, f"MADOGUCHI_DIGITAL_AUTH_{name}", default)

    if not get("ISSUER"):
        return None
    key_file = get("PRIVATE_KEY_FILE")
    scopes = get("SCOPES", " ".join(DEFAULT_SCOPES))
    return ProviderConfig(
        issuer=get("ISSUER"),
        client_id=get("CLIENT_ID"),
        redirect_uri=get("REDIRECT_URI"),
        auth_method=get("CLIENT_AUTH_METHOD", "private_key_jwt"),
        client_secret=get("CLIENT_SECRET"),
        private_key_pem=Path(key_file).read_text(encoding="ascii") if key_file else "",
        key_id=get("KEY_ID"),
        scopes=tuple(scopes.split()) if isinstance(scopes, str) else tuple(scopes),
        sign_endpoint=get("SIGN_ENDPOINT"),
        acr_values=get("ACR_VALUES"),
        discovery_url=get("DISCOVERY_URL"),
        timeout=float(get("TIMEOUT_SECONDS", 10)),
    )
