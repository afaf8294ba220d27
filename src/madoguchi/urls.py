"""Top-level routes: resident pages, staff pages, the API."""

from django.urls import include, path

from madoguchi.api import api

urlpatterns = [
    path("api/", api.urls),
    path("staff/", include("madoguchi.casework.urls")),
    path("", include("madoguchi.applications.urls")),
]
