"""The transactional outbox: a message row is written in the same transaction as the change
that causes it, so it is never lost on commit and never sent for a change rolled back."""

from django.db import models

from madoguchi.core.models import Municipality


class OutboxStatus(models.TextChoices):
    PENDING = "pending", "未送信"
    SENT = "sent", "送信済"
    FAILED = "failed", "送信失敗"


class OutboxMessage(models.Model):
    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, related_name="+")
    channel = models.CharField(max_length=16, default="email")
    recipient = models.CharField(max_length=254)
    subject = models.CharField(max_length=200)
    body = models.TextField()
    dedupe_key = models.CharField(max_length=128, unique=True, help_text="one message per event")
    status = models.CharField(max_length=16, choices=OutboxStatus.choices, default=OutboxStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    next_attempt_at = models.DateTimeField(auto_now_add=True, db_index=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["status", "next_attempt_at"])]
