"""The LINE webhook's URL (set as the Messaging API channel's webhook URL on each city's host)."""

from django.urls import path

from madoguchi.notify import line_views

urlpatterns = [
    path("line/webhook/", line_views.webhook, name="line_webhook"),
]
