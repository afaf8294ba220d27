"""Madoguchi's デジタル認証アプリ client against oidc-provider (npm, pinned in package.json), an
independently written, OpenID-certified provider configured as the Agency documents its service
(provider.mjs). Run by `make interop` (and so by CI): `pytest tests/interop/interop_oidc_provider.py`.

Not named test_*.py: `make test` needs no Node; this file runs only when named explicitly.
"""

import json
import shutil
import socket
import subprocess
import urllib.parse
from pathlib import Path

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from madoguchi.identity.oidc import client
from madoguchi.identity.oidc.client import ProviderConfig, begin_login, finish_login
from madoguchi.identity.oidc.errors import OidcError
from madoguchi.identity.oidc.keys import public_jwks

HERE = Path(__file__).parent
CLIENT_ID = "RPmadoguchiinterop"
REDIRECT_URI = "http://127.0.0.1:9/login/digital-auth/callback/"  # never served: we stop at it


def _pem(key) -> str:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode("ascii")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(params=[("ec", "ES256"), ("rsa", "RS256")], ids=["ES256", "RS256"])
def running(request, tmp_path):
    node = shutil.which("node")
    assert node, "Node.js is needed for the interop test (make interop installs the npm part)"
    assert (HERE / "node_modules" / "oidc-provider").is_dir(), "run `npm ci` in tests/interop first"
    kind, alg = request.param
    key = (ec.generate_private_key(ec.SECP256R1()) if kind == "ec"
           else rsa.generate_private_key(public_exponent=65537, key_size=2048))
    pem = _pem(key)
    jwks_file = tmp_path / "rp-jwks.json"
    jwks_file.write_text(json.dumps(public_jwks(pem, "rp-sig")))
    port = _free_port()
    process = subprocess.Popen([node, str(HERE / "provider.mjs"), str(port), CLIENT_ID, REDIRECT_URI,  # noqa: S603
                                str(jwks_file), alg], cwd=HERE, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    try:
        seen = []
        while not (seen and seen[-1].startswith("ready")):
            line = process.stdout.readline()
            assert line, f"oidc-provider did not start: {''.join(seen)}"
            seen.append(line)
        client.clear_caches()
        config = ProviderConfig(issuer=f"http://127.0.0.1:{port}", client_id=CLIENT_ID,
                                redirect_uri=REDIRECT_URI, private_key_pem=pem, key_id="rp-sig")
        yield config
    finally:
        process.terminate()
        process.wait(timeout=10)
        client.clear_caches()


def _browse(url: str, *, limit: int = 10) -> dict[str, str]:
    """What the phone's browser does: follow the provider's redirects (with its cookies) and
    stop at the redirect back to Madoguchi; return that callback's query parameters."""
    with requests.Session() as browser:
        for _ in range(limit):
            response = browser.get(url, allow_redirects=False, timeout=10)
            assert response.status_code in (302, 303), f"HTTP {response.status_code}: {response.text[:300]}"
            url = urllib.parse.urljoin(url, response.headers["Location"])
            if url.startswith(REDIRECT_URI):
                query = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
                return {name: values[0] for name, values in query.items()}
    raise AssertionError("no redirect back to the relying party")


def test_login_end_to_end(running):
    url, login = begin_login(running)
    params = _browse(url)
    assert params["iss"] == running.issuer  # RFC 9207, checked by the client too
    identity = finish_login(running, login, params)
    assert identity.subject == "ppid-interop-0001"
    assert identity.name == "髙﨑 花子"
    assert identity.address == "東京都千代田区霞が関一丁目1番1号"
    assert str(identity.birthdate) == "1985-03-15"


def _first(config):
    url, login = begin_login(config)
    return login, _browse(url)


def test_silent_re_login_gives_the_same_subject(running):
    """A second login (discovery and keys from the cache) names the same resident."""
    assert finish_login(running, *_first(running)).subject == finish_login(running, *_first(running)).subject


def test_a_forged_iss_on_the_callback_is_refused(running):
    url, login = begin_login(running)
    params = _browse(url)
    with pytest.raises(OidcError) as caught:
        finish_login(running, login, {**params, "iss": "https://evil.example"})
    assert caught.value.code == "state_mismatch"


def test_an_acr_the_city_did_not_ask_for_is_refused(running):
    """oidc-provider says acr=aal3; a city asking for 'crl' only must refuse it."""
    strict = ProviderConfig(**{**running.__dict__, "acr_values": "crl"})
    url, login = begin_login(strict)
    with pytest.raises(OidcError) as caught:
        finish_login(strict, login, _browse(url))
    assert caught.value.code == "id_token_invalid" and "acr" in caught.value.detail


def test_a_code_is_redeemed_once(running):
    login, params = _first(running)
    finish_login(running, login, params)
    with pytest.raises(OidcError) as caught:
        finish_login(running, login, params)
    assert caught.value.code == "token_rejected"
