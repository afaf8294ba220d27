"""Top-level routes: resident pages, staff pages, the API."""

from django.contrib import admin
from django.urls import include, path

from madoguchi.api import api

urlpatterns = [
    path("api/", api.urls),
    path("admin/", admin.site.urls),
    path("staff/register/", include("madoguchi.register.urls")),
    path("staff/counter/", include("madoguchi.counter.urls")),
    path("counter/tablet/", include("madoguchi.counter.tablet_urls")),  # the paired tablet, no login
    path("staff/", include("madoguchi.casework.urls")),
    path("navi/", include("madoguchi.navigator.urls")),
    path("queue/", include("madoguchi.queueing.urls")),
    path("", include("madoguchi.identity.urls")),
    path("", include("madoguchi.applications.urls")),
]
