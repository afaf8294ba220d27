"""Web Push's URLs under /notify/: the service worker, the city's public key, the web app manifest."""

from django.urls import path

from madoguchi.notify import push_views

urlpatterns = [
    path("push/sw.js", push_views.service_worker, name="push_worker"),
    path("push/key.json", push_views.public_key, name="push_key"),
    path("push/manifest.webmanifest", push_views.manifest, name="push_manifest"),
]
