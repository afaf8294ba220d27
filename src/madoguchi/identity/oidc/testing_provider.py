"""A local OpenID provider speaking the デジタル認証アプリ protocol, for tests and demos.

ja-only file: it stands in for the national app, whose screens are Japanese only, and its
invented resident is named as a card would name them.

It behaves as the Digital Agency's published reference does (docs/identity.md): discovery with
`acr_values_supported` and `authorization_response_iss_parameter_supported`; `iss` on every
callback (RFC 9207); an ID token whose `acr` is the first of `aal3`/`crl` asked for; signing
transactions with UUID ids, where the "card" signs exactly the bytes it is given (a DER
DigestInfo, as sent for J-LIS, or a bare hash) and the result is a compact JWE to the relying
party's registered `use: enc` key. It is strict where the real provider is strict (registered
redirect URI, PKCE S256, single-use codes, client authentication, bearer tokens), so tests
prove the client does the right thing; and `faults` makes it misbehave on purpose (a low acr,
a wrong or missing iss, a plain-JSON or wrongly encrypted result, a bare-digest signature …),
so tests prove the client notices. By default it
approves every login as `user` without asking anyone (unit tests); `interactive=True` (the
demo, browser tests) shows instead a small page standing in for the app's hand-off, where the
resident types a PIN of the right form and presses 「許可する」 (#approve) or 「キャンセル」
(#cancel). Run it only in tests and on a developer's machine: `--help` shows the command line.
"""

import argparse
import base64
import binascii
import hashlib
import hmac
import json
import re
import secrets
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID
from joserfc import jwe, jwt
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, KeySet, RSAKey
from joserfc.util import urlsafe_b64decode, urlsafe_b64encode

from madoguchi.core.local_server import LocalHandler, LocalServer
from madoguchi.identity.oidc.config import JWE_ALGORITHMS, JWE_ENCRYPTION

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"  # RFC 7523
ACR_SUPPORTED = ("aal3", "crl")  # the reference's acr_values
_DIGEST_INFO_SHA256 = bytes.fromhex("3031300d060960864801650304020105000420")  # RFC 8017 9.2 note 1

CLAIM_SCOPES = ("name", "address", "birthdate", "gender")
_LOGIN_PIN = re.compile(r"[0-9]{4}")  # 利用者証明用電子証明書の暗証番号
_SIGNING_PIN = re.compile(r"[0-9A-Z]{6,16}")  # 署名用電子証明書の暗証番号 (英大文字と数字)
_CHALLENGE = re.compile(r"[A-Za-z0-9_-]{43,128}")
_VERIFIER = re.compile(r"[A-Za-z0-9._~-]{43,128}")  # RFC 7636 4.1


@dataclass
class Resident:
    """Whom every login approves: the 基本4情報 as the provider's userinfo returns them."""

    sub: str = "ppid-madoguchi-test-0001"
    name: str = "髙﨑 花子"
    address: str = "東京都千代田区霞が関一丁目1番1号"
    birthdate: str = "1985-03-15"
    gender: str = "2"


@dataclass
class Faults:
    """Ways to misbehave; each is a rule the client must enforce."""

    deny: bool = False  # the resident cancels in the app: error=access_denied
    wrong_state: bool = False  # the callback carries another state
    id_token_claims: dict = field(default_factory=dict)  # claim overrides; None deletes one
    bad_signature: bool = False  # the ID token's signature is corrupted
    unpublished_key: bool = False  # the ID token is signed with a key absent from the JWKS
    userinfo_sub: str | None = None  # userinfo speaks of another subject
    sign_other_digest: bool = False  # the signature covers another digest
    low_acr: bool = False  # the ID token says acr=aal2 whatever was asked
    wrong_iss: bool = False  # the callback's iss (RFC 9207) names another issuer
    no_iss: bool = False  # the callback has no iss though the metadata promises it
    plain_result: bool = False  # the signing result as plain JSON, not a JWE
    wrong_encryption_key: bool = False  # the JWE is encrypted to a key that is not the RP's
    jwe_alg: str | None = None  # the JWE with another key-management algorithm
    bare_digest: bool = False  # the card signs the bare SHA-256, not the DigestInfo sent


@dataclass
class _Request:
    query: dict
    form: dict
    json: object
    headers: object

    def bearer(self) -> str:
        header = self.headers.get("Authorization") or ""
        return header[7:] if header.startswith("Bearer ") else ""


def _one(values: dict, name: str) -> str | None:
    found = values.get(name) or []
    return found[0] if len(found) == 1 else None


def _s256(verifier: str) -> str:
    return urlsafe_b64encode(hashlib.sha256(verifier.encode("ascii")).digest()).decode("ascii")


def _new_key(alg: str):
    if alg == "ES256":
        return ECKey.generate_key("P-256", private=True)
    return RSAKey.generate_key(2048, private=True)


def _jwk(key):
    """A joserfc public key from a cryptography key, a PEM string or a JWK dict."""
    if key is None or isinstance(key, (ECKey, RSAKey)):
        return key
    if isinstance(key, dict):
        return KeySet.import_key_set({"keys": [key]}).keys[0]
    if not isinstance(key, str):
        key = key.public_bytes(serialization.Encoding.PEM,
                               serialization.PublicFormat.SubjectPublicKeyInfo).decode("ascii")
    if "PRIVATE KEY" in key:  # a relying party's key file, as tests and the demo have it
        key = serialization.load_pem_private_key(key.encode("ascii"), None).public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode("ascii")
    loaded = serialization.load_pem_public_key(key.encode("ascii"))
    return (ECKey if isinstance(loaded, ec.EllipticCurvePublicKey) else RSAKey).import_key(key)


def _raw_pkcs1_sign(key: rsa.RSAPrivateKey, data: bytes) -> bytes:
    """What the card's signing key does: PKCS#1 v1.5 block type 1 padding around the bytes it
    is given, then the RSA private-key operation. Written out because no library signs bytes
    that are not a DigestInfo this way, and that is exactly the bare-digest fault to show."""
    size = (key.key_size + 7) // 8
    block = b"\x00\x01" + b"\xff" * (size - 3 - len(data)) + b"\x00" + data
    numbers = key.private_numbers()
    value = pow(int.from_bytes(block, "big"), numbers.d, numbers.public_numbers.n)
    return value.to_bytes(size, "big")


class LocalProvider(LocalServer):
    """`start()` serves on 127.0.0.1 (a random port unless given); `stop()` ends it."""

    def __init__(self, *, client_id: str = "madoguchitest",
                 redirect_uris=("http://testserver/login/digital-auth/callback/",),
                 client_secret: str = "", client_public_key=None, id_token_alg: str = "RS256",  # noqa: S107 (an algorithm)
                 user: Resident | None = None, port: int = 0, signing_key=None,
                 signing_certificate=None, interactive: bool = False, host: str = "127.0.0.1",
                 client_jwks: dict | None = None, client_encryption_key=None):
        """`client_jwks` is the relying party's public JWKS as registered (its `use: sig` key
        for private_key_jwt, its `use: enc` key for the signing result); `client_public_key`
        and `client_encryption_key` give the two keys one by one instead."""
        for jwk in (client_jwks or {}).get("keys", []):
            if jwk.get("use") == "enc":
                client_encryption_key = client_encryption_key or jwk
            else:
                client_public_key = client_public_key or jwk
        client_public_key = _jwk(client_public_key)
        self.client_encryption_key = _jwk(client_encryption_key)
        self.client_encryption_kid = (client_encryption_key.get("kid")
                                      if isinstance(client_encryption_key, dict) else None)
        if not client_secret and client_public_key is None:
            raise ValueError("give client_secret (client_secret_basic) or client_public_key (private_key_jwt)")
        self.client_id = client_id
        self.redirect_uris = tuple(redirect_uris)
        self.client_secret = client_secret
        self.client_public_key = client_public_key
        self.id_token_alg = id_token_alg
        self.user = user or Resident()
        self.faults = Faults()
        self.iss_parameter_supported = True  # RFC 9207; False: as a provider that predates it
        self.requests: list[tuple[str, str]] = []  # (method, path) of every request served
        self.authorize_params: list[dict] = []
        self._port = port
        self._host = host
        self.interactive = interactive
        self._pending: dict[str, dict] = {}  # interactive hand-offs waiting for 許可する
        self._lock = threading.Lock()
        self._keys: list[tuple[str, object]] = []
        self._codes: dict[str, dict] = {}
        self._tokens: dict[str, dict] = {}
        self._transactions: dict[str, bytes] = {}
        self._jtis: set[str] = set()
        self._card = None
        self.rotate_keys()
        if signing_key is not None or signing_certificate is not None:
            self.use_signing_card(signing_key, signing_certificate)

    def handler(self):
        return type("Handler", (_Handler,), {"provider": self})

    @property
    def issuer(self) -> str:
        return f"http://{self._host}:{self.bound_port}"

    @property
    def token_endpoint(self) -> str:
        return f"{self.issuer}/token"

    @property
    def sign_endpoint(self) -> str:
        return f"{self.issuer}/sign-transactions"

    def count(self, path: str) -> int:
        return sum(1 for _method, served in self.requests if served == path)

    def rotate_keys(self) -> str:
        """Replace the ID-token signing key; the JWKS publishes only the new one."""
        with self._lock:
            kid = f"key-{len(self.requests)}-{secrets.token_hex(4)}"
            self._keys = [(kid, _new_key(self.id_token_alg))]
        return kid

    def use_signing_card(self, key, certificate) -> None:
        """Sign with this 署名用 key and certificate, e.g. a `SoftCard` issued by the test CA
        (`make_card(ca, person)`: `card.signing_key`, `card.signing_cert`), so the result
        passes JPKI verification. Without it the provider signs with a self-signed stand-in."""
        if key is None or certificate is None:
            raise ValueError("give both the signing key and its certificate")
        if isinstance(certificate, (str, bytes)):
            certificate = x509.load_pem_x509_certificate(
                certificate.encode("ascii") if isinstance(certificate, str) else certificate)
        if certificate.public_key().public_numbers() != key.public_key().public_numbers():
            raise ValueError("the certificate is not for this key")
        with self._lock:
            self._card = (key, certificate)

    # -- endpoints (called with the lock held) ---------------------------------------------
    def _discovery(self, req):
        return 200, {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": self.token_endpoint,
            "userinfo_endpoint": f"{self.issuer}/userinfo",
            "jwks_uri": f"{self.issuer}/jwks",
            "response_types_supported": ["code"],
            "grant_types_supported": ["authorization_code", "client_credentials"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": [self.id_token_alg],
            "scopes_supported": ["openid", *CLAIM_SCOPES, "sign"],
            "claims_supported": ["sub", *CLAIM_SCOPES],
            "token_endpoint_auth_methods_supported": [
                "client_secret_basic" if self.client_secret else "private_key_jwt"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_signing_alg_values_supported": ["RS256", "ES256"],
            "acr_values_supported": list(ACR_SUPPORTED),
            "authorization_response_iss_parameter_supported": self.iss_parameter_supported,
        }

    def _authorize(self, req):
        def q(name):
            return _one(req.query, name)

        self.authorize_params.append({k: v[0] for k, v in req.query.items()})
        redirect_uri, state = q("redirect_uri"), q("state")
        if q("client_id") != self.client_id or redirect_uri not in self.redirect_uris:
            # Never redirect to an unregistered URI: answer here instead.
            return 400, {"error": "invalid_request", "error_description": "unknown client or redirect_uri"}

        def back(**params):
            if state is not None:
                params["state"] = f"{state}x" if self.faults.wrong_state else state
            if not self.faults.no_iss:
                params["iss"] = "https://another-idp.example" if self.faults.wrong_iss else self.issuer
            separator = "&" if "?" in redirect_uri else "?"
            return 302, b"", {"Location": redirect_uri + separator + urllib.parse.urlencode(params)}

        scopes = (q("scope") or "").split()
        problem = (
            "response_type must be code" if q("response_type") != "code"
            else "scope must include openid" if "openid" not in scopes
            else "state and nonce are required" if not state or not q("nonce")
            else "PKCE with S256 is required" if q("code_challenge_method") != "S256"
            or not _CHALLENGE.fullmatch(q("code_challenge") or "")
            else "unknown sign_transaction_id" if "sign" in scopes
            and q("sign_transaction_id") not in self._transactions
            else None
        )
        if problem:
            return back(error="invalid_request", error_description=problem)
        grant = {
            "redirect_uri": redirect_uri, "challenge": q("code_challenge"), "nonce": q("nonce"),
            "scopes": scopes, "used": False, "tokens": [],
            "sign_transaction_id": q("sign_transaction_id") if "sign" in scopes else None,
            "acr_values": (q("acr_values") or "").split(),
        }
        if self.interactive:
            handoff = secrets.token_urlsafe(24)
            self._pending[handoff] = {"grant": grant, "back": back}
            return 200, _handoff_page(handoff, signing="sign" in scopes)
        return self._decide(grant, back, approve=not self.faults.deny)

    def _decide(self, grant: dict, back, *, approve: bool):
        if not approve:
            return back(error="access_denied", error_description="the resident cancelled")
        code = secrets.token_urlsafe(24)
        self._codes[code] = grant
        return back(code=code)

    def _handoff(self, req):
        """The resident's answer on the interactive page: 許可する with a PIN, or キャンセル."""
        pending = self._pending.get(_one(req.form, "handoff") or "")
        if pending is None:
            return 400, _page("このお手続きは終了しました", "<p>最初からもう一度お試しください。</p>")
        signing = "sign" in pending["grant"]["scopes"]
        if _one(req.form, "decision") != "approve":
            del self._pending[_one(req.form, "handoff")]
            return self._decide(pending["grant"], pending["back"], approve=False)
        pin = _one(req.form, "pin") or ""
        if not (_SIGNING_PIN if signing else _LOGIN_PIN).fullmatch(pin):
            return 200, _handoff_page(_one(req.form, "handoff"), signing=signing, error=True)
        del self._pending[_one(req.form, "handoff")]
        return self._decide(pending["grant"], pending["back"], approve=not self.faults.deny)

    def _client_problem(self, req) -> str | None:
        if _one(req.form, "client_id") not in (None, self.client_id):
            return "client_id is not registered"
        if self.client_secret:
            header = req.headers.get("Authorization") or ""
            try:
                user, _, secret = base64.b64decode(header.removeprefix("Basic "), validate=True).decode().partition(":")
            except (binascii.Error, UnicodeDecodeError):
                return "client_secret_basic expected"
            ok = urllib.parse.unquote_plus(user) == self.client_id and hmac.compare_digest(
                urllib.parse.unquote_plus(secret).encode(), self.client_secret.encode())
            return None if ok and header.startswith("Basic ") else "wrong client credentials"
        if _one(req.form, "client_assertion_type") != ASSERTION_TYPE:
            return "private_key_jwt expected"
        try:
            assertion = jwt.decode(_one(req.form, "client_assertion") or "", self.client_public_key,
                                   algorithms=["RS256", "ES256"])
        except (JoseError, ValueError) as exc:
            return f"client assertion: {exc}"
        claims = assertion.claims
        aud = claims.get("aud")
        if claims.get("iss") != self.client_id or claims.get("sub") != self.client_id:
            return "assertion iss and sub must be the client_id"
        if self.token_endpoint not in ([aud] if isinstance(aud, str) else aud or []):
            return "assertion aud must be the token endpoint"
        if not isinstance(claims.get("exp"), int) or claims["exp"] < time.time():
            return "assertion expired"
        if not claims.get("jti") or claims["jti"] in self._jtis:
            return "assertion jti missing or replayed"
        self._jtis.add(claims["jti"])
        return None

    def _token(self, req):
        problem = self._client_problem(req)
        if problem:
            return 401, {"error": "invalid_client", "error_description": problem}
        grant = _one(req.form, "grant_type")
        if grant == "client_credentials":
            token = secrets.token_urlsafe(32)
            self._tokens[token] = {"client_only": True}
            return 200, {"access_token": token, "token_type": "Bearer", "expires_in": 300}
        if grant != "authorization_code":
            return 400, {"error": "unsupported_grant_type"}
        record = self._codes.get(_one(req.form, "code") or "")
        if record is None:
            return 400, {"error": "invalid_grant", "error_description": "unknown code"}
        if record["used"]:  # RFC 6749 4.1.2: also revoke what the code was exchanged for
            for token in record["tokens"]:
                self._tokens.pop(token, None)
            return 400, {"error": "invalid_grant", "error_description": "code already used"}
        record["used"] = True
        if _one(req.form, "redirect_uri") != record["redirect_uri"]:
            return 400, {"error": "invalid_grant", "error_description": "redirect_uri differs"}
        verifier = _one(req.form, "code_verifier") or ""
        if not _VERIFIER.fullmatch(verifier) or not hmac.compare_digest(_s256(verifier), record["challenge"]):
            return 400, {"error": "invalid_grant", "error_description": "PKCE verification failed"}
        access_token = secrets.token_urlsafe(32)
        self._tokens[access_token] = {"sub": self.user.sub, "scopes": record["scopes"],
                                      "sign_transaction_id": record["sign_transaction_id"]}
        record["tokens"].append(access_token)
        return 200, {"access_token": access_token, "token_type": "Bearer", "expires_in": 300,
                     "scope": " ".join(record["scopes"]),
                     "id_token": self._id_token(record["nonce"], record["acr_values"])}

    def _id_token(self, nonce: str, acr_values=()) -> str:
        now = int(time.time())
        claims = {"iss": self.issuer, "sub": self.user.sub, "aud": self.client_id,
                  "azp": self.client_id, "exp": now + 300, "iat": now, "auth_time": now,
                  "nonce": nonce}
        # The card login is AAL3 with the CRL checked: the first class asked for that it does.
        acr = next((value for value in acr_values if value in ACR_SUPPORTED), None)
        if self.faults.low_acr:
            acr = "aal2"
        if acr:
            claims["acr"] = acr
        for name, value in self.faults.id_token_claims.items():
            if value is None:
                claims.pop(name, None)
            else:
                claims[name] = value
        kid, key = self._keys[-1]
        if self.faults.unpublished_key:
            kid, key = "unpublished", _new_key(self.id_token_alg)
        token = jwt.encode({"alg": self.id_token_alg, "typ": "JWT", "kid": kid}, claims, key)
        if self.faults.bad_signature:
            head, body, signature = token.split(".")
            damaged = bytearray(urlsafe_b64decode(signature.encode("ascii")))
            damaged[len(damaged) // 2] ^= 0x01
            token = f"{head}.{body}.{urlsafe_b64encode(bytes(damaged)).decode('ascii')}"
        return token

    def _jwks(self, req):
        return 200, {"keys": [{**key.as_dict(private=False), "kid": kid, "use": "sig", "alg": self.id_token_alg}
                              for kid, key in self._keys]}

    def _resident_token(self, req) -> dict | None:
        info = self._tokens.get(req.bearer())
        return info if info and not info.get("client_only") else None

    def _userinfo(self, req):
        info = self._resident_token(req)
        if info is None:
            return 401, {"error": "invalid_token"}, {"WWW-Authenticate": 'Bearer error="invalid_token"'}
        claims = {"sub": self.faults.userinfo_sub or info["sub"]}
        claims.update({scope: getattr(self.user, scope) for scope in CLAIM_SCOPES if scope in info["scopes"]})
        return 200, claims

    def _start_signing(self, req):
        """Register what the card is to sign: the base64 of a DER DigestInfo (or, which the
        card signs just the same, a bare SHA-256), for this client; answers a UUID."""
        info = self._tokens.get(req.bearer())
        if not info or not info.get("client_only"):
            return 401, {"error": "invalid_token"}
        body = req.json if isinstance(req.json, dict) else {}
        try:
            to_sign = base64.b64decode(body.get("digest") or "", validate=True)
        except (binascii.Error, TypeError):
            to_sign = b""
        if body.get("client_id") != self.client_id:
            return 400, {"error": "invalid_request", "error_description": "client_id differs"}
        if len(to_sign) not in (32, 51):
            return 400, {"error": "invalid_request", "error_description": "digest must be a SHA-256 or its DigestInfo"}
        transaction_id = str(uuid.uuid4())
        self._transactions[transaction_id] = to_sign
        return 201, {"sign_transaction_id": transaction_id}

    def _sign_result(self, req, transaction_id: str):
        info = self._resident_token(req)
        if info is None:
            return 401, {"error": "invalid_token"}
        if info.get("sign_transaction_id") != transaction_id or transaction_id not in self._transactions:
            return 403, {"error": "access_denied"}
        to_sign = self._transactions[transaction_id]
        if self.faults.sign_other_digest:
            to_sign = _DIGEST_INFO_SHA256 + hashlib.sha256(b"another document").digest()
        if self.faults.bare_digest:
            to_sign = to_sign.removeprefix(_DIGEST_INFO_SHA256)
        key, certificate = self._card_key()
        result = {"signature": base64.b64encode(_raw_pkcs1_sign(key, to_sign)).decode("ascii"),
                  "certificate": base64.b64encode(certificate.public_bytes(serialization.Encoding.DER)).decode("ascii")}
        if self.faults.plain_result:
            return 200, result
        return 200, self._encrypt(json.dumps(result).encode("utf-8")), {"Content-Type": "application/jose"}

    def _encrypt(self, plaintext: bytes) -> bytes:
        """The result as a compact JWE to the relying party's registered encryption key."""
        key = self.client_encryption_key
        if key is None:
            raise ValueError("the relying party registered no encryption key")
        kid = self.client_encryption_kid
        if self.faults.wrong_encryption_key:
            key = _new_key("ES256" if key.key_type == "EC" else "RS256")
            kid = "not-the-relying-partys"
        alg = self.faults.jwe_alg or JWE_ALGORITHMS[key.key_type]
        header = {"alg": alg, "enc": JWE_ENCRYPTION, **({"kid": kid} if kid else {})}
        return jwe.encrypt_compact(header, plaintext, key, algorithms=[alg, JWE_ENCRYPTION]).encode("ascii")

    def _card_key(self):
        """The test user's 署名用 key and certificate: as given to `use_signing_card`, else a
        generated key and a self-signed stand-in (which JPKI verification refuses)."""
        if self._card is None:
            key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            name = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "JP"),
                              x509.NameAttribute(NameOID.COMMON_NAME, "Madoguchi test signing card")])
            now = datetime.now(UTC)
            certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
                           .public_key(key.public_key()).serial_number(x509.random_serial_number())
                           .not_valid_before(now - timedelta(minutes=5))
                           .not_valid_after(now + timedelta(days=1)).sign(key, hashes.SHA256()))
            self._card = (key, certificate)
        return self._card

    def _route(self, method: str, path: str):
        routes = {
            ("GET", "/.well-known/openid-configuration"): self._discovery,
            ("GET", "/.well-known/oauth-authorization-server"): self._discovery,  # RFC 8414
            ("GET", "/authorize"): self._authorize,
            ("POST", "/authorize/decision"): self._handoff,
            ("POST", "/token"): self._token,
            ("GET", "/jwks"): self._jwks,
            ("GET", "/userinfo"): self._userinfo,
            ("POST", "/sign-transactions"): self._start_signing,
        }
        if (method, path) in routes:
            return routes[method, path]
        match = re.fullmatch(r"/sign-transactions/([0-9a-f-]{36})/result", path)
        if method == "GET" and match:
            return lambda req: self._sign_result(req, match.group(1))
        return None


class _Handler(LocalHandler):
    provider: LocalProvider

    def _serve(self, method: str) -> None:
        url = urllib.parse.urlsplit(self.path)
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        content_type = (self.headers.get("Content-Type") or "").split(";")[0].strip()
        try:
            body = json.loads(raw) if content_type == "application/json" else None
        except ValueError:
            body = None
        form = urllib.parse.parse_qs(raw.decode("utf-8", "replace"), keep_blank_values=True) \
            if content_type == "application/x-www-form-urlencoded" else {}
        req = _Request(urllib.parse.parse_qs(url.query, keep_blank_values=True), form, body, self.headers)
        provider = self.provider
        with provider._lock:
            provider.requests.append((method, url.path))
            endpoint = provider._route(method, url.path)
            try:
                reply = endpoint(req) if endpoint else (404, {"error": "not_found"})
            except Exception as exc:  # a bug here must show as a 500, not as a dropped connection
                reply = (500, {"error": "server_error", "error_description": repr(exc)})
        status, payload, headers = (*reply, {}) if len(reply) == 2 else reply
        if isinstance(payload, str):  # an interactive page
            payload, headers = payload.encode("utf-8"), {"Content-Type": "text/html; charset=utf-8", **headers}
        data = payload if isinstance(payload, bytes) else json.dumps(payload, ensure_ascii=False).encode()
        self.send_response(status)
        if not isinstance(payload, bytes):
            self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)


_STYLE = """
body{font-family:sans-serif;margin:0;background:#f4f6f8;color:#1a1a1a;line-height:1.6}
header{background:#00418c;color:#fff;padding:.75rem 1rem;font-weight:bold}
main{max-width:30rem;margin:0 auto;padding:1rem}
label{display:block;font-weight:bold;margin-top:1rem}
input{font-size:1.5rem;width:100%;box-sizing:border-box;padding:.5rem;letter-spacing:.3em}
.error{color:#b00020;font-weight:bold}
.actions{display:flex;flex-wrap:wrap;gap:.75rem;margin-top:1.5rem}
button{font-size:1.1rem;padding:.75rem 1.5rem;border-radius:.4rem;border:2px solid #00418c}
#approve{background:#00418c;color:#fff}#cancel{background:#fff;color:#00418c}
"""


def _page(title: str, body: str) -> str:
    return ("<!doctype html><html lang=\"ja\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>{title} - デジタル認証アプリ（テスト用）</title><style>{_STYLE}</style></head>"
            "<body><header>デジタル認証アプリ（テスト用）</header>"
            f"<main><h1>{title}</h1>{body}</main></body></html>")


def _handoff_page(handoff: str, *, signing: bool, error: bool = False) -> str:
    """The stand-in for the app: which card PIN it asks for depends on login or signing."""
    if signing:
        title, what = "電子署名", "署名用電子証明書の暗証番号（英数字6〜16文字）"
        rule, pattern, mode = "英大文字と数字で6〜16文字です。", "[0-9A-Z]{6,16}", "text"
    else:
        title, what = "ログイン", "利用者証明用電子証明書の暗証番号（数字4桁）"
        rule, pattern, mode = "数字4桁です。", "[0-9]{4}", "numeric"
    message = (f'<p class="error" id="pin-error">暗証番号の形が違います。{rule}</p>' if error else "")
    described = ' aria-describedby="pin-error" aria-invalid="true"' if error else ""
    return _page(title, (
        "<p>テスト用の画面です。本物のアプリでは、マイナンバーカードをスマートフォンにかざします。</p>"
        '<form method="post" action="/authorize/decision">'
        f'<input type="hidden" name="handoff" value="{handoff}">'
        f'<label for="pin">{what}</label>{message}'
        f'<input id="pin" name="pin" type="password" inputmode="{mode}" autocomplete="off" '
        f'pattern="{pattern}"{described}>'
        '<div class="actions">'
        '<button type="submit" id="approve" name="decision" value="approve">許可する</button>'
        '<button type="submit" id="cancel" name="decision" value="cancel" formnovalidate>キャンセル</button>'
        "</div></form>"))


class NoRedirect(urllib.request.HTTPRedirectHandler):
    """urllib that stops at a redirect (raising HTTPError with the 3xx), as a phone's browser
    would hand the redirect back to the relying party."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


def follow_authorization(url: str, timeout: float = 5.0) -> dict[str, str]:
    """What a phone's browser does: GET the authorization URL, stop at the redirect back to the
    relying party, and return that redirect's query parameters (code and state, or error)."""
    if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
        raise ValueError(f"not an HTTP URL: {url!r}")
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(url, timeout=timeout) as resp:
            raise RuntimeError(f"authorization answered HTTP {resp.status}, not a redirect")
    except urllib.error.HTTPError as exc:
        with exc:
            if exc.code not in (302, 303):
                raise RuntimeError(f"authorization answered HTTP {exc.code}: {exc.read()[:300]!r}") from exc
            location = exc.headers["Location"]
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(location).query, keep_blank_values=True)
    return {name: values[0] for name, values in query.items()}


def card_from_test_ca(directory, user: Resident | None = None):
    """A 署名用 key and a certificate for `user` issued by the test CA in `directory` (the
    MADOGUCHI_JPKI_DIR a demo server trusts), for `use_signing_card`."""
    from madoguchi.identity.jpki.ca import TestCA
    from madoguchi.identity.jpki.profile import BasicInfo

    user = user or Resident()
    person = BasicInfo(name=user.name, address=user.address,
                       birth_date=date.fromisoformat(user.birthdate), gender=user.gender)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key, TestCA.load(directory).issue_signing_certificate(key.public_key(), person)


DEMO_CLIENT_ID = "madoguchidemo"  # the reference's client_id form: [0-9a-zA-Z]{1,255}
DEMO_SIGNING_KID, DEMO_ENCRYPTION_KID = "madoguchi-demo-sig", "madoguchi-demo-enc"


def demo_client_keys(directory) -> dict[str, str]:
    """The relying party's two demo key files in `directory` (signing.pem for private_key_jwt,
    encryption.pem for the signing result's JWE), created when missing; returns the settings
    that point Madoguchi at them. Separate keys: one key never both signs and decrypts."""
    from madoguchi.identity.oidc.keys import generate_private_key_pem

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    for name in ("signing.pem", "encryption.pem"):
        path = directory / name
        if not path.exists():
            path.write_text(generate_private_key_pem(), encoding="ascii")
            path.chmod(0o600)
    return {"PRIVATE_KEY_FILE": str((directory / "signing.pem").resolve()), "KEY_ID": DEMO_SIGNING_KID,
            "ENCRYPTION_KEY_FILE": str((directory / "encryption.pem").resolve()),
            "ENCRYPTION_KEY_ID": DEMO_ENCRYPTION_KID}


_USAGE = """\
How `make run` starts it (the demo: Madoguchi on 8000, this provider on 8012):

  python -m madoguchi.identity.oidc.testing_provider --host 127.0.0.1 --port 8012 \\
    --client-id madoguchidemo \\
    --redirect-uri http://127.0.0.1:8000/login/digital-auth/callback/ \\
    --client-keys var/digital-auth --jpki-dir var/jpki --interactive

It prints the MADOGUCHI_DIGITAL_AUTH_* settings Madoguchi needs (the same every time for the
same arguments, so a Makefile can also write them down itself); with --settings-only it creates
the relying party's key files, prints the settings and exits, so they can be exported before the
web server starts. --client-jwks FILE_OR_URL takes the relying party's published public JWKS
instead of --client-keys (as the real provider does); --client-secret uses client_secret_basic.
"""


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(
        description="Local デジタル認証アプリ provider for tests and the demo (never in production).",
        epilog=_USAGE, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port (default: any free port)")
    parser.add_argument("--client-id", default=DEMO_CLIENT_ID, help="the relying party's client_id "
                        f"([0-9a-zA-Z]; default {DEMO_CLIENT_ID})")
    parser.add_argument("--redirect-uri", required=True, help="the relying party's callback URL, "
                        "e.g. http://127.0.0.1:8000/login/digital-auth/callback/")
    keys = parser.add_mutually_exclusive_group(required=True)
    keys.add_argument("--client-keys", metavar="DIR", help="the relying party's key files "
                      "(DIR/signing.pem, DIR/encryption.pem), created when missing")
    keys.add_argument("--client-jwks", metavar="FILE_OR_URL",
                      help="the relying party's public JWKS (its signing key for private_key_jwt)")
    keys.add_argument("--client-secret", help="use client_secret_basic with this secret")
    parser.add_argument("--jpki-dir", help="sign with a certificate from the test CA in this "
                        "directory (the server's MADOGUCHI_JPKI_DIR), so signatures verify")
    parser.add_argument("--interactive", action="store_true", help="show the app's hand-off page "
                        "(PIN, 「許可する」 #approve, 「キャンセル」 #cancel) instead of approving at once")
    parser.add_argument("--settings-only", action="store_true",
                        help="create the key files, print the settings and exit")
    args = parser.parse_args(argv)
    settings = {"CLIENT_ID": args.client_id, "REDIRECT_URI": args.redirect_uri}
    client_jwks = None
    if args.client_keys:
        from madoguchi.identity.oidc.keys import public_jwks

        settings |= {"CLIENT_AUTH_METHOD": "private_key_jwt", **demo_client_keys(args.client_keys)}
        client_jwks = public_jwks(
            Path(settings["PRIVATE_KEY_FILE"]).read_text(encoding="ascii"), settings["KEY_ID"],
            encryption_key_pem=Path(settings["ENCRYPTION_KEY_FILE"]).read_text(encoding="ascii"),
            encryption_kid=settings["ENCRYPTION_KEY_ID"])
    elif args.client_jwks:
        client_jwks = _load_jwks(args.client_jwks)
        settings["CLIENT_AUTH_METHOD"] = "private_key_jwt"
    else:
        settings |= {"CLIENT_AUTH_METHOD": "client_secret_basic", "CLIENT_SECRET": args.client_secret}
    issuer = f"http://{args.host}:{args.port}"
    if args.settings_only:
        if not args.port:
            parser.error("--settings-only needs --port (the issuer URL names it)")
        _print_settings(settings, issuer)
        return
    provider = LocalProvider(client_id=args.client_id, redirect_uris=[args.redirect_uri],
                             client_secret=args.client_secret or "", client_jwks=client_jwks,
                             port=args.port, host=args.host, interactive=args.interactive)
    if args.jpki_dir:
        provider.use_signing_card(*card_from_test_ca(args.jpki_dir, provider.user))
    provider.start()
    _print_settings(settings, provider.issuer)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        provider.stop()


def _print_settings(settings: dict, issuer: str) -> None:
    settings = {"ISSUER": issuer, **settings, "SIGN_ENDPOINT": f"{issuer}/sign-transactions"}
    for name, value in settings.items():
        print(f"MADOGUCHI_DIGITAL_AUTH_{name}={value}")
    print(flush=True)


def _load_jwks(source: str) -> dict:
    """The relying party's public JWKS (a file or an http(s) URL)."""
    if source.startswith(("http://", "https://")):
        with urllib.request.urlopen(source, timeout=10) as resp:  # noqa: S310 (scheme checked)
            jwks = json.load(resp)
    else:
        with open(source, encoding="utf-8") as handle:  # noqa: PTH123
            jwks = json.load(handle)
    if not any(key.get("use", "sig") == "sig" for key in jwks.get("keys", [])):
        raise SystemExit(f"no signing key in {source}")
    return jwks


if __name__ == "__main__":
    main()
