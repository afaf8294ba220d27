"""Relying-party client for デジタル認証アプリ: OpenID Connect authorization code flow with PKCE.

Split in two so the web layer stays thin: `begin_login` returns the URL to send the resident to
and a `LoginState` that the caller keeps in the server-side session (never in a URL or a cookie
of its own); `finish_login` takes that state and the callback's query parameters and returns a
verified `Identity`. Nothing here touches the database or the request object, so the whole flow
is tested against `testing_provider`. Signing lives in `signing` and is re-exported here.
"""

import hashlib
import hmac
import logging
import re
import secrets
import time
import urllib.parse
from dataclasses import asdict, dataclass, field
from datetime import date

from madoguchi.identity.oidc import jwt, transport
from madoguchi.identity.oidc.config import ProviderConfig, config_from_settings
from madoguchi.identity.oidc.endpoints import clear_caches, discover, signing_key, token_request
from madoguchi.identity.oidc.errors import OidcError
from madoguchi.identity.oidc.signing import SignedDocument, sign_document, start_signing

__all__ = [
    "Identity", "LoginState", "OidcError", "ProviderConfig", "SignedDocument", "begin_login",
    "clear_caches", "config_from_settings", "discover", "finish_login", "sign_document",
    "start_signing",
]

log = logging.getLogger(__name__)

# The resident said no, or closed the app: not a fault, so say so plainly.
_CANCELLED = {"access_denied", "consent_required", "interaction_required", "login_required"}
_DATE = re.compile(r"(\d{4})-?(\d{2})-?(\d{2})")


@dataclass(frozen=True)
class LoginState:
    """Kept server-side between `begin_login` and `finish_login`; one per login attempt."""

    state: str
    nonce: str
    code_verifier: str = field(repr=False)

    def to_session(self) -> dict:
        return asdict(self)

    @classmethod
    def from_session(cls, data) -> "LoginState | None":
        try:
            return cls(**{name: str(data[name]) for name in ("state", "nonce", "code_verifier")})
        except (KeyError, TypeError):
            return None


@dataclass(frozen=True)
class Identity:
    """The resident as the provider vouches for them: the 基本4情報 exactly as received.

    Name and address are kept character for character, with no NFC/NFKC normalization: 髙 and
    﨑 are how the 住民票 writes them, and normalizing changes some kanji into others.
    `birthdate` is None when the claim is not a full date (e.g. partly unknown); the text stays
    in `raw_claims`. `access_token` is only for `sign_document` right after login: never store it.
    """

    subject: str
    name: str
    address: str
    birthdate: date | None
    gender: str
    raw_claims: dict
    access_token: str = field(default="", repr=False, compare=False)


def _s256(verifier: str) -> str:
    return jwt.b64url_encode(hashlib.sha256(verifier.encode("ascii")).digest())


def begin_login(config: ProviderConfig, *, sign_transaction_id: str | None = None) -> tuple[str, LoginState]:
    """The authorization URL to redirect the resident to, and the state to keep in the session."""
    meta = discover(config)
    login = LoginState(state=secrets.token_urlsafe(32), nonce=secrets.token_urlsafe(32),
                       code_verifier=secrets.token_urlsafe(64))
    scopes = list(config.scopes)
    params = {
        "response_type": "code",
        "client_id": config.client_id,
        "redirect_uri": config.redirect_uri,
        "state": login.state,
        "nonce": login.nonce,
        "code_challenge": _s256(login.code_verifier),
        "code_challenge_method": "S256",
    }
    if config.acr_values:
        params["acr_values"] = config.acr_values
    if sign_transaction_id:
        scopes += [] if "sign" in scopes else ["sign"]
        params["sign_transaction_id"] = sign_transaction_id
    params["scope"] = " ".join(scopes)
    endpoint = meta["authorization_endpoint"]
    separator = "&" if urllib.parse.urlsplit(endpoint).query else "?"
    return endpoint + separator + urllib.parse.urlencode(params, quote_via=urllib.parse.quote), login


def _param(params, name: str) -> str | None:
    """One query parameter from a QueryDict, a dict of str, or parse_qs output; never repeated."""
    values = params.getlist(name) if hasattr(params, "getlist") else params.get(name)
    values = [values] if isinstance(values, str) else list(values or [])
    if len(values) > 1:
        raise OidcError("state_mismatch", f"callback repeats {name}")
    return values[0] if values else None


def _authorization_code(login: LoginState | None, params) -> str:
    if login is None:
        raise OidcError("state_mismatch", "no login in progress in this session")
    returned = _param(params, "state")
    if returned is None or not hmac.compare_digest(returned.encode(), login.state.encode()):
        raise OidcError("state_mismatch", "callback state differs from the session's")
    error = _param(params, "error")
    if error:
        detail = f"{error}: {_param(params, 'error_description') or ''}"[:300]
        raise OidcError("login_cancelled" if error in _CANCELLED else "provider_error", detail)
    code = _param(params, "code")
    if not code:
        raise OidcError("provider_error", "callback has neither code nor error")
    return code


def _is_time(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _claims_problem(config: ProviderConfig, claims: dict, nonce: str) -> str | None:
    """OpenID Connect Core 3.1.3.7, for a token that came straight from the token endpoint."""
    now = time.time()
    aud = claims.get("aud")
    audiences = [aud] if isinstance(aud, str) else aud if isinstance(aud, list) else []
    azp = claims.get("azp")
    if claims.get("iss") != config.issuer:
        return f"iss {claims.get('iss')!r} is not {config.issuer!r}"
    if config.client_id not in audiences:
        return f"aud {aud!r} does not include our client_id"
    if (len(audiences) > 1 or azp is not None) and azp != config.client_id:
        return f"azp {azp!r} is not our client_id"
    if not _is_time(claims.get("exp")) or now > claims["exp"] + config.leeway:
        return "has expired (exp)"
    if not _is_time(claims.get("iat")) or claims["iat"] > now + config.leeway:
        return "iat is missing or in the future"
    token_nonce = claims.get("nonce")
    if not isinstance(token_nonce, str) or not hmac.compare_digest(token_nonce.encode(), nonce.encode()):
        return "nonce differs from the session's"
    if not isinstance(claims.get("sub"), str) or not claims["sub"]:
        return "has no sub"
    return None


def validate_id_token(config: ProviderConfig, meta: dict, id_token: str, nonce: str) -> dict:
    """The ID token's claims once its signature (provider JWKS) and claims check out."""
    try:
        parsed = jwt.parse(id_token)
    except jwt.JwtError as exc:
        raise OidcError("id_token_invalid", f"ID token: {exc}") from exc
    try:
        jwt.verify(parsed, signing_key(config, meta, parsed))
    except jwt.JwtError as exc:
        raise OidcError("id_token_invalid", f"ID token signature: {exc}") from exc
    problem = _claims_problem(config, parsed.claims, nonce)
    if problem:
        raise OidcError("id_token_invalid", f"ID token {problem}")
    return parsed.claims


def _userinfo(config: ProviderConfig, meta: dict, access_token: str, subject: str) -> dict:
    resp = transport.request(meta["userinfo_endpoint"], timeout=config.timeout,
                             headers={"Authorization": f"Bearer {access_token}"})
    if resp.status != 200:
        raise OidcError("provider_error" if resp.status >= 500 else "userinfo_failed",
                        f"userinfo HTTP {resp.status}")
    if not isinstance(resp.body, dict):
        raise OidcError("userinfo_failed", f"userinfo is {resp.content_type or 'not JSON'}, not a JSON object")
    if resp.body.get("sub") != subject:  # Core 5.3.2: otherwise the claims are someone else's
        raise OidcError("userinfo_failed", "userinfo sub differs from the ID token's")
    return resp.body


def _text(value) -> str:
    return "" if value is None else value if isinstance(value, str) else str(value)


def _address(value) -> str:
    if isinstance(value, dict):  # the OpenID Connect Core address object
        return _text(value.get("formatted")) or "".join(
            _text(value.get(part)) for part in ("region", "locality", "street_address"))
    return _text(value)


def _birthdate(value) -> date | None:
    match = _DATE.fullmatch(value) if isinstance(value, str) else None
    if match:
        try:
            return date(*map(int, match.groups()))
        except ValueError:
            pass
    if value:
        log.warning("birthdate claim is not a full date; it is kept in raw_claims only")
    return None


def finish_login(config: ProviderConfig, login: LoginState | None, query_params) -> Identity:
    """Check the callback, redeem the code, verify the ID token, and read the 基本4情報."""
    code = _authorization_code(login, query_params)
    meta = discover(config)
    tokens = token_request(config, meta, {
        "grant_type": "authorization_code", "code": code,
        "redirect_uri": config.redirect_uri, "code_verifier": login.code_verifier,
    })
    if not isinstance(tokens.get("id_token"), str):
        raise OidcError("provider_error", "token response has no id_token")
    claims = validate_id_token(config, meta, tokens["id_token"], login.nonce)
    access_token = tokens["access_token"]
    info = _userinfo(config, meta, access_token, claims["sub"])
    return Identity(
        subject=claims["sub"],
        name=_text(info.get("name")),
        address=_address(info.get("address")),
        birthdate=_birthdate(info.get("birthdate")),
        gender=_text(info.get("gender")),
        raw_claims=dict(info),
        access_token=access_token,
    )

