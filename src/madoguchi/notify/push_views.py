"""The service worker and the city's VAPID public key, for the pages that offer Web Push."""

import json

from django.http import Http404, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import reverse
from django.views.decorators.http import require_GET

from madoguchi.notify.push_subscriptions import application_server_key


@require_GET
def service_worker(request):
    """/notify/push/sw.js: served from here rather than /static/ because a worker's scope can
    reach only as high as its script's directory unless the response allows more
    (`Service-Worker-Allowed`), and browsers must see a new version at once (no-cache)."""
    response = HttpResponse(render_to_string("notify/push/sw.js"), content_type="text/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = "/"
    response["Cache-Control"] = "no-cache"
    return response


@require_GET
def public_key(request):
    """{"applicationServerKey": "<base64url>"}; 404 where the city does not offer Web Push."""
    key = application_server_key(request.municipality)
    if not key:
        raise Http404
    response = JsonResponse({"applicationServerKey": key})
    response["Cache-Control"] = "no-cache"
    return response


@require_GET
def manifest(request):
    """/notify/push/manifest.webmanifest: the city's site as a web app. iOS and iPadOS (16.4+)
    offer Web Push only to a site added to the Home Screen whose manifest asks for a
    standalone window; elsewhere it only names the site and its icon."""
    city = request.municipality
    data = {
        "name": city.name, "short_name": city.name, "lang": "ja", "dir": "ltr",
        "start_url": reverse("applications:mypage"), "scope": "/", "display": "standalone",
        "icons": [{"src": static("madoguchi/apple-touch-icon.png"), "sizes": "180x180", "type": "image/png"},
                  {"src": static("madoguchi/favicon.svg"), "sizes": "any", "type": "image/svg+xml"}],
    }
    response = HttpResponse(json.dumps(data, ensure_ascii=False), content_type="application/manifest+json")
    response["Cache-Control"] = "no-cache"
    return response
