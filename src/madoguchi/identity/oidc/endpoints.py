"""The provider's standard endpoints: discovery and JWKS (cached), and the token endpoint.

Discovery and keys are cached per URL for an hour so a login costs two requests to the provider
(token, userinfo), not four. Keys are looked up again once when an ID token names a key we do
not know: that is how a provider's key rotation reaches us without waiting for the cache.
Token requests go through Authlib's OAuth 2.0 client (client authentication by private_key_jwt
or client_secret_basic, the grant's form); what is ours is the rule set around it: no
redirects, a time limit, and every failure an `OidcError` with a plain message.
"""

import base64
import threading
import time
import urllib.parse

import requests
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.requests_client import OAuth2Session
from authlib.oauth2.rfc7523 import PrivateKeyJWT
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from madoguchi.identity.oidc import transport
from madoguchi.identity.oidc.config import ProviderConfig, algorithm_for, check_url
from madoguchi.identity.oidc.errors import OidcError

CACHE_SECONDS = 3600
ASSERTION_SECONDS = 60
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


def _jwks(config: ProviderConfig, meta: dict, *, refresh: bool) -> list[dict]:
    url = meta["jwks_uri"]
    keys = None if refresh else _cached(url)
    if keys is None:
        resp = transport.request(url, timeout=config.timeout)
        if resp.status != 200 or not isinstance(resp.body, dict) or not isinstance(resp.body.get("keys"), list):
            raise OidcError("provider_error", f"JWKS answered HTTP {resp.status}")
        keys = [key for key in resp.body["keys"] if isinstance(key, dict)]
        _store(url, keys)
    return keys


def _matching(keys: list[dict], alg: str, kid: str | None) -> dict | None:
    kty = "RSA" if alg == "RS256" else "EC"
    found = [key for key in keys
             if key.get("kty") == kty and key.get("use", "sig") == "sig"
             and key.get("alg", alg) == alg and (kid is None or key.get("kid") == kid)]
    if kid is None and len(found) != 1:
        return None  # without a kid only an unambiguous key will do
    return found[0] if found else None


def signing_key(config: ProviderConfig, meta: dict, alg: str, kid: str | None):
    """The provider's public key (joserfc JWK) for a token; the JWKS is fetched again once if
    the key is unknown."""
    jwk = _matching(_jwks(config, meta, refresh=False), alg, kid)
    if jwk is None:
        jwk = _matching(_jwks(config, meta, refresh=True), alg, kid)
    if jwk is None:
        raise OidcError("id_token_invalid", f"no {alg} key {kid!r} in the provider's JWKS")
    try:
        key = KeySet.import_key_set({"keys": [jwk]}).keys[0]
        if algorithm_for(key) != alg:
            raise ValueError(f"key does not fit {alg}")
    except (JoseError, ValueError, TypeError) as exc:
        raise OidcError("id_token_invalid", f"JWK {kid!r}: {exc}") from exc
    return key


def _form_encoded_basic(client, method, uri, headers, body):
    """client_secret_basic as RFC 6749 2.3.1 has it: id and secret form-encoded before base64.
    Authlib sends them raw, which a secret with ':' '+' or '%' does not survive."""
    pair = f"{urllib.parse.quote_plus(client.client_id)}:{urllib.parse.quote_plus(client.client_secret)}"
    headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode("ascii")
    return uri, headers, body


def _session(config: ProviderConfig, token_endpoint: str) -> OAuth2Session:
    """Authlib's client for one token request, authenticating as the registration says."""
    if config.auth_method == "client_secret_basic":
        session = OAuth2Session(config.client_id, config.client_secret,
                                token_endpoint_auth_method="client_secret_basic")  # noqa: S106 (a method name)
        session.register_client_auth_method(("client_secret_basic", _form_encoded_basic))
        return session
    key = config.signing_key()
    session = OAuth2Session(config.client_id, key, token_endpoint_auth_method="private_key_jwt")  # noqa: S106
    session.register_client_auth_method(PrivateKeyJWT(
        token_endpoint, alg=algorithm_for(key),
        headers={"kid": config.key_id} if config.key_id else None,
        claims={"exp": int(time.time()) + ASSERTION_SECONDS}))
    return session


def token_request(config: ProviderConfig, meta: dict, grant_type: str, **params) -> dict:
    """POST to the token endpoint; a refusal is `token_rejected`, an outage `provider_error`."""
    endpoint = meta["token_endpoint"]
    with _session(config, endpoint) as session:
        session.headers["User-Agent"] = transport.USER_AGENT
        try:
            body = session.fetch_token(endpoint, grant_type=grant_type, timeout=config.timeout,
                                       allow_redirects=False, **params)
        except OAuthError as exc:
            detail = f"token endpoint refused: {exc.error}: {exc.description or ''}"[:300]
            if exc.error in ("server_error", "temporarily_unavailable"):
                raise OidcError("provider_error", detail) from exc
            raise OidcError("token_rejected", detail) from exc
        except transport.NETWORK_ERRORS as exc:
            raise OidcError("provider_unreachable", f"token endpoint: {type(exc).__name__}") from exc
        except (requests.HTTPError, requests.RequestException, ValueError) as exc:
            raise OidcError("provider_error", f"token endpoint: {exc}"[:300]) from exc
    token = body.get("access_token")
    if str(body.get("token_type", "")).lower() != "bearer" or not isinstance(token, str) or not token:
        raise OidcError("provider_error", "token response has no bearer access_token")
    return dict(body)
