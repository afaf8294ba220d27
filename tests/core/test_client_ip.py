"""Who is calling, behind nginx: the address the proxy saw, only when the proxy is trusted.

Behind the production shape every request reaches gunicorn from 127.0.0.1; without this the
login lock, the e-mail code limits and the audit log would treat every resident as one.
"""

import pytest
from django.test import RequestFactory

from madoguchi.core.actors import client_ip
from madoguchi.identity import limits


def _request(remote: str, real_ip: str | None = None):
    extra = {"REMOTE_ADDR": remote}
    if real_ip is not None:
        extra["HTTP_X_REAL_IP"] = real_ip
    return RequestFactory().get("/", **extra)


def test_without_a_trusted_proxy_the_peer_is_the_client(settings):
    settings.MADOGUCHI_TRUSTED_PROXIES = []
    assert client_ip(_request("127.0.0.1", "203.0.113.7")) == "127.0.0.1"


@pytest.mark.parametrize("proxies", [["127.0.0.1"], ["127.0.0.0/8", "10.0.0.0/8"]])
def test_a_trusted_proxy_names_the_client(settings, proxies):
    settings.MADOGUCHI_TRUSTED_PROXIES = proxies
    assert client_ip(_request("127.0.0.1", "203.0.113.7")) == "203.0.113.7"
    assert client_ip(_request("127.0.0.1", "2001:db8::1")) == "2001:db8::1"


def test_an_untrusted_peer_cannot_claim_an_address(settings):
    settings.MADOGUCHI_TRUSTED_PROXIES = ["127.0.0.1"]
    assert client_ip(_request("198.51.100.9", "203.0.113.7")) == "198.51.100.9"


@pytest.mark.parametrize("header", ["", "not-an-address", "203.0.113.7, 10.0.0.1", "1.2.3.4\x00"])
def test_a_malformed_header_falls_back_to_the_peer(settings, header):
    settings.MADOGUCHI_TRUSTED_PROXIES = ["127.0.0.1"]
    assert client_ip(_request("127.0.0.1", header)) == "127.0.0.1"


@pytest.mark.django_db
def test_rate_limits_count_each_client_behind_the_proxy(settings):
    """Two residents behind the same nginx are limited separately."""
    settings.MADOGUCHI_TRUSTED_PROXIES = ["127.0.0.1"]
    from django.core.cache import caches
    caches["ratelimit"].clear()
    first, second = _request("127.0.0.1", "203.0.113.7"), _request("127.0.0.1", "203.0.113.8")
    refused = 0
    for _ in range(10):
        try:
            limits._limit(first, "test-proxy", "5/h", "too many")
        except limits.Refused:
            refused += 1
    assert refused > 0
    limits._limit(second, "test-proxy", "5/h", "too many")  # not refused: another client
