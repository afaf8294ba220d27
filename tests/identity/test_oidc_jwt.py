"""The JWS module accepts exactly RS256 and ES256 tokens whose signature verifies."""

import json

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from madoguchi.identity.oidc import jwt


@pytest.fixture(scope="module")
def rsa_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def ec_key():
    return ec.generate_private_key(ec.SECP256R1())


def _token(header: dict, claims: dict, signature: bytes = b"x") -> str:
    return ".".join(jwt.b64url_encode(part) for part in
                    (json.dumps(header).encode(), json.dumps(claims).encode(), signature))


@pytest.mark.parametrize("key_name, alg", [("rsa_key", "RS256"), ("ec_key", "ES256")])
def test_sign_then_verify(request, key_name, alg):
    key = request.getfixturevalue(key_name)
    token = jwt.sign({"sub": "髙﨑"}, key, kid="k1")
    parsed = jwt.parse(token)
    jwt.verify(parsed, key.public_key())
    assert (parsed.alg, parsed.kid, parsed.claims) == (alg, "k1", {"sub": "髙﨑"})


@pytest.mark.parametrize("key_name", ["rsa_key", "ec_key"])
def test_a_changed_payload_does_not_verify(request, key_name):
    key = request.getfixturevalue(key_name)
    head, _, signature = jwt.sign({"sub": "a"}, key).split(".")
    other = jwt.b64url_encode(json.dumps({"sub": "b"}).encode())
    forged = jwt.parse(f"{head}.{other}.{signature}")
    with pytest.raises(jwt.JwtError, match="does not verify"):
        jwt.verify(forged, key.public_key())


@pytest.mark.parametrize("alg", ["none", "HS256", "RS512", "PS256", None])
def test_other_algorithms_are_refused(alg):
    with pytest.raises(jwt.JwtError, match="not accepted"):
        jwt.parse(_token({"alg": alg}, {"sub": "a"}))


def test_the_key_decides_the_algorithm_not_the_token(rsa_key, ec_key):
    parsed = jwt.parse(jwt.sign({"sub": "a"}, rsa_key))
    with pytest.raises(jwt.JwtError, match="does not fit"):
        jwt.verify(parsed, ec_key.public_key())


def test_es256_needs_the_raw_64_byte_signature(ec_key):
    head, body, signature = jwt.sign({"sub": "a"}, ec_key).split(".")
    padded = jwt.parse(f"{head}.{body}.{jwt.b64url_encode(jwt.b64url_decode(signature) + b'0')}")
    with pytest.raises(jwt.JwtError, match="64 bytes"):
        jwt.verify(padded, ec_key.public_key())


def test_weak_rsa_keys_are_refused():
    small = rsa.generate_private_key(public_exponent=65537, key_size=1024)  # noqa: S505 (the point)
    with pytest.raises(jwt.JwtError):
        jwt.sign({"sub": "a"}, small)


@pytest.mark.parametrize("token", [
    "a.b", "a.b.c.d", _token({"alg": "RS256", "crit": ["exp"]}, {}),
    '{"alg":"RS256"}.e30.eA',
])
def test_malformed_tokens_are_refused(token):
    with pytest.raises(jwt.JwtError):
        jwt.parse(token)


def test_duplicate_claims_are_refused():
    header = jwt.b64url_encode(b'{"alg":"RS256"}')
    claims = jwt.b64url_encode(b'{"sub":"a","sub":"b"}')
    with pytest.raises(jwt.JwtError, match="duplicate"):
        jwt.parse(f"{header}.{claims}.eA")


@pytest.mark.parametrize("text", ["YQ==", "a+b/", "a b"])
def test_base64url_is_strict(text):
    with pytest.raises(jwt.JwtError):
        jwt.b64url_decode(text)


@pytest.mark.parametrize("key_name", ["rsa_key", "ec_key"])
def test_jwk_round_trip(request, key_name):
    public = request.getfixturevalue(key_name).public_key()
    jwk = jwt.jwk_from_public_key(public, "k1")
    assert jwk["kid"] == "k1" and jwk["use"] == "sig"
    assert jwt.public_key_from_jwk(jwk).public_numbers() == public.public_numbers()


def test_jwk_of_another_curve_is_refused():
    jwk = {"kty": "EC", "crv": "P-384", "x": "AA", "y": "AA"}
    with pytest.raises(jwt.JwtError):
        jwt.public_key_from_jwk(jwk)
