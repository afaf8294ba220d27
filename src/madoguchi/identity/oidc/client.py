"""Relying-party client for デジタル認証アプリ: OpenID Connect authorization code flow with PKCE.

Authlib builds the authorization request (PKCE S256) and makes the token requests; joserfc
verifies the ID token. Madoguchi's own rules sit on top: only RS256 and ES256, the issuer exact,
the nonce and state compared in constant time, the `iss` of the callback (RFC 9207), and an ID
token whose `acr` is one the city asked for.

Split in two so the web layer stays thin: `begin_login` returns the URL to send the resident to
and a `LoginState` that the caller keeps in the server-side session (never in a URL or a cookie
of its own); `finish_login` takes that state and the callback's query parameters and returns a
verified `Identity`. Nothing here touches the database or the request object, so the whole flow
is tested against `testing_provider`. Signing lives in `signing` and is re-exported here.
"""

import hmac
import logging
import re
import secrets
from dataclasses import asdict, dataclass, field
from datetime import date

from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from joserfc import jws, jwt
from joserfc.errors import JoseError

from madoguchi.identity.oidc import transport
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


ALGORITHMS = ("RS256", "ES256")  # of an ID token; never up to the token itself


def begin_login(config: ProviderConfig, *, sign_transaction_id: str | None = None) -> tuple[str, LoginState]:
    """The authorization URL to redirect the resident to, and the state to keep in the session."""
    meta = discover(config)
    login = LoginState(state=secrets.token_urlsafe(32), nonce=secrets.token_urlsafe(32),
                       code_verifier=generate_token(64))
    scopes = list(config.scopes)
    extra = {"nonce": login.nonce}
    if config.acr_values:
        extra["acr_values"] = config.acr_values
    if sign_transaction_id:
        scopes += [] if "sign" in scopes else ["sign"]
        extra["sign_transaction_id"] = sign_transaction_id
    with OAuth2Session(config.client_id, redirect_uri=config.redirect_uri,
                       scope=" ".join(scopes), code_challenge_method="S256") as session:
        url, _state = session.create_authorization_url(
            meta["authorization_endpoint"], state=login.state, code_verifier=login.code_verifier, **extra)
    return url, login


def _param(params, name: str) -> str | None:
    """One query parameter from a QueryDict, a dict of str, or parse_qs output; never repeated."""
    values = params.getlist(name) if hasattr(params, "getlist") else params.get(name)
    values = [values] if isinstance(values, str) else list(values or [])
    if len(values) > 1:
        raise OidcError("state_mismatch", f"callback repeats {name}")
    return values[0] if values else None


def _check_iss(config: ProviderConfig, params) -> None:
    """RFC 9207: the callback names the issuer that answered. Checked whenever it is there (on
    errors too), and required when the provider's metadata promises it: a callback without it
    then comes from somewhere else (a mix-up attack)."""
    iss = _param(params, "iss")
    if iss is None:
        if discover(config).get("authorization_response_iss_parameter_supported") is True:
            raise OidcError("state_mismatch", "callback has no iss though the provider sends it")
        return
    if iss != config.issuer:
        raise OidcError("state_mismatch", f"callback iss {iss[:100]!r} is not {config.issuer!r}")


def _authorization_code(config: ProviderConfig, login: LoginState | None, params) -> str:
    if login is None:
        raise OidcError("state_mismatch", "no login in progress in this session")
    returned = _param(params, "state")
    if returned is None or not hmac.compare_digest(returned.encode(), login.state.encode()):
        raise OidcError("state_mismatch", "callback state differs from the session's")
    _check_iss(config, params)
    error = _param(params, "error")
    if error:
        detail = f"{error}: {_param(params, 'error_description') or ''}"[:300]
        raise OidcError("login_cancelled" if error in _CANCELLED else "provider_error", detail)
    code = _param(params, "code")
    if not code:
        raise OidcError("provider_error", "callback has neither code nor error")
    return code


def _claims_problem(config: ProviderConfig, claims: dict) -> str | None:
    """What joserfc's registry does not check: azp (Core 3.1.3.7 items 4–5) and acr."""
    aud = claims.get("aud")
    audiences = [aud] if isinstance(aud, str) else aud if isinstance(aud, list) else []
    azp = claims.get("azp")
    if (len(audiences) > 1 or azp is not None) and azp != config.client_id:
        return f"azp {azp!r} is not our client_id"
    if config.acr and claims.get("acr") not in config.acr:
        # Core 3.1.2.1: acr_values is a request the provider may not honour; the relying party
        # checks. A login without the card's AAL3 (or without the revocation check) is refused.
        return f"acr {claims.get('acr')!r} is not one of {' '.join(config.acr)!r}"
    if not isinstance(claims.get("sub"), str) or not claims["sub"]:
        return "has no sub"
    return None


def validate_id_token(config: ProviderConfig, meta: dict, id_token: str, nonce: str) -> dict:
    """The ID token's claims once its signature (provider JWKS) and claims check out."""
    try:
        header = jws.extract_compact(id_token.encode("ascii")).protected
    except (JoseError, ValueError, TypeError, AttributeError, UnicodeEncodeError) as exc:
        raise OidcError("id_token_invalid", f"ID token: {exc}") from exc
    alg, kid = header.get("alg"), header.get("kid")
    if alg not in ALGORITHMS:
        raise OidcError("id_token_invalid", f"ID token algorithm {alg!r} is not accepted")
    if "crit" in header:
        raise OidcError("id_token_invalid", "ID token has critical header parameters")
    key = signing_key(config, meta, alg, kid if isinstance(kid, str) else None)
    try:
        token = jwt.decode(id_token, key, algorithms=[alg])
    except (JoseError, ValueError) as exc:
        raise OidcError("id_token_invalid", f"ID token signature: {exc}") from exc
    registry = jwt.JWTClaimsRegistry(
        leeway=config.leeway,
        iss={"essential": True, "value": config.issuer},
        aud={"essential": True, "value": config.client_id},
        sub={"essential": True}, exp={"essential": True}, iat={"essential": True},
        nonce={"essential": True},
    )
    try:
        registry.validate(token.claims)
    except JoseError as exc:
        claim = getattr(exc, "claim", "")
        raise OidcError("id_token_invalid", f"ID token claims: {claim} {exc}") from exc
    token_nonce = token.claims.get("nonce")
    if not isinstance(token_nonce, str) or not hmac.compare_digest(token_nonce.encode(), nonce.encode()):
        raise OidcError("id_token_invalid", "ID token nonce differs from the session's")
    problem = _claims_problem(config, token.claims)
    if problem:
        raise OidcError("id_token_invalid", f"ID token {problem}")
    return token.claims


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
    code = _authorization_code(config, login, query_params)
    meta = discover(config)
    tokens = token_request(config, meta, "authorization_code", code=code,
                           redirect_uri=config.redirect_uri, code_verifier=login.code_verifier)
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

