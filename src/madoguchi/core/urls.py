"""Resident pages that belong to no app: display settings and accessibility, and the city's
logo (at a URL that changes with the image, core/branding.py)."""

from django.urls import path

from madoguchi.core import views

app_name = "core"
urlpatterns = [
    path("settings/display/", views.display_settings, name="display_settings"),
    path("accessibility/", views.accessibility_policy, name="accessibility"),
    path("accessibility/results/", views.accessibility_results, name="accessibility_results"),
    path("city/logo/<str:digest>.png", views.city_logo, name="city_logo"),
]
