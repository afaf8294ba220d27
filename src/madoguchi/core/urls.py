"""Resident pages that belong to no app: display settings and accessibility."""

from django.urls import path

from madoguchi.core import views

app_name = "core"
urlpatterns = [
    path("settings/display/", views.display_settings, name="display_settings"),
    path("accessibility/", views.accessibility_policy, name="accessibility"),
    path("accessibility/results/", views.accessibility_results, name="accessibility_results"),
]
