"""The local provider's interactive hand-off page (demo and browser tests): the resident types a
PIN of the right form and approves, or cancels; the client then finishes or refuses the login."""

import re
import urllib.error
import urllib.parse
import urllib.request

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from madoguchi.identity.oidc import client
from madoguchi.identity.oidc.client import ProviderConfig, begin_login, finish_login
from madoguchi.identity.oidc.errors import OidcError
from madoguchi.identity.oidc.testing_provider import LocalProvider, NoRedirect, main

REDIRECT_URI = "https://madoguchi.example.lg.jp/login/digital-auth/callback/"


@pytest.fixture
def setup():
    client.clear_caches()
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode("ascii")
    with LocalProvider(redirect_uris=[REDIRECT_URI], client_public_key=key.public_key(),
                       interactive=True) as provider:
        yield provider, ProviderConfig(issuer=provider.issuer, client_id=provider.client_id,
                                       redirect_uri=REDIRECT_URI, private_key_pem=pem)
    client.clear_caches()


def _get(url):
    with urllib.request.urlopen(url, timeout=5) as resp:  # noqa: S310 (loopback test server)
        return resp.status, resp.headers.get("Content-Type"), resp.read().decode("utf-8")


def _decide(provider, handoff, **fields):
    data = urllib.parse.urlencode({"handoff": handoff, **fields}).encode()
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(f"{provider.issuer}/authorize/decision", data=data, timeout=5) as resp:
            return resp.status, resp.read().decode("utf-8"), {}
    except urllib.error.HTTPError as exc:
        with exc:
            location = exc.headers.get("Location") or ""
            query = urllib.parse.parse_qs(urllib.parse.urlsplit(location).query)
            return exc.code, "", {name: values[0] for name, values in query.items()}


def _handoff(page: str) -> str:
    return re.search(r'name="handoff" value="([^"]+)"', page).group(1)


def test_the_page_asks_for_the_login_pin_then_approve_logs_in(setup):
    provider, config = setup
    url, login = begin_login(config)
    status, content_type, page = _get(url)
    assert status == 200 and content_type.startswith("text/html")
    assert 'id="approve"' in page and 'id="cancel"' in page and 'pattern="[0-9]{4}"' in page
    status, _, _ = _decide(provider, _handoff(page), decision="approve", pin="12")
    assert status == 200  # the page again, with the PIN marked wrong; nothing sent back yet
    status, again, params = _decide(provider, _handoff(page), decision="approve", pin="1234")
    assert status == 302 and "code" in params
    assert finish_login(config, login, params).subject == provider.user.sub


def test_cancel_goes_back_as_access_denied(setup):
    provider, config = setup
    url, login = begin_login(config)
    _, _, page = _get(url)
    status, _, params = _decide(provider, _handoff(page), decision="cancel")
    assert status == 302 and params["error"] == "access_denied"
    with pytest.raises(OidcError) as caught:
        finish_login(config, login, params)
    assert caught.value.code == "login_cancelled"


def test_a_hand_off_is_answered_once(setup):
    provider, config = setup
    url, _login = begin_login(config)
    _, _, page = _get(url)
    assert _decide(provider, _handoff(page), decision="approve", pin="1234")[0] == 302
    assert _decide(provider, _handoff(page), decision="approve", pin="1234")[0] == 400


def test_help_shows_how_make_run_starts_it(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    shown = capsys.readouterr().out
    for option in ("--host", "--port", "--client-id", "--redirect-uri", "--client-keys",
                   "--client-jwks", "--interactive"):
        assert option in shown


def test_settings_only_creates_the_relying_party_keys(tmp_path, capsys):
    main(["--port", "8012", "--redirect-uri", "http://127.0.0.1:8000/login/digital-auth/callback/",
          "--client-keys", str(tmp_path / "keys"), "--settings-only"])
    settings = dict(line.split("=", 1) for line in capsys.readouterr().out.split())
    assert settings["MADOGUCHI_DIGITAL_AUTH_ISSUER"] == "http://127.0.0.1:8012"
    assert re.fullmatch(r"[0-9a-zA-Z]{1,255}", settings["MADOGUCHI_DIGITAL_AUTH_CLIENT_ID"])
    assert (tmp_path / "keys" / "signing.pem").exists()
    assert (tmp_path / "keys" / "encryption.pem").exists()
