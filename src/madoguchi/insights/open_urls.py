"""Open data (/opendata/): the figures as a Frictionless Data Package, CC BY 4.0."""

from django.urls import path

from madoguchi.insights import open_views

app_name = "opendata"
urlpatterns = [
    path("", open_views.index, name="index"),
    path("datapackage.json", open_views.package, name="package"),
    path("<slug:name>.<str:fmt>", open_views.resource, name="resource"),
]
