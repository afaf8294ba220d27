"""The provider's standard endpoints: discovery and JWKS (cached), and the token endpoint.

Discovery and keys are cached per URL for an hour so a login costs two requests to the provider
(token, userinfo), not four. Keys are looked up again once when an ID token names a key we do
not know: that is how a provider's key rotation reaches us without waiting for the cache.
"""

import base64
import secrets
import threading
import time
import urllib.parse

from madoguchi.identity.oidc import jwt, transport
from madoguchi.identity.oidc.config import ProviderConfig, check_url, private_key
from madoguchi.identity.oidc.errors import OidcError

CACHE_SECONDS = 3600
ASSERTION_SECONDS = 60
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
_REQUIRED = ("authorization_endpoint", "token_endpoint", "userinfo_endpoint", "jwks_uri")

_cache: dict[str, tuple[float, object]] = {}
_lock = threading.Lock()


def clear_caches() -> None:
    with _lock:
        _cache.clear()


def _cached(url: str):
    with _lock:
        hit = _cache.get(url)
    return hit[1] if hit and time.monotonic() - hit[0] < CACHE_SECONDS else None


def _store(url: str, value) -> None:
    with _lock:
        _cache[url] = (time.monotonic(), value)


def discover(config: ProviderConfig) -> dict:
    """The provider metadata (OpenID Connect Discovery 1.0), checked to belong to our issuer."""
    url = config.discovery_url or config.issuer.rstrip("/") + "/.well-known/openid-configuration"
    meta = _cached(url)
    if meta is not None:
        return meta
    resp = transport.request(url, timeout=config.timeout)
    meta = resp.body
    if resp.status != 200 or not isinstance(meta, dict):
        raise OidcError("provider_error", f"discovery answered HTTP {resp.status}")
    if meta.get("issuer") != config.issuer:  # Discovery section 4.3: must be identical
        raise OidcError("provider_error", f"discovery issuer {meta.get('issuer')!r} is not {config.issuer!r}")
    for name in _REQUIRED:
        try:
            check_url(meta.get(name), name)
        except ValueError as exc:
            raise OidcError("provider_error", f"discovery: {exc}") from exc
    _store(url, meta)
    return meta


def _jwks(config: ProviderConfig, meta: dict, *, refresh: bool) -> list:
    url = meta["jwks_uri"]
    keys = None if refresh else _cached(url)
    if keys is None:
        resp = transport.request(url, timeout=config.timeout)
        if resp.status != 200 or not isinstance(resp.body, dict) or not isinstance(resp.body.get("keys"), list):
            raise OidcError("provider_error", f"JWKS answered HTTP {resp.status}")
        keys = [key for key in resp.body["keys"] if isinstance(key, dict)]
        _store(url, keys)
    return keys


def _matching(keys: list, parsed: jwt.Jws) -> dict | None:
    kty = "RSA" if parsed.alg == "RS256" else "EC"
    found = [key for key in keys
             if key.get("kty") == kty and key.get("use", "sig") == "sig"
             and key.get("alg", parsed.alg) == parsed.alg
             and (parsed.kid is None or key.get("kid") == parsed.kid)]
    if parsed.kid is None and len(found) != 1:
        return None  # without a kid only an unambiguous key will do
    return found[0] if found else None


def signing_key(config: ProviderConfig, meta: dict, parsed: jwt.Jws):
    """The provider's public key for this token; the JWKS is fetched again once if unknown."""
    jwk = _matching(_jwks(config, meta, refresh=False), parsed)
    if jwk is None:
        jwk = _matching(_jwks(config, meta, refresh=True), parsed)
    if jwk is None:
        raise OidcError("id_token_invalid", f"no {parsed.alg} key {parsed.kid!r} in the provider's JWKS")
    try:
        return jwt.public_key_from_jwk(jwk)
    except jwt.JwtError as exc:
        raise OidcError("id_token_invalid", f"JWK {parsed.kid!r}: {exc}") from exc


def _client_auth(config: ProviderConfig, token_endpoint: str) -> tuple[dict, dict]:
    """Form fields and headers that authenticate us (RFC 6749 2.3.1, or RFC 7523 private_key_jwt)."""
    if config.auth_method == "client_secret_basic":
        pair = f"{urllib.parse.quote_plus(config.client_id)}:{urllib.parse.quote_plus(config.client_secret)}"
        return {}, {"Authorization": "Basic " + base64.b64encode(pair.encode()).decode("ascii")}
    now = int(time.time())
    assertion = jwt.sign(
        {"iss": config.client_id, "sub": config.client_id, "aud": token_endpoint,
         "jti": secrets.token_urlsafe(24), "iat": now, "exp": now + ASSERTION_SECONDS},
        private_key(config.private_key_pem), kid=config.key_id or None,
    )
    return ({"client_id": config.client_id, "client_assertion_type": ASSERTION_TYPE,
             "client_assertion": assertion}, {})


def token_request(config: ProviderConfig, meta: dict, form: dict) -> dict:
    """POST to the token endpoint; a refusal is `token_rejected`, an outage `provider_error`."""
    endpoint = meta["token_endpoint"]
    auth_form, headers = _client_auth(config, endpoint)
    resp = transport.request(endpoint, method="POST", form={**form, **auth_form},
                             headers=headers, timeout=config.timeout)
    body = resp.body if isinstance(resp.body, dict) else {}
    if resp.status != 200:
        error = str(body.get("error", ""))
        detail = f"token endpoint HTTP {resp.status} {error}: {body.get('error_description', '')}"
        if resp.status >= 500 or error in ("server_error", "temporarily_unavailable"):
            raise OidcError("provider_error", detail)
        raise OidcError("token_rejected", detail)
    token = body.get("access_token")
    if str(body.get("token_type", "")).lower() != "bearer" or not isinstance(token, str) or not token:
        raise OidcError("provider_error", "token response has no bearer access_token")
    return body
