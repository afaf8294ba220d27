"""JWS compact serialization (RFC 7515) for exactly the two algorithms used here: RS256, ES256.

Why not a library: `cryptography` is already a dependency and an explicit module this size is
easier to audit than a general JOSE stack. Every other algorithm ("none", HS256, …) is refused on
purpose: the algorithm of an ID token is never up to the token itself.
"""

import base64
import binascii
import json
import re
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

ALGORITHMS = ("RS256", "ES256")
_P256 = 32  # bytes in each of r, s and a coordinate
_B64URL = re.compile(r"[A-Za-z0-9_-]*")


class JwtError(ValueError):
    """The token is malformed, uses another algorithm, or its signature does not verify."""


def b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Strict: only the URL-safe alphabet, no padding (RFC 7515 section 2)."""
    if not isinstance(text, str) or not _B64URL.fullmatch(text):
        raise JwtError("not base64url")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise JwtError("not base64url") from exc


def _no_duplicates(pairs):
    obj = {}
    for key, value in pairs:
        if key in obj:
            raise JwtError(f"duplicate member {key!r}")
        obj[key] = value
    return obj


def _json_object(data: bytes) -> dict:
    try:
        value = json.loads(data.decode("utf-8"), object_pairs_hook=_no_duplicates)
    except JwtError:
        raise
    except (UnicodeDecodeError, ValueError) as exc:
        raise JwtError("not a JSON object") from exc
    if not isinstance(value, dict):
        raise JwtError("not a JSON object")
    return value


@dataclass(frozen=True)
class Jws:
    header: dict
    claims: dict
    signing_input: bytes
    signature: bytes

    @property
    def alg(self) -> str:
        return self.header["alg"]

    @property
    def kid(self) -> str | None:
        return self.header.get("kid")


def parse(token: str) -> Jws:
    """Split and decode without verifying; call `verify` before trusting anything in it."""
    parts = token.split(".") if isinstance(token, str) else []
    if len(parts) != 3:
        raise JwtError("not a JWS in compact serialization")
    header = _json_object(b64url_decode(parts[0]))
    if header.get("alg") not in ALGORITHMS:
        raise JwtError(f"algorithm {header.get('alg')!r} is not accepted")
    if "crit" in header:
        raise JwtError("critical header parameters are not supported")
    claims = _json_object(b64url_decode(parts[1]))
    return Jws(header, claims, f"{parts[0]}.{parts[1]}".encode("ascii"), b64url_decode(parts[2]))


def algorithm_for(key) -> str:
    """RS256 for RSA keys of 2048 bits or more, ES256 for P-256 keys; anything else is refused."""
    if isinstance(key, (rsa.RSAPrivateKey, rsa.RSAPublicKey)) and key.key_size >= 2048:
        return "RS256"
    if isinstance(key, (ec.EllipticCurvePrivateKey, ec.EllipticCurvePublicKey)) and isinstance(
        key.curve, ec.SECP256R1
    ):
        return "ES256"
    raise JwtError("only RSA (2048 bits or more) and P-256 keys are supported")


def verify(jws: Jws, public_key) -> None:
    if algorithm_for(public_key) != jws.alg:
        raise JwtError(f"key does not fit algorithm {jws.alg}")
    try:
        if jws.alg == "RS256":
            public_key.verify(jws.signature, jws.signing_input, padding.PKCS1v15(), hashes.SHA256())
            return
        if len(jws.signature) != 2 * _P256:
            raise JwtError("ES256 signature must be 64 bytes")
        r = int.from_bytes(jws.signature[:_P256], "big")
        s = int.from_bytes(jws.signature[_P256:], "big")
        public_key.verify(encode_dss_signature(r, s), jws.signing_input, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature as exc:
        raise JwtError("signature does not verify") from exc


def sign(claims: dict, private_key, *, kid: str | None = None) -> str:
    alg = algorithm_for(private_key)
    header = {"alg": alg, "typ": "JWT"} | ({"kid": kid} if kid else {})
    signing_input = ".".join(
        b64url_encode(json.dumps(part, ensure_ascii=False, separators=(",", ":")).encode())
        for part in (header, claims)
    )
    data = signing_input.encode("ascii")
    if alg == "RS256":
        signature = private_key.sign(data, padding.PKCS1v15(), hashes.SHA256())
    else:
        r, s = decode_dss_signature(private_key.sign(data, ec.ECDSA(hashes.SHA256())))
        signature = r.to_bytes(_P256, "big") + s.to_bytes(_P256, "big")
    return f"{signing_input}.{b64url_encode(signature)}"


def _int(jwk: dict, name: str) -> int:
    return int.from_bytes(b64url_decode(jwk.get(name, "")), "big")


def public_key_from_jwk(jwk: dict):
    """An RSA or P-256 public key from a JWK (RFC 7517/7518); other key types are refused."""
    try:
        if jwk.get("kty") == "RSA":
            return rsa.RSAPublicNumbers(_int(jwk, "e"), _int(jwk, "n")).public_key()
        if jwk.get("kty") == "EC" and jwk.get("crv") == "P-256":
            if len(b64url_decode(jwk.get("x", ""))) != _P256 or len(b64url_decode(jwk.get("y", ""))) != _P256:
                raise JwtError("P-256 coordinates must be 32 bytes")
            return ec.EllipticCurvePublicNumbers(_int(jwk, "x"), _int(jwk, "y"), ec.SECP256R1()).public_key()
    except (ValueError, TypeError, AttributeError) as exc:
        raise JwtError("invalid JWK") from exc
    raise JwtError(f"unsupported JWK type {jwk.get('kty')!r}")


def jwk_from_public_key(public_key, kid: str) -> dict:
    """The public JWK with `kid`, `use` and `alg` set, as published in a JWKS."""
    alg = algorithm_for(public_key)
    if alg == "RS256":
        numbers = public_key.public_numbers()
        n = numbers.n.to_bytes((numbers.n.bit_length() + 7) // 8, "big")
        e = numbers.e.to_bytes((numbers.e.bit_length() + 7) // 8, "big")
        return {"kty": "RSA", "kid": kid, "use": "sig", "alg": alg,
                "n": b64url_encode(n), "e": b64url_encode(e)}
    numbers = public_key.public_numbers()
    return {"kty": "EC", "kid": kid, "use": "sig", "alg": alg, "crv": "P-256",
            "x": b64url_encode(numbers.x.to_bytes(_P256, "big")),
            "y": b64url_encode(numbers.y.to_bytes(_P256, "big"))}
