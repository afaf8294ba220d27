"""What one registration with the provider consists of, and how Django settings fill it in.

A `ProviderConfig` is checked when it is built, so a deployment with a missing key or secret
fails at start-up rather than on a resident's first login. Keys are joserfc JWKs from here on.
"""

import re
import urllib.parse
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from joserfc.errors import InvalidKeyTypeError, JoseError
from joserfc.jwk import ECKey, RSAKey

from madoguchi.core import identity_keys

DEFAULT_SCOPES = ("openid", "name", "address", "birthdate", "gender")
# The API reference's example, and what relying parties in production send: a login with the
# 利用者証明用電子証明書 (AAL3) whose revocation was checked against the CRL.
DEFAULT_ACR_VALUES = "aal3 crl"
AUTH_METHODS = ("private_key_jwt", "client_secret_basic")
CLIENT_ID = re.compile(r"[0-9a-zA-Z]{1,255}")  # the API reference's form of a client_id
# JWE for the signing result: the key-management algorithm follows the relying party's key, the
# content is always AES-256-GCM. Anything else the client refuses (docs/identity.md).
JWE_ALGORITHMS = {"EC": "ECDH-ES+A256KW", "RSA": "RSA-OAEP-256"}
JWE_ENCRYPTION = "A256GCM"
_LOOPBACK = ("127.0.0.1", "localhost", "::1")


def check_url(url: str, what: str) -> None:
    """https only; plain http is allowed to loopback so the local provider works in tests."""
    parts = urllib.parse.urlsplit(url if isinstance(url, str) else "")
    if parts.hostname and (parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in _LOOPBACK)):
        return
    raise ValueError(f"{what} must be an https URL (http only to loopback): {url!r}")


def algorithm_for(key) -> str:
    """RS256 for RSA keys of 2048 bits or more, ES256 for P-256 keys; anything else is refused."""
    if isinstance(key, RSAKey) and key.raw_value.key_size >= 2048:
        return "RS256"
    if isinstance(key, ECKey) and key.curve_name == "P-256":
        return "ES256"
    raise ValueError("only RSA (2048 bits or more) and P-256 keys are supported")


@lru_cache(maxsize=16)
def private_key(pem: str, kid: str = "", *, what: str = "private_key_pem"):
    """One of the relying party's own keys (RSA 2048+ or P-256) as a joserfc JWK."""
    if not pem:
        raise ValueError(f"{what} is required")
    params = {"kid": kid} if kid else None
    try:
        try:
            key = ECKey.import_key(pem, params)
        except InvalidKeyTypeError:
            key = RSAKey.import_key(pem, params)
    except (JoseError, ValueError, TypeError) as exc:
        raise ValueError(f"{what} cannot be loaded: {exc}") from exc
    if not key.is_private:
        raise ValueError(f"{what} is not a private key")
    algorithm_for(key)
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
    acr_values: str = DEFAULT_ACR_VALUES
    discovery_url: str = ""  # when the metadata is not at issuer + /.well-known/openid-configuration
    encryption_key_pem: str = field(default="", repr=False)  # decrypts the signing result (JWE)
    encryption_key_id: str = ""
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
        if not CLIENT_ID.fullmatch(self.client_id):
            raise ValueError("client_id must be 1–255 characters of [0-9a-zA-Z] (as issued)")
        if "openid" not in self.scopes:
            raise ValueError("scopes must include openid")
        if self.auth_method not in AUTH_METHODS:
            raise ValueError(f"auth_method must be one of {AUTH_METHODS}")
        if self.auth_method == "client_secret_basic" and not self.client_secret:
            raise ValueError("client_secret_basic needs client_secret")
        if self.auth_method == "private_key_jwt":
            self.signing_key()
        if self.encryption_key_pem:
            self.encryption_key()

    @property
    def can_sign(self) -> bool:
        """Signing needs the signing API and the key its result is encrypted to."""
        return bool(self.sign_endpoint and self.encryption_key_pem)

    @property
    def acr(self) -> tuple[str, ...]:
        """The authentication context classes asked for; an ID token must name one of them."""
        return tuple(self.acr_values.split())

    def signing_key(self):
        """The private_key_jwt key (joserfc JWK)."""
        return private_key(self.private_key_pem, self.key_id)

    def encryption_key(self):
        """The key the signing result is encrypted to (joserfc JWK); ValueError without one."""
        return private_key(self.encryption_key_pem, self.encryption_key_id, what="encryption_key_pem")

    def jwe_algorithm(self) -> str:
        return JWE_ALGORITHMS[self.encryption_key().key_type]


# identity_config keys of a city (Municipality.identity_config, checked by core/cityconfig.py)
# → the MADOGUCHI_DIGITAL_AUTH_* setting each replaces.
# One table for both: the validator's (core/cityconfig.py) without "enabled", which is no setting.
CITY_KEYS = {key: name for key, name in identity_keys.IDENTITY_KEYS.items() if name}
# A city that registered its own client (its own client_id) brings all of these itself: none
# falls back to the deployment's, which belong to another registration.
_CREDENTIALS = ("REDIRECT_URI", "CLIENT_AUTH_METHOD", "PRIVATE_KEY_FILE", "KEY_ID",
                "ENCRYPTION_KEY_FILE", "ENCRYPTION_KEY_ID", "CLIENT_SECRET")


def config_from_settings(settings=None, city: dict | None = None) -> ProviderConfig | None:
    """The deployment's config from MADOGUCHI_DIGITAL_AUTH_* settings, with a city's own
    `identity_config` over them; None when not set up (no issuer) or the city turned it off.

    Every city talks to the same provider (issuer, discovery, signing API, scopes, acr are the
    deployment's). A city either uses the deployment's client, changing single values (e.g.
    its own redirect URI registered on a shared client), or registers its own: with its own
    `client_id`, its redirect URI, keys and secret come from the city only."""
    if settings is None:
        from django.conf import settings
    city = city if isinstance(city, dict) else {}
    if city.get("enabled") is False:
        return None
    overrides = {name: city[key] for key, name in CITY_KEYS.items() if city.get(key)}
    own_client = "CLIENT_ID" in overrides

    def get(name, default=""):
        if name in overrides:
            return overrides[name]
        if own_client and name in _CREDENTIALS:
            return default
        return getattr(settings, f"MADOGUCHI_DIGITAL_AUTH_{name}", default)

    def read(name):
        path = get(name)
        return Path(path).read_text(encoding="ascii") if path else ""

    if not get("ISSUER"):
        return None
    scopes = get("SCOPES", " ".join(DEFAULT_SCOPES))
    secret = read("CLIENT_SECRET").strip() if "CLIENT_SECRET" in overrides else get("CLIENT_SECRET")
    return ProviderConfig(
        issuer=get("ISSUER"),
        client_id=get("CLIENT_ID"),
        redirect_uri=get("REDIRECT_URI"),
        auth_method=get("CLIENT_AUTH_METHOD", "private_key_jwt") or "private_key_jwt",
        client_secret=secret,
        private_key_pem=read("PRIVATE_KEY_FILE"),
        key_id=get("KEY_ID"),
        scopes=tuple(scopes.split()) if isinstance(scopes, str) else tuple(scopes),
        sign_endpoint=get("SIGN_ENDPOINT"),
        acr_values=get("ACR_VALUES", DEFAULT_ACR_VALUES) or DEFAULT_ACR_VALUES,
        discovery_url=get("DISCOVERY_URL"),
        encryption_key_pem=read("ENCRYPTION_KEY_FILE"),
        encryption_key_id=get("ENCRYPTION_KEY_ID"),
        timeout=float(get("TIMEOUT_SECONDS", 10)),
    )


def config_for_city(municipality, settings=None) -> ProviderConfig | None:
    """The client of this city (its `identity_config` over the deployment's settings)."""
    return config_from_settings(settings, getattr(municipality, "identity_config", None) or {})
