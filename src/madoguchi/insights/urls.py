"""Staff pages of the city's figures (/staff/insights/)."""

from django.urls import path

from madoguchi.insights import comment_views, views

app_name = "insights"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("targets/", views.targets, name="targets"),
    path("comments/", comment_views.comments, name="comments"),
]
