"""`madoguchi-card` against a tiny local server speaking the login and signing protocol."""

import base64
import hashlib
import io
import json
import os
import subprocess
import sys
import threading
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from madoguchi.identity.card import cli, messages
from madoguchi.identity.card.softcard import (
    Pins,
    issue_software_card,
)
from madoguchi.identity.jpki import profile
from madoguchi.identity.jpki.ca import TestCA
from madoguchi.identity.jpki.profile import BasicInfo

from support import require_softhsm

PERSON = BasicInfo(name="山田太郎", address="大阪府大阪市北区1-1", birth_date=date(1975, 1, 31),
                   gender="1")
PINS = Pins(signing="TARO1975", authentication="2468", card_face="1357")
CHALLENGE = b"\x8f\x00server nonce\xff" * 2
PAYLOAD = json.dumps({"answers": {"name": "山田太郎"}, "form": "jidou-teate"},
                     ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()


@pytest.fixture(scope="module")
def card(tmp_path_factory):
    require_softhsm()
    ca = TestCA.create(tmp_path_factory.mktemp("jpki-ca"))
    return issue_software_card(ca, PERSON, PINS, tmp_path_factory.mktemp("card") / "c")


@pytest.fixture
def server():
    """Serves /login and /sign requests (and a tampered /bad-sign); records what is POSTed."""
    posted = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def _json(self, status, body):
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            base = f"http://127.0.0.1:{self.server.server_port}"
            if self.path == "/login":
                self._json(200, {"id": "c1", "expires_at": "2030-01-01T00:00:00+09:00",
                                 "challenge": base64.urlsafe_b64encode(CHALLENGE).decode().rstrip("="),
                                 "response_url": f"{base}/login/c1/response"})
            elif self.path in ("/sign", "/bad-sign"):
                digest = hashlib.sha256(PAYLOAD if self.path == "/sign" else b"other").hexdigest()
                self._json(200, {"id": "s1", "payload": base64.b64encode(PAYLOAD).decode(),
                                 "digest": digest, "response_url": "/sign/s1/response"})
            else:
                self._json(404, {"detail": "not found"})

        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            posted.append((self.path, body))
            self._json(200, {"ok": True, "id": self.path.split("/")[2]})

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}", posted
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def pin_file(tmp_path):
    def write(pin):
        path = tmp_path / "pin"
        path.write_text(pin + "\n")
        return str(path)
    return write


def _verify(body, data):
    cert = x509.load_pem_x509_certificate(body["certificate"].encode())
    cert.public_key().verify(base64.b64decode(body["signature"]), data,
                             padding.PKCS1v15(), hashes.SHA256())
    return cert


def test_login_signs_the_challenge_with_the_authentication_key(card, server, pin_file):
    card.counter.reset_all()
    base, posted = server
    out = io.StringIO()
    rc = cli.main(["login", f"{base}/login", "--card-dir", str(card.directory),
                   "--pin-file", pin_file(PINS.authentication)], out=out)
    assert rc == 0, out.getvalue()
    [(path, body)] = posted
    assert path == "/login/c1/response"
    assert profile.is_authentication(_verify(body, CHALLENGE))
    shown = out.getvalue()
    assert messages.prompt("authentication") in shown
    assert messages.tries_left("authentication", 3, 3) in shown
    assert '"ok": true' in shown


def test_sign_signs_the_payload_with_the_signing_key(card, server, pin_file):
    card.counter.reset_all()
    base, posted = server
    out = io.StringIO()
    rc = cli.main(["sign", f"{base}/sign", "--card-dir", str(card.directory),
                   "--pin-file", pin_file(PINS.signing)], out=out)
    assert rc == 0, out.getvalue()
    [(path, body)] = posted
    assert path == "/sign/s1/response"  # a relative response_url is resolved against the request
    cert = _verify(body, PAYLOAD)
    assert profile.basic_info_from(cert).name == PERSON.name
    assert "山田太郎" in out.getvalue() and messages.tries_left("signing", 5, 5) in out.getvalue()


def test_sign_refuses_a_payload_whose_digest_does_not_match(card, server, pin_file, capsys):
    base, posted = server
    rc = cli.main(["sign", f"{base}/bad-sign", "--card-dir", str(card.directory),
                   "--pin-file", pin_file(PINS.signing)], out=io.StringIO())
    assert rc == 1 and posted == []
    err = capsys.readouterr().err
    assert err.strip() and "Traceback" not in err  # said in a sentence, not a stack


def test_a_wrong_pin_posts_nothing_and_says_how_many_tries_are_left(card, server, pin_file, capsys):
    card.counter.reset_all()
    base, posted = server
    rc = cli.main(["login", f"{base}/login", "--card-dir", str(card.directory),
                   "--pin-file", pin_file("0000")], out=io.StringIO())
    assert rc == 1 and posted == []
    assert messages.wrong_pin("authentication", 2, 3) in capsys.readouterr().err
    assert card.counter.remaining("authentication") == 2


def test_the_installed_command_with_softhsm2_conf_in_the_environment(card, server, pin_file):
    card.counter.reset_all()
    base, posted = server
    env = {**os.environ, "SOFTHSM2_CONF": str(card.conf)}
    env.pop("MADOGUCHI_PKCS11_MODULE", None)
    done = subprocess.run(
        [sys.executable, "-m", "madoguchi.identity.card.cli", "login", f"{base}/login",
         "--pin-file", pin_file(PINS.authentication)],
        env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    [(_, body)] = posted
    _verify(body, CHALLENGE)
