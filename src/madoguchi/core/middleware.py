"""Resolve the municipality a request is for, from its host name."""

from django.http import Http404

from madoguchi.core import cities
from madoguchi.core.models import Municipality

# Answered without a city: the liveness check must not wait on the database, and the readiness
# check reads the database itself and reports it unreachable rather than failing here.
PATHS_WITHOUT_CITY = frozenset({"/api/health", "/api/ready"})


def municipality_for_host(host: str) -> Municipality:
    """The city served on this host (or the default city); kept per process for a few seconds
    (core/cities.py says how fresh), so a request usually makes no query for it."""
    found = cities.municipality_for_host(host)
    if found is None:
        raise Http404("no municipality is configured for this host")
    return found


class MunicipalityMiddleware:
    """Sets request.municipality; every query in a view filters by it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info not in PATHS_WITHOUT_CITY:
            request.municipality = municipality_for_host(request.get_host())
        return self.get_response(request)
