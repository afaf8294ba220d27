"""One row per case, target and event: the hand-off's record and its delivery state.

The unique constraint (submission, target, event) is what makes a retry, a double enqueue or a
second worker unable to create a second hand-off, and so a second file or a second case at the
business system (Open Forms' duplicate case numbers, #1183/#1785). `public_id` is sent as the
Standard Webhooks `webhook-id` and names the file: the same on every attempt and every 再送.
"""

import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from madoguchi.applications.models import Submission
from madoguchi.core.crypto import EncryptedTextField
from madoguchi.core.models import Municipality


class Event(models.TextChoices):
    ACCEPTED = "accepted", pgettext_lazy("hand-off event", "受付")
    DECIDED = "decided", pgettext_lazy("hand-off event", "決定")


class State(models.TextChoices):
    PENDING = "pending", _("送信待ち")
    DELIVERED = "delivered", _("連携済み")
    FAILED = "failed", _("失敗")


class Handoff(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False,
                                 help_text="the webhook-id and the file's name: the same on every attempt")
    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, related_name="+")
    submission = models.ForeignKey(Submission, on_delete=models.PROTECT, related_name="handoffs")
    target = models.CharField(max_length=64, help_text="the target's name in the city's handoff.yaml")
    kind = models.CharField(max_length=16, help_text="the target's kind when queued (file, http)")
    event = models.CharField(max_length=16, choices=Event.choices)
    version = models.PositiveIntegerField(help_text="the submission's version handed off")
    decision = EncryptedTextField(help_text="the decision as handed off (JSON), encrypted; empty for an acceptance")
    state = models.CharField(max_length=12, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    interruptions = models.PositiveSmallIntegerField(
        default=0, help_text="attempts whose worker died before recording the outcome")
    resends = models.PositiveIntegerField(default=0, help_text="times staff sent it again")
    created_at = models.DateTimeField(auto_now_add=True)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    give_up_at = models.DateTimeField(help_text="no delivery by then: failed (reset when staff send it again)")
    claimed_until = models.DateTimeField(null=True, blank=True,
                                         help_text="a worker is delivering it; after this, another may")
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=200, blank=True, help_text="an error code, no personal data")
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["submission", "target", "event"], name="handoff_once_per_target_event"),
            models.CheckConstraint(condition=Q(event__in=["accepted", "decided"]), name="handoff_event_known"),
        ]
        indexes = [
            # the worker: pending hand-offs by when they are due
            models.Index(fields=["next_attempt_at"], condition=Q(state="pending"), name="handoff_due"),
            # the staff page: a city's open hand-offs, newest first
            models.Index(fields=["municipality", "state", "-created_at"], name="handoff_city_state"),
        ]

    def __str__(self) -> str:
        return f"{self.target}:{self.event}:{self.submission_id}"
