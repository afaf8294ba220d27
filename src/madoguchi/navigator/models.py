"""A resident's way through one life event: the answers given, never who gave them."""

import secrets

from django.db import models

from madoguchi.core.models import Municipality


def new_token() -> str:
    """Unguessable: the token is the only key to a plan (its URL, the counter's QR code)."""
    return secrets.token_urlsafe(18)


class NavigatorPlan(models.Model):
    """Answers to one event's questions: option values and the event's day only, nothing that
    names a person. Disposed of a month after its last change (retention.py)."""

    token = models.CharField(max_length=32, unique=True, default=new_token, editable=False)
    municipality = models.ForeignKey(Municipality, on_delete=models.CASCADE, related_name="+")
    event = models.CharField(max_length=64)
    answers = models.JSONField(default=dict, blank=True)
    lang = models.CharField(max_length=16, default="ja")  # a site code (settings.LANGUAGES): ja, ja-easy, en, …
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    def __str__(self) -> str:
        return f"{self.event} ({self.pk})"
