"""The transactional outbox: a message row is written in the same transaction as the change
that causes it, so it is never lost on commit and never sent for a change rolled back."""

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from madoguchi.core.crypto import EncryptedTextField
from madoguchi.core.fastinsert import FastInsertManager
from madoguchi.core.models import Municipality


class OutboxStatus(models.TextChoices):
    PENDING = "pending", _("未送信")
    SENT = "sent", _("送信済")
    FAILED = "failed", _("送信失敗")


class OutboxMessage(models.Model):
    """One mail. The address and the text may be personal (a one-time code, a reservation's
    link, the procedure's name), so both are stored encrypted (`EncryptedTextField`: plain on
    the model, a Fernet token in the column): the text is erased (None) once sent, the address
    by `madoguchi dispose` after MADOGUCHI_OUTBOX_RETENTION_DAYS; the row (subject, status,
    times) stays as the sending record."""

    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, related_name="+")
    channel = models.CharField(max_length=16, default="email")
    recipient = EncryptedTextField(null=True, help_text="encrypted address; erased after retention")
    subject = models.CharField(max_length=200)
    body = EncryptedTextField(null=True, help_text="encrypted text; erased once sent")
    dedupe_key = models.CharField(max_length=128, unique=True, help_text="one message per event")
    mail_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False,
                               help_text="the SMTP Message-ID, the same on every attempt")
    status = models.CharField(max_length=16, choices=OutboxStatus.choices, default=OutboxStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    next_attempt_at = models.DateTimeField(auto_now_add=True, db_index=True)
    claimed_until = models.DateTimeField(
        null=True, blank=True, help_text="a worker is sending it; after this, another may")
    sent_at = models.DateTimeField(null=True, blank=True)

    objects = FastInsertManager()  # create() is one compiled INSERT (core/fastinsert.py)

    class Meta:
        indexes = [models.Index(fields=["status", "next_attempt_at"])]
