"""The paired tablet's public URLs (mounted at /counter/tablet/): no visit id, no personal data."""

from django.urls import path

from madoguchi.counter import tablet_views

app_name = "counter_tablet"
urlpatterns = [
    path("", tablet_views.home, name="home"),
    path("pair/", tablet_views.pair, name="pair"),
    path("state/", tablet_views.state, name="state"),
    path("sign/", tablet_views.sign, name="sign"),
]
