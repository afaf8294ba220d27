"""The public dashboard (/insights/): no login, small counts suppressed."""

from django.urls import path

from madoguchi.insights import public_views

app_name = "insights_public"
urlpatterns = [
    path("", public_views.dashboard, name="dashboard"),
]
