"""The transactional outbox: a message row is written in the same transaction as the change
that causes it, so it is never lost on commit and never sent for a change rolled back."""

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from madoguchi.core.crypto import EncryptedTextField
from madoguchi.core.fastinsert import FastInsertManager
from madoguchi.core.models import Municipality
from madoguchi.core.secrets import SecretsMixin


class OutboxStatus(models.TextChoices):
    PENDING = "pending", _("未送信")
    SENT = "sent", _("送信済")
    DELIVERED = "delivered", _("配信済")
    FAILED = "failed", _("送信失敗")


class OutboxMessage(models.Model):
    """One message on one channel (e-mail, LINE, SMS, Web Push): a *delivery*.

    A notice told to a person (`services.tell`) is one row per channel tried: the first in
    the person's order is queued at once; the others wait, rendered and encrypted, in `routes`
    and are queued one after the other when a delivery fails for good (`fallback_of` links
    them). `notice_key` names the event (the caller's dedupe key) on every row of the chain.

    Each mail The address and the text may be personal (a one-time code, a reservation's
    link, the procedure's name), so both are stored encrypted (`EncryptedTextField`: plain on
    the model, a Fernet token in the column): the text is erased (None) once sent, the address
    by `madoguchi dispose` after MADOGUCHI_OUTBOX_RETENTION_DAYS; the row (subject, status,
    times) stays as the sending record."""

    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, related_name="+")
    channel = models.CharField(max_length=16, default="email")
    # What the delivery is about, as opaque references the apps above own: the person told
    # ("resident:12", "ticket:34"), the thing it is about ("submission:56"), the event.
    person = models.CharField(max_length=64, blank=True, default="")
    about = models.CharField(max_length=64, blank=True, default="")
    event = models.CharField(max_length=32, blank=True, default="")
    notice_key = models.CharField(max_length=128, blank=True, default="",
                                  help_text="the event's dedupe key, shared by its fallbacks")
    contact = models.ForeignKey("Contact", null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+", db_index=False)  # indexed where set (Meta)
    fallback_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+", db_index=False)
    routes = EncryptedTextField(null=True, help_text="encrypted JSON: the channels still to try, rendered")
    digest = models.CharField(max_length=64, blank=True, default="",
                              help_text="keyed hash of the address, to find it from a bounce")
    provider_ref = models.CharField(max_length=128, blank=True, default="",
                                    help_text="the channel's id of the sent message (status callbacks)")
    failure = models.CharField(max_length=32, blank=True, default="",
                               help_text="why it failed for good: a FAILURES code")
    delivered_at = models.DateTimeField(null=True, blank=True)
    link = models.CharField(max_length=300, blank=True, default="",
                            help_text="the page the message points to (it needs login: no personal data)")
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
        indexes = [
            models.Index(fields=["status", "next_attempt_at"]),
            # An address's deliveries in a city: SMS's hourly limit per number, a status report
            # matched by address (without it SQLite scans the city's whole outbox per text).
            models.Index(fields=["municipality", "channel", "digest"], name="outbox_address"),
        ]
        # The outbox is a big table: its indexes for the channels (migration 0005) are built
        # CONCURRENTLY on PostgreSQL. The foreign keys most rows leave empty are indexed where
        # set (both databases use such an index for `contact_id = …`).
        indexes += [
            models.Index(fields=["person"], name="outbox_person"),
            models.Index(fields=["about"], name="outbox_about"),
            models.Index(fields=["notice_key"], name="outbox_notice"),
            models.Index(fields=["digest"], name="outbox_digest"),
            models.Index(fields=["provider_ref"], name="outbox_provider_ref"),
            models.Index(fields=["contact"], name="outbox_contact", condition=models.Q(contact__isnull=False)),
            models.Index(fields=["fallback_of"], name="outbox_fallback_of",
                         condition=models.Q(fallback_of__isnull=False)),
        ]


class ChannelSetting(SecretsMixin, models.Model):
    """One notification channel as one city turned it on (LINE, SMS, Web Push; e-mail needs
    none): public configuration (`config`: API base, sender number, VAPID contact, ...) and
    secrets (access tokens, API keys, VAPID private key), encrypted at rest as one JSON object.
    The city's `Municipality.channels` list says which channels are offered at all."""

    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, related_name="+")
    channel = models.CharField(max_length=16, help_text="registry code: line, sms, push")
    enabled = models.BooleanField(default=False)
    config = models.JSONField(default=dict, blank=True, help_text="public, non-secret settings")
    secrets = EncryptedTextField(null=True, help_text="JSON object of secrets, encrypted")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["municipality", "channel"], name="channel_once_per_city"),
        ]

    def __str__(self) -> str:
        return f"{self.channel} ({self.municipality_id})"


class Contact(models.Model):
    """One way to reach a person other than their account's e-mail: a linked LINE user, a
    verified mobile number, a browser's push subscription, and the e-mail address itself once
    it has a state to keep (a bounce). `person` is the owner's reference ("resident:12",
    "ticket:34"); `address` is encrypted, `digest` a keyed hash to find it again.

    `rank` orders the person's channels (lowest first; e-mail is always tried last);
    `detail` is the resident's opt-in to see the procedure's name in short messages
    (LINE, SMS, push say only 「お知らせがあります」 otherwise). A contact that failed for
    good is `disabled_at` with the reason, and the resident is told in My Page."""

    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, related_name="+")
    person = models.CharField(max_length=64, db_index=True)
    channel = models.CharField(max_length=16)
    address = EncryptedTextField(null=True, help_text="LINE user id, E.164 number, push subscription JSON, e-mail")
    digest = models.CharField(max_length=64, help_text="keyed hash of channel and address")
    label = models.CharField(max_length=64, blank=True, default="",
                             help_text="what the resident sees: a masked number, a browser's name")
    rank = models.PositiveSmallIntegerField(default=10)
    detail = models.BooleanField(default=False)
    verified_at = models.DateTimeField(null=True, blank=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=32, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["municipality", "person", "channel", "digest"], name="contact_once"),
        ]


class ContactChallenge(models.Model):
    """A contact being proven: a LINE account-link nonce, an SMS verification code. Only a
    keyed hash of the secret is kept; it expires, and counts its wrong tries."""

    municipality = models.ForeignKey(Municipality, on_delete=models.CASCADE, related_name="+")
    person = models.CharField(max_length=64, db_index=True)
    channel = models.CharField(max_length=16)
    secret_digest = models.CharField(max_length=64, db_index=True)
    address = EncryptedTextField(null=True, help_text="the address being proven (a number), encrypted")
    attempts = models.PositiveSmallIntegerField(default=0)
    expires_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)
