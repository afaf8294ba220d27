"""CrlCache: signature-checked, refreshed on an interval, fail-closed, over files and HTTP."""

import functools
import http.server
import threading
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from madoguchi.identity.jpki import errors
from madoguchi.identity.jpki.ca import TestCA
from madoguchi.identity.jpki.crl import CrlCache, CrlSet, CrlUnavailable, Revocation
from madoguchi.identity.jpki.errors import CertificateRejected
from madoguchi.identity.jpki.testing import make_card, sample_person
from madoguchi.identity.jpki.verify import verify_certificate

T0 = datetime(2026, 1, 10, 1, 0, tzinfo=UTC)


class Clock:
    """An injected clock: tests move time instead of sleeping."""

    def __init__(self, now):
        self.now = now

    def __call__(self):
        return self.now

    def advance(self, **delta):
        self.now += timedelta(**delta)


@pytest.fixture(scope="module")
def keys():
    return [rsa.generate_private_key(public_exponent=65537, key_size=2048) for _ in range(2)]


@pytest.fixture(scope="module")
def ca(tmp_path_factory):
    return TestCA.create(tmp_path_factory.mktemp("ca"), now=T0)


@pytest.fixture
def card(ca, keys):
    return make_card(ca, sample_person(), signing_key=keys[0], auth_key=keys[1], not_before=T0)


@pytest.fixture(scope="module")
def http_root(ca):
    """The CA directory served by a local http.server thread; yields the base URL."""
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    handler = functools.partial(Quiet, directory=str(ca.directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join()


def signing_cache(ca, clock, source=None, refresh=300):
    source = source or ca.directory / "signing.crl"
    return CrlCache(source, refresh, [ca.issuer_certificate("signing")], clock=clock)


def test_revocation_after_loading_takes_effect_at_the_next_refresh(ca, card):
    clock = Clock(T0 + timedelta(days=1))
    ca.write_crls(now=clock.now)
    cache = signing_cache(ca, clock, refresh=300)

    def verify():
        return verify_certificate(card.signing_cert, ca.trust_anchors, ca.intermediates, cache,
                                  clock.now, "signing")

    assert verify().kind == "signing"  # loads the CRL
    clock.advance(seconds=10)
    ca.revoke(card.signing_cert.serial_number, "affiliationChanged", when=clock.now)
    ca.write_crls(now=clock.now)
    clock.advance(seconds=280)  # 290 s after loading: the cached CRL still answers
    assert verify().kind == "signing"
    clock.advance(seconds=10)  # 300 s: reloaded, refused
    with pytest.raises(CertificateRejected) as info:
        verify()
    assert info.value.reason_code == errors.REVOKED


def test_is_revoked_gives_reason_and_date(ca, card):
    clock = Clock(T0 + timedelta(days=2))
    when = clock.now - timedelta(hours=1)
    ca.revoke(card.signing_cert.serial_number, x509.ReasonFlags.key_compromise, when=when)
    ca.write_crls(now=clock.now)
    cache = signing_cache(ca, clock)
    assert cache.is_revoked(card.signing_cert) == Revocation(
        True, x509.ReasonFlags.key_compromise, when)
    other = make_card(ca, sample_person(), signing_key=card.signing_key, auth_key=card.auth_key,
                      not_before=T0)
    assert cache.is_revoked(other.signing_cert) == (False, None, None)


@pytest.mark.parametrize("name", ["signing.crl", "signing.crl.pem"])
def test_a_crl_served_over_http_works_in_der_and_pem(ca, card, http_root, name):
    clock = Clock(T0 + timedelta(days=3))
    ca.revoke(card.signing_cert.serial_number, "keyCompromise", when=clock.now)
    ca.write_crls(now=clock.now)
    cache = signing_cache(ca, clock, source=f"{http_root}/{name}")
    assert cache.is_revoked(card.signing_cert).revoked
    fresh = make_card(ca, sample_person(), signing_key=card.signing_key, auth_key=card.auth_key,
                      not_before=T0)
    verified = verify_certificate(fresh.signing_cert, ca.trust_anchors, ca.intermediates, cache,
                                  clock.now, "signing")
    assert verified.kind == "signing"


def test_an_http_error_is_unavailable(ca, card, http_root):
    cache = signing_cache(ca, Clock(T0), source=f"{http_root}/no-such.crl")
    with pytest.raises(CrlUnavailable, match="404"):
        cache.is_revoked(card.signing_cert)


def test_a_crl_signed_by_another_key_under_the_same_name_is_refused(ca, card, tmp_path):
    impostor = TestCA.create(tmp_path / "impostor", now=T0)
    forged = impostor.crl("signing", now=T0)
    assert forged.issuer == ca.issuer_certificate("signing").subject
    path = tmp_path / "signing.crl"
    path.write_bytes(forged.public_bytes(serialization.Encoding.DER))
    with pytest.raises(CrlUnavailable, match="signature"):
        signing_cache(ca, Clock(T0), source=path).is_revoked(card.signing_cert)


def test_a_tampered_crl_is_refused(ca, card, tmp_path):
    crl = ca.crl("signing", now=T0)
    der = bytearray(crl.public_bytes(serialization.Encoding.DER))
    der[-300] ^= 1  # inside the signature, or the signed list: either way it must not verify
    path = tmp_path / "signing.crl"
    path.write_bytes(bytes(der))
    with pytest.raises(CrlUnavailable):
        signing_cache(ca, Clock(T0), source=path).is_revoked(card.signing_cert)


def test_garbage_is_not_a_crl(ca, card, tmp_path):
    path = tmp_path / "garbage.crl"
    path.write_bytes(b"not a CRL")
    with pytest.raises(CrlUnavailable, match="not a CRL"):
        signing_cache(ca, Clock(T0), source=path).is_revoked(card.signing_cert)


def test_a_crl_does_not_answer_for_another_issuer(ca, card):
    clock = Clock(T0)
    ca.write_crls(now=T0)
    cache = signing_cache(ca, clock)
    assert cache.covers(card.signing_cert) and not cache.covers(card.auth_cert)
    with pytest.raises(CrlUnavailable, match="does not cover"):
        cache.is_revoked(card.auth_cert)


def test_crl_set_asks_the_crl_of_the_issuing_ca(ca, card):
    clock = Clock(T0 + timedelta(days=4))
    ca.revoke(card.auth_cert.serial_number, "keyCompromise", when=clock.now)
    paths = ca.write_crls(now=clock.now)
    every_ca = [ca.root_certificate, *ca.intermediates]  # as settings would configure them
    both = CrlSet([CrlCache(paths[k], 300, every_ca, clock=clock) for k in sorted(paths)])
    assert both.is_revoked(card.auth_cert).revoked
    assert not both.is_revoked(card.signing_cert).revoked
    with pytest.raises(CrlUnavailable):
        CrlSet([]).is_revoked(card.auth_cert)


def test_crl_set_fails_closed_when_the_right_crl_is_unavailable(ca, card, tmp_path):
    clock = Clock(T0 + timedelta(days=4))
    paths = ca.write_crls(now=clock.now)
    every_ca = [ca.root_certificate, *ca.intermediates]
    partial = CrlSet([CrlCache(tmp_path / "gone.crl", 300, every_ca, clock=clock),
                      CrlCache(paths["signing"], 300, every_ca, clock=clock)])
    assert not partial.is_revoked(card.signing_cert).revoked
    with pytest.raises(CrlUnavailable, match="gone.crl"):
        partial.is_revoked(card.auth_cert)


def test_past_next_update_nothing_is_answered(ca, card):
    clock = Clock(T0)
    ca.write_crls(now=T0, lifetime=timedelta(hours=6))
    cache = signing_cache(ca, clock, refresh=3600 * 24)
    assert not cache.is_revoked(card.signing_cert).revoked
    clock.advance(hours=6)
    with pytest.raises(CrlUnavailable, match="nextUpdate"):
        cache.is_revoked(card.signing_cert)


def test_a_failed_refresh_keeps_the_last_crl_until_its_next_update(ca, card, tmp_path):
    path = tmp_path / "signing.crl"
    path.write_bytes(ca.crl("signing", now=T0, lifetime=timedelta(hours=6))
                     .public_bytes(serialization.Encoding.DER))
    clock = Clock(T0)
    cache = signing_cache(ca, clock, source=path, refresh=60)
    assert not cache.is_revoked(card.signing_cert).revoked
    path.unlink()
    clock.advance(minutes=30)  # refresh due, source gone: the held CRL is still current
    assert not cache.is_revoked(card.signing_cert).revoked
    clock.advance(hours=6)
    with pytest.raises(CrlUnavailable):
        cache.is_revoked(card.signing_cert)


def test_an_older_crl_does_not_replace_a_newer_one(ca, card, tmp_path):
    clock = Clock(T0 + timedelta(days=5))
    old = ca.crl("signing", now=clock.now).public_bytes(serialization.Encoding.DER)
    clock.advance(minutes=1)
    ca.revoke(card.signing_cert.serial_number, "keyCompromise", when=clock.now)
    path = tmp_path / "signing.crl"
    path.write_bytes(ca.crl("signing", now=clock.now).public_bytes(serialization.Encoding.DER))
    cache = signing_cache(ca, clock, source=path, refresh=60)
    assert cache.is_revoked(card.signing_cert).revoked
    path.write_bytes(old)  # a replayed CRL from before the revocation
    clock.advance(minutes=5)
    assert cache.is_revoked(card.signing_cert).revoked


def test_refresh_now_reloads_immediately(ca, card):
    clock = Clock(T0 + timedelta(days=6))
    ca.write_crls(now=clock.now)
    cache = signing_cache(ca, clock, refresh=3600)
    assert not cache.is_revoked(card.signing_cert).revoked
    ca.revoke(card.signing_cert.serial_number, "keyCompromise", when=clock.now)
    ca.write_crls(now=clock.now)
    assert not cache.is_revoked(card.signing_cert).revoked
    cache.refresh_now()
    assert cache.is_revoked(card.signing_cert).revoked
