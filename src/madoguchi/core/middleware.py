"""Resolve the municipality a request is for, from its host name."""

from django.conf import settings
from django.http import Http404

from madoguchi.core.models import Municipality


def municipality_for_host(host: str) -> Municipality:
    hostname = host.split(":", 1)[0].lower()
    found = Municipality.objects.filter(hostname=hostname).first() if hostname else None
    if found is None:
        found = Municipality.objects.filter(slug=settings.MADOGUCHI_DEFAULT_MUNICIPALITY).first()
    if found is None:
        raise Http404("no municipality is configured for this host")
    return found


class MunicipalityMiddleware:
    """Sets request.municipality; every query in a view filters by it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.municipality = municipality_for_host(request.get_host())
        return self.get_response(request)
