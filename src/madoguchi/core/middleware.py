"""Resolve the municipality a request is for, from its host name; or the prefecture portal."""

from django.conf import settings
from django.http import Http404

from madoguchi.core import cities
from madoguchi.core.models import Municipality

# Answered without a city: the liveness check must not wait on the database, and the readiness
# check reads the database itself and reports it unreachable rather than failing here. They
# answer on the portal's host too (a load balancer may ask there).
PATHS_WITHOUT_CITY = frozenset({"/api/health", "/api/ready"})
# What a portal host serves instead of a city (core/portal.py): its own URLconf, so no path of
# a city's site exists there at all, rather than a list of paths to refuse that could miss one.
PORTAL_URLCONF = "madoguchi.core.portal_urls"


def municipality_for_host(host: str) -> Municipality:
    """The city served on this host (or the default city); kept per process for a few seconds
    (core/cities.py says how fresh), so a request usually makes no query for it."""
    found = cities.municipality_for_host(host)
    if found is None:
        raise Http404("no municipality is configured for this host")
    return found


def is_portal_host(host: str) -> bool:
    """Whether `host` (a Host header, port allowed) is one of MADOGUCHI_PORTAL_HOSTS."""
    hostname = host.split(":", 1)[0].lower()
    return hostname in {h.lower() for h in getattr(settings, "MADOGUCHI_PORTAL_HOSTS", ())}


class MunicipalityMiddleware:
    """Sets request.municipality; every query in a view filters by it. On a portal host it is
    None and the request is routed by the portal's URLconf (one page: choose your city)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info not in PATHS_WITHOUT_CITY:
            host = request.get_host()
            if is_portal_host(host):
                request.municipality = None
                request.urlconf = PORTAL_URLCONF
            else:
                request.municipality = municipality_for_host(host)
        return self.get_response(request)
