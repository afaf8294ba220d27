"""The client's HTTP to the provider: a redirect is not followed, a slow provider times out,
an oversized answer is refused; each becomes an OidcError with a plain message, never a 500."""

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from madoguchi.identity.oidc import transport
from madoguchi.identity.oidc.config import ProviderConfig
from madoguchi.identity.oidc.endpoints import token_request
from madoguchi.identity.oidc.errors import OidcError


class _Handler(BaseHTTPRequestHandler):
    followed = []

    def log_message(self, *args):
        pass

    def do_GET(self):
        if self.path == "/redirect":
            self.send_response(302)
            self.send_header("Location", "/elsewhere")
            self.end_headers()
        elif self.path == "/elsewhere":
            _Handler.followed.append(self.path)
            self._json(b'{"followed": true}')
        elif self.path == "/slow":
            time.sleep(1.5)
            self._json(b"{}")
        elif self.path == "/huge":
            self._json(b'{"x": "' + b"a" * (transport.MAX_BYTES + 10) + b'"}')

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path == "/redirect":  # 307: a client that follows it posts the code elsewhere
            self.send_response(307)
            self.send_header("Location", "/elsewhere")
            self.send_header("Content-Length", "0")
            self.end_headers()
        else:
            _Handler.followed.append(self.path)
            self._json(b'{"access_token": "t", "token_type": "Bearer"}')

    def _json(self, body: bytes):
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture(scope="module")
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_a_redirect_is_returned_not_followed(server):
    response = transport.request(f"{server}/redirect")
    assert response.status == 302 and _Handler.followed == []


def test_the_token_endpoint_redirect_is_not_followed_either(server):
    config = ProviderConfig(issuer=server, client_id="RP00000001", redirect_uri=f"{server}/cb",
                            auth_method="client_secret_basic", client_secret="s")
    with pytest.raises(OidcError) as caught:
        token_request(config, {"token_endpoint": f"{server}/redirect"}, "client_credentials")
    assert caught.value.code in ("provider_error", "token_rejected") and _Handler.followed == []


def test_a_slow_provider_times_out_as_unreachable(server):
    with pytest.raises(OidcError) as caught:
        transport.request(f"{server}/slow", timeout=0.3)
    assert caught.value.code == "provider_unreachable"


def test_an_oversized_answer_is_refused(server):
    with pytest.raises(OidcError) as caught:
        transport.request(f"{server}/huge")
    assert caught.value.code == "provider_error"


def test_a_closed_port_is_unreachable():
    with pytest.raises(OidcError) as caught:
        transport.request("http://127.0.0.1:9/", timeout=1)
    assert caught.value.code == "provider_unreachable"


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.jp/", None])
def test_only_http_urls_are_requested(url):
    with pytest.raises(OidcError) as caught:
        transport.request(url)
    assert caught.value.code == "provider_error"
