"""PAdES B-T: a city that names a time-stamping authority (`timestamp_url`) gets the signing time
proven by it. Tested against a local RFC 3161 server of ours (HTTP POST of a DER TimeStampReq,
answered by pyHanko's DummyTimeStamper with a certificate from the test LGPKI)."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from asn1crypto import tsp
from pyhanko.sign.signers.pdf_cms import (
    translate_pyca_cryptography_cert_to_asn1,
    translate_pyca_cryptography_key_to_asn1,
)
from pyhanko.sign.timestamps import DummyTimeStamper
from test_pdf import make_notice

from madoguchi.core.models import Municipality
from madoguchi.core.pdf import render_notice, seal
from madoguchi.core.seal_ca import SealTestCA, new_key


@pytest.fixture(scope="module")
def lgpki(tmp_path_factory):
    return SealTestCA.create(tmp_path_factory.mktemp("tsa-ca"))


@pytest.fixture(scope="module")
def tsa(lgpki):
    """A local TSA on a free port; yields its URL and the requests it answered."""
    key = new_key()
    stamper = DummyTimeStamper(tsa_cert=translate_pyca_cryptography_cert_to_asn1(
        lgpki.issue_time_stamping(key.public_key())), tsa_key=translate_pyca_cryptography_key_to_asn1(key))
    answered = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's hook name
            body = self.rfile.read(int(self.headers["Content-Length"]))
            if self.headers.get("Content-Type") != "application/timestamp-query":
                self.send_error(415)
                return
            answer = stamper.request_tsa_response(tsp.TimeStampReq.load(body)).dump()
            answered.append(len(body))
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/", answered
    server.shutdown()


def test_a_tsa_makes_the_seal_b_t_with_a_proven_time(settings, lgpki, tsa):
    url, answered = tsa
    settings.MADOGUCHI_SEAL_TRUST_ROOTS = [str(lgpki.root_path)]
    files = lgpki.write_seal("demo", "デモ市")  # ja-only: test data
    city = Municipality(name="デモ市", seal_config={**files.config(), "timestamp_url": url})  # ja-only: test data
    sealed = seal.seal_notice(city, render_notice(make_notice()))
    assert answered  # the TSA was asked
    found = seal.validate(sealed, municipality=city)
    assert found.ok and found.timestamped and found.signed_at is not None


def test_an_unreachable_tsa_refuses_the_notice(lgpki, tsa):
    files = lgpki.write_seal("demo", "デモ市")  # ja-only: test data
    city = Municipality(name="デモ市", seal_config={**files.config(), "timestamp_url": "http://127.0.0.1:9/"})  # ja-only: test data
    with pytest.raises(seal.SealError):
        seal.seal_notice(city, render_notice(make_notice()))
