"""The デジタル認証アプリ client against a local provider speaking the same protocol.

Each rule is shown both ways: the provider behaves and the login succeeds, or the provider (or
an attacker in its place) breaks the rule and the client refuses with a plain Japanese message.
"""

import base64
import hashlib
import json
import time
import unicodedata
import uuid
from datetime import date

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed

from madoguchi.identity.oidc import client, transport
from madoguchi.identity.oidc.client import (
    LoginState,
    ProviderConfig,
    begin_login,
    finish_login,
    sign_document,
    start_signing,
)
from madoguchi.identity.oidc.errors import MESSAGES, OidcError
from madoguchi.identity.oidc.testing_provider import LocalProvider, Resident, follow_authorization


def b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")

REDIRECT_URI = "https://madoguchi.example.lg.jp/login/digital-auth/callback/"
STATE_MESSAGE = "ログインの手続きが途中で切れました。もう一度お試しください。"


def _pem(key) -> str:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode("ascii")


@pytest.fixture(scope="module")
def rp_key():
    return ec.generate_private_key(ec.SECP256R1())


@pytest.fixture(scope="module")
def enc_key():
    return ec.generate_private_key(ec.SECP256R1())


@pytest.fixture(autouse=True)
def _fresh_caches():
    client.clear_caches()
    yield
    client.clear_caches()


@pytest.fixture
def provider(rp_key, enc_key):
    with LocalProvider(redirect_uris=[REDIRECT_URI], client_public_key=rp_key.public_key(),
                       client_encryption_key=enc_key.public_key()) as local:
        yield local


@pytest.fixture
def config(provider, rp_key, enc_key):
    return ProviderConfig(issuer=provider.issuer, client_id=provider.client_id,
                          redirect_uri=REDIRECT_URI, private_key_pem=_pem(rp_key),
                          key_id="madoguchi-rp-1", sign_endpoint=provider.sign_endpoint,
                          encryption_key_pem=_pem(enc_key))


def _login(config, **kwargs):
    url, login = begin_login(config, **kwargs)
    return login, follow_authorization(url)


def _refused(config, login, params) -> OidcError:
    with pytest.raises(OidcError) as caught:
        finish_login(config, login, params)
    return caught.value


# -- the happy path ------------------------------------------------------------------------

def test_login_returns_the_verified_resident(provider, config):
    url, login = begin_login(config)
    assert login.code_verifier not in url
    params = follow_authorization(url)
    identity = finish_login(config, login, params)

    assert identity.subject == "ppid-madoguchi-test-0001"
    assert identity.name == "髙﨑 花子"
    assert identity.address == "東京都千代田区霞が関一丁目1番1号"
    assert identity.birthdate == date(1985, 3, 15)
    assert identity.gender == "2"
    assert identity.raw_claims["sub"] == identity.subject
    sent = provider.authorize_params[-1]
    assert sent["scope"] == "openid name address birthdate gender"
    assert sent["code_challenge_method"] == "S256"
    assert sent["code_challenge"] == b64url_encode(hashlib.sha256(login.code_verifier.encode()).digest())
    assert (sent["state"], sent["nonce"]) == (login.state, login.nonce)
    assert sent["acr_values"] == "aal3 crl"  # the Agency's documented value, by default
    assert [path for _, path in provider.requests] == [
        "/.well-known/openid-configuration", "/authorize", "/token", "/jwks", "/userinfo"]


@pytest.mark.parametrize("auth_method, rp_key_kind, id_token_alg", [
    ("client_secret_basic", None, "RS256"),
    ("private_key_jwt", "rsa", "RS256"),
    ("private_key_jwt", "ec", "ES256"),
])
def test_login_with_each_client_authentication_and_algorithm(auth_method, rp_key_kind, id_token_alg):
    key = {"rsa": rsa.generate_private_key(public_exponent=65537, key_size=2048),
           "ec": ec.generate_private_key(ec.SECP256R1()), None: None}[rp_key_kind]
    with LocalProvider(redirect_uris=[REDIRECT_URI], id_token_alg=id_token_alg,
                       client_secret="s3cret:&=+" if key is None else "",
                       client_public_key=key.public_key() if key else None) as provider:
        config = ProviderConfig(issuer=provider.issuer, client_id=provider.client_id,
                                redirect_uri=REDIRECT_URI, auth_method=auth_method,
                                client_secret="s3cret:&=+" if key is None else "",
                                private_key_pem=_pem(key) if key else "")
        identity = finish_login(config, *_login(config))
    assert identity.name == "髙﨑 花子"


def test_wrong_client_secret_is_refused():
    with LocalProvider(redirect_uris=[REDIRECT_URI], client_secret="right") as provider:
        config = ProviderConfig(issuer=provider.issuer, client_id=provider.client_id,
                                redirect_uri=REDIRECT_URI, auth_method="client_secret_basic",
                                client_secret="wrong")
        error = _refused(config, *_login(config))
    assert error.code == "token_rejected" and "invalid_client" in error.detail


def test_client_assertion_signed_with_another_key_is_refused(provider, config):
    other = ProviderConfig(**{**config.__dict__, "private_key_pem": _pem(ec.generate_private_key(ec.SECP256R1()))})
    error = _refused(other, *_login(other))
    assert error.code == "token_rejected" and "invalid_client" in error.detail


# -- state, PKCE and the code ----------------------------------------------------------------

def test_pkce_verifier_is_enforced(provider, config):
    login, params = _login(config)
    last = "B" if login.code_verifier.endswith("A") else "A"
    forged = LoginState(login.state, login.nonce, login.code_verifier[:-1] + last)
    error = _refused(config, forged, params)
    assert error.code == "token_rejected" and "PKCE" in error.detail


def test_state_mismatch_is_refused_before_the_code_is_spent(provider, config):
    provider.faults.wrong_state = True
    error = _refused(config, *_login(config))
    assert (error.code, error.message_ja) == ("state_mismatch", STATE_MESSAGE)
    assert provider.count("/token") == 0


def test_callback_of_another_login_is_refused(provider, config):
    login, _ = _login(config)
    _, other_params = _login(config)
    assert _refused(config, login, other_params).message_ja == STATE_MESSAGE


@pytest.mark.parametrize("session_value", [None, {}, {"state": "x"}])
def test_callback_without_a_login_in_the_session_is_refused(provider, config, session_value):
    _, params = _login(config)
    error = _refused(config, LoginState.from_session(session_value), params)
    assert error.message_ja == STATE_MESSAGE


def test_repeated_parameters_are_refused(provider, config):
    login, params = _login(config)
    repeated = {"state": [login.state, login.state], "code": [params["code"]]}
    assert _refused(config, login, repeated).code == "state_mismatch"


def test_login_state_survives_the_session_serializer(provider, config):
    _, login = begin_login(config)
    stored = json.loads(json.dumps(login.to_session()))
    assert LoginState.from_session(stored) == login


def test_code_is_single_use(provider, config):
    login, params = _login(config)
    first = finish_login(config, login, params)
    error = _refused(config, login, params)
    assert error.code == "token_rejected" and "already used" in error.detail
    # A replayed code also revokes the tokens it bought (RFC 6749 4.1.2).
    revoked = transport.request(f"{provider.issuer}/userinfo",
                                headers={"Authorization": f"Bearer {first.access_token}"})
    assert revoked.status == 401


# -- the ID token ----------------------------------------------------------------------------

class _Now(int):
    """A time claim given relative to the moment the test runs, not when it was collected."""


def _resolve(claims: dict) -> dict:
    now = int(time.time())
    return {name: now + value if isinstance(value, _Now) else value for name, value in claims.items()}


@pytest.mark.parametrize("claims, reason", [
    ({"nonce": "nonce-of-another-login"}, "nonce"),
    ({"nonce": None}, "nonce"),
    ({"aud": "another-municipality"}, "aud"),
    ({"aud": ["madoguchitest", "another-rp"], "azp": None}, "azp"),
    ({"azp": "another-rp"}, "azp"),
    ({"iss": "https://issuer.example.invalid"}, "iss"),
    ({"exp": _Now(-3600)}, "exp"),
    ({"exp": None}, "exp"),
    ({"iat": _Now(3600)}, "iat"),
    ({"sub": None}, "sub"),
])
def test_id_token_claims_are_checked(provider, config, claims, reason):
    provider.faults.id_token_claims = _resolve(claims)
    error = _refused(config, *_login(config))
    assert error.code == "id_token_invalid" and reason in error.detail
    assert provider.count("/userinfo") == 0


@pytest.mark.parametrize("claims", [
    {"exp": _Now(-10)},  # a clock a few seconds apart is tolerated
    {"iat": _Now(10)},
    {"aud": ["madoguchitest", "another-rp"], "azp": "madoguchitest"},
])
def test_id_token_leeway_and_multiple_audiences(provider, config, claims):
    provider.faults.id_token_claims = _resolve(claims)
    assert finish_login(config, *_login(config)).subject


def test_id_token_with_a_bad_signature_is_refused(provider, config):
    provider.faults.bad_signature = True
    error = _refused(config, *_login(config))
    assert error.code == "id_token_invalid" and "signature" in error.detail


def test_key_rotation_is_picked_up_by_refetching_the_jwks(provider, config):
    finish_login(config, *_login(config))
    finish_login(config, *_login(config))
    assert provider.count("/jwks") == 1  # cached between logins
    provider.rotate_keys()
    finish_login(config, *_login(config))
    assert provider.count("/jwks") == 2


def test_unknown_key_refetches_once_then_fails(provider, config):
    finish_login(config, *_login(config))
    provider.faults.unpublished_key = True
    error = _refused(config, *_login(config))
    assert error.code == "id_token_invalid" and "unpublished" in error.detail
    assert provider.count("/jwks") == 2


# -- userinfo and the 基本4情報 ------------------------------------------------------------------

def test_variant_kanji_are_kept_exactly(rp_key):
    resident = Resident(name="髙﨑 太郎", address="東京都千代田区\ufa19田錦町１丁目１番地　髙﨑ビル")
    with LocalProvider(redirect_uris=[REDIRECT_URI], client_public_key=rp_key.public_key(),
                       user=resident) as provider:
        config = ProviderConfig(issuer=provider.issuer, client_id=provider.client_id,
                                redirect_uri=REDIRECT_URI, private_key_pem=_pem(rp_key))
        identity = finish_login(config, *_login(config))
    assert identity.name == "\u9ad9\ufa11 太郎"
    assert identity.address == resident.address
    # NFC alone would turn U+FA19 into U+795E and NFKC the full-width digits: neither happened.
    assert unicodedata.normalize("NFC", identity.address) != identity.address


@pytest.mark.parametrize("claim, expected", [
    ("1985-03-15", date(1985, 3, 15)),
    ("19850315", date(1985, 3, 15)),
    ("1985-00-00", None),  # partly unknown dates exist in the 住民票
    ("", None),
])
def test_birthdate_claim(rp_key, claim, expected):
    with LocalProvider(redirect_uris=[REDIRECT_URI], client_public_key=rp_key.public_key(),
                       user=Resident(birthdate=claim)) as provider:
        config = ProviderConfig(issuer=provider.issuer, client_id=provider.client_id,
                                redirect_uri=REDIRECT_URI, private_key_pem=_pem(rp_key))
        identity = finish_login(config, *_login(config))
    assert identity.birthdate == expected and identity.raw_claims["birthdate"] == claim


def test_address_as_an_openid_address_object(rp_key):
    resident = Resident(address={"formatted": "北海道札幌市中央区北一条西二丁目", "country": "JP"})
    with LocalProvider(redirect_uris=[REDIRECT_URI], client_public_key=rp_key.public_key(),
                       user=resident) as provider:
        config = ProviderConfig(issuer=provider.issuer, client_id=provider.client_id,
                                redirect_uri=REDIRECT_URI, private_key_pem=_pem(rp_key))
        assert finish_login(config, *_login(config)).address == "北海道札幌市中央区北一条西二丁目"


def test_userinfo_about_someone_else_is_refused(provider, config):
    provider.faults.userinfo_sub = "ppid-of-another-resident"
    assert _refused(config, *_login(config)).code == "userinfo_failed"


# -- the resident says no, or the provider is away ------------------------------------------------

def test_denied_consent_gives_a_plain_message(provider, config):
    provider.faults.deny = True
    error = _refused(config, *_login(config))
    assert error.code == "login_cancelled"
    assert error.message_ja == MESSAGES["login_cancelled"]
    assert provider.count("/token") == 0


def test_provider_down_before_the_redirect(config, provider):
    provider.stop()
    with pytest.raises(OidcError) as caught:
        begin_login(config)
    assert caught.value.code == "provider_unreachable"
    assert caught.value.message_ja == MESSAGES["provider_unreachable"]


def test_provider_down_after_the_redirect(provider, config):
    login, params = _login(config)
    provider.stop()
    assert _refused(config, login, params).code == "provider_unreachable"


def test_discovery_for_another_issuer_is_refused(provider, rp_key):
    config = ProviderConfig(issuer=provider.issuer + "/", client_id=provider.client_id,
                            redirect_uri=REDIRECT_URI, private_key_pem=_pem(rp_key))
    with pytest.raises(OidcError) as caught:
        begin_login(config)
    assert caught.value.code == "provider_error" and "issuer" in caught.value.detail


def test_discovery_at_an_explicit_url(provider, rp_key):
    config = ProviderConfig(issuer=provider.issuer, client_id=provider.client_id,
                            redirect_uri=REDIRECT_URI, private_key_pem=_pem(rp_key),
                            discovery_url=f"{provider.issuer}/.well-known/oauth-authorization-server")
    assert finish_login(config, *_login(config)).subject
    assert provider.count("/.well-known/oauth-authorization-server") == 1
    assert provider.count("/.well-known/openid-configuration") == 0


# -- signing a submission ----------------------------------------------------------------------

def _sign(config, digest):
    transaction_id = start_signing(config, digest)
    login, params = _login(config, sign_transaction_id=transaction_id)
    identity = finish_login(config, login, params)
    return sign_document(config, identity.access_token, digest, transaction_id=transaction_id)


def test_signature_verifies_with_the_returned_certificate(provider, config):
    digest = hashlib.sha256("転入届 受付番号 K7M3-9PXR".encode()).digest()
    signed = _sign(config, digest)

    certificate = x509.load_pem_x509_certificate(signed.certificate_pem.encode())
    certificate.public_key().verify(signed.signature, digest, padding.PKCS1v15(), Prehashed(hashes.SHA256()))
    sent = provider.authorize_params[-1]
    assert "sign" in sent["scope"].split() and sent["sign_transaction_id"]


def test_signature_over_another_digest_is_refused(provider, config):
    provider.faults.sign_other_digest = True
    with pytest.raises(OidcError) as caught:
        _sign(config, hashlib.sha256(b"our document").digest())
    assert caught.value.code == "signature_invalid"


def test_sign_result_needs_the_token_of_that_signing_login(provider, config):
    digest = hashlib.sha256(b"our document").digest()
    transaction_id = start_signing(config, digest)
    plain_login = finish_login(config, *_login(config))
    with pytest.raises(OidcError) as caught:
        sign_document(config, plain_login.access_token, digest, transaction_id=transaction_id)
    assert caught.value.code == "signing_failed"


# -- configuration ---------------------------------------------------------------------------

@pytest.mark.parametrize("change", [
    {"issuer": "http://auth.example.jp/api/realms/main"},  # http only to loopback
    {"auth_method": "client_secret_basic"},  # without a secret
    {"private_key_pem": ""},
    {"scopes": ("name", "address")},  # without openid
    {"client_id": ""},
])
def test_config_refuses_what_cannot_work(config, change):
    with pytest.raises(ValueError):
        ProviderConfig(**{**config.__dict__, **change})


def test_config_from_settings(settings, tmp_path, rp_key):
    key_file = tmp_path / "digital-auth.pem"
    key_file.write_text(_pem(rp_key))
    settings.MADOGUCHI_DIGITAL_AUTH_ISSUER = "https://sb-auth-and-sign.go.jp/api/realms/main"
    settings.MADOGUCHI_DIGITAL_AUTH_CLIENT_ID = "RP00000001"
    settings.MADOGUCHI_DIGITAL_AUTH_REDIRECT_URI = REDIRECT_URI
    settings.MADOGUCHI_DIGITAL_AUTH_PRIVATE_KEY_FILE = str(key_file)
    settings.MADOGUCHI_DIGITAL_AUTH_KEY_ID = "madoguchi-2026"
    config = client.config_from_settings()
    assert (config.client_id, config.auth_method, config.key_id) == ("RP00000001", "private_key_jwt", "madoguchi-2026")
    assert config.scopes == ("openid", "name", "address", "birthdate", "gender")
    settings.MADOGUCHI_DIGITAL_AUTH_ISSUER = ""
    assert client.config_from_settings() is None


def test_client_id_must_have_the_issued_form(config):
    with pytest.raises(ValueError):
        ProviderConfig(**{**config.__dict__, "client_id": "madoguchi-test"})


def test_signing_needs_an_encryption_key(config):
    assert config.can_sign
    without = ProviderConfig(**{**config.__dict__, "encryption_key_pem": ""})
    assert not without.can_sign
    with pytest.raises(OidcError) as caught:
        sign_document(without, "token", hashlib.sha256(b"x").digest(),
                      transaction_id="65a04b4e-af8b-45a2-8713-5ec2631bab64")
    assert caught.value.code == "signing_failed"


# -- acr: the card's AAL3 with the CRL checked ----------------------------------------------

def test_acr_values_are_sent_and_the_acr_returned_is_accepted(provider, config):
    identity = finish_login(config, *_login(config))
    assert provider.authorize_params[-1]["acr_values"] == "aal3 crl"
    assert identity.subject


@pytest.mark.parametrize("fault", [{"low_acr": True}, {"id_token_claims": {"acr": None}}])
def test_id_token_with_a_low_or_missing_acr_is_refused(provider, config, fault):
    for name, value in fault.items():
        setattr(provider.faults, name, value)
    error = _refused(config, *_login(config))
    assert error.code == "id_token_invalid" and "acr" in error.detail
    assert provider.count("/userinfo") == 0


def test_the_city_may_ask_for_another_acr(provider, config):
    asked = ProviderConfig(**{**config.__dict__, "acr_values": "crl"})
    assert finish_login(asked, *_login(asked)).subject
    assert provider.authorize_params[-1]["acr_values"] == "crl"


# -- iss on the callback (RFC 9207) -----------------------------------------------------------

def test_callback_from_another_issuer_is_refused_before_the_code_is_spent(provider, config):
    provider.faults.wrong_iss = True
    error = _refused(config, *_login(config))
    assert error.code == "state_mismatch" and "iss" in error.detail
    assert provider.count("/token") == 0


def test_callback_without_iss_is_refused_when_the_provider_promises_it(provider, config):
    provider.faults.no_iss = True
    error = _refused(config, *_login(config))
    assert error.code == "state_mismatch" and "iss" in error.detail


def test_callback_without_iss_is_accepted_from_a_provider_that_does_not_send_it(provider, config):
    provider.iss_parameter_supported = False
    provider.faults.no_iss = True
    assert finish_login(config, *_login(config)).subject


def test_a_cancelled_login_from_another_issuer_is_still_refused_as_such(provider, config):
    provider.faults.wrong_iss = True
    provider.faults.deny = True
    assert _refused(config, *_login(config)).code == "state_mismatch"


# -- the signing result: DigestInfo, UUID, JWE ------------------------------------------------------

def test_signing_sends_the_digestinfo_and_gets_a_uuid(provider, config):
    digest = hashlib.sha256(b"our document").digest()
    transaction_id = start_signing(config, digest)
    assert str(uuid.UUID(transaction_id)) == transaction_id
    sent = provider._transactions[transaction_id]
    assert sent == bytes.fromhex("3031300d060960864801650304020105000420") + digest


@pytest.mark.parametrize("fault, reason", [
    ({"plain_result": True}, "plain JSON"),
    ({"wrong_encryption_key": True}, "JWE"),
    ({"jwe_alg": "ECDH-ES+A128KW"}, "JWE"),
])
def test_signing_result_not_encrypted_to_us_is_refused(provider, config, fault, reason):
    for name, value in fault.items():
        setattr(provider.faults, name, value)
    with pytest.raises(OidcError) as caught:
        _sign(config, hashlib.sha256(b"our document").digest())
    assert caught.value.code == "signing_failed" and reason in caught.value.detail


def test_signature_over_the_bare_digest_is_refused(provider, config):
    provider.faults.bare_digest = True
    with pytest.raises(OidcError) as caught:
        _sign(config, hashlib.sha256(b"our document").digest())
    assert caught.value.code == "signature_invalid"


def test_rsa_encryption_key_uses_rsa_oaep(rp_key):
    enc = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with LocalProvider(redirect_uris=[REDIRECT_URI], client_public_key=rp_key.public_key(),
                       client_encryption_key=enc.public_key()) as provider:
        config = ProviderConfig(issuer=provider.issuer, client_id=provider.client_id,
                                redirect_uri=REDIRECT_URI, private_key_pem=_pem(rp_key),
                                sign_endpoint=provider.sign_endpoint, encryption_key_pem=_pem(enc))
        assert config.jwe_algorithm() == "RSA-OAEP-256"
        assert _sign(config, hashlib.sha256(b"our document").digest()).signature


def test_published_jwks_has_a_signing_and_an_encryption_key(config):
    from madoguchi.identity.oidc.keys import jwks_of

    keys = jwks_of(config)["keys"]
    assert [(key["use"], key["alg"]) for key in keys] == [("sig", "ES256"), ("enc", "ECDH-ES+A256KW")]
    assert all("d" not in key for key in keys)


@pytest.mark.parametrize("alg", ["none", "HS256", "RS512", "ES384"])
def test_an_id_token_algorithm_other_than_rs256_or_es256_is_refused(provider, config, alg):
    """Whatever the token's header says: `none`, or HS256 keyed with something public."""
    header = b64url_encode(json.dumps({"alg": alg, "typ": "JWT"}).encode())
    body = b64url_encode(json.dumps({"iss": provider.issuer, "aud": config.client_id, "sub": "x"}).encode())
    with pytest.raises(OidcError) as caught:
        client.validate_id_token(config, client.discover(config), f"{header}.{body}.", "nonce")
    assert caught.value.code == "id_token_invalid" and "algorithm" in caught.value.detail
    assert provider.count("/jwks") == 0


@pytest.mark.parametrize("token", ["", "a.b", "not base64.!!.x", "ünïcode.x.y"])
def test_a_malformed_id_token_is_refused_plainly(provider, config, token):
    with pytest.raises(OidcError) as caught:
        client.validate_id_token(config, client.discover(config), token, "nonce")
    assert caught.value.code == "id_token_invalid"
