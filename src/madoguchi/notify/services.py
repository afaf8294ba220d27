"""Queue and deliver notifications. Requests only enqueue; delivery happens after commit."""

import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, connection, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from madoguchi.notify.models import OutboxMessage, OutboxStatus

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 8


def enqueue_email(municipality, recipient: str, template: str, context: dict, dedupe_key: str,
                  template_dir: str = "notify"):
    """Write the message in the caller's transaction; the same dedupe_key is queued only once.

    `template` names <template_dir>/<template>.txt whose first line is the subject (an app may
    keep its mails beside its own templates).
    """
    text = render_to_string(f"{template_dir}/{template}.txt", {
        "municipality": municipality, "public_url": settings.MADOGUCHI_PUBLIC_URL.rstrip("/"),
        **context,
    })
    subject, _, body = text.strip().partition("\n")
    try:
        with transaction.atomic():
            message = OutboxMessage.objects.create(
                municipality=municipality,
                recipient=recipient,
                subject=subject.strip(),
                body=body.strip() + "\n",
                dedupe_key=dedupe_key,
            )
    except IntegrityError:
        return OutboxMessage.objects.get(dedupe_key=dedupe_key)
    if settings.MADOGUCHI_OUTBOX_MODE == "inline":
        transaction.on_commit(lambda: deliver_one(message.pk))
    return message


def _claim(queryset):
    """Lock rows so two workers never send the same message (SKIP LOCKED where supported)."""
    if connection.features.has_select_for_update_skip_locked:
        return queryset.select_for_update(skip_locked=True)
    return queryset


def deliver_one(message_id: int) -> bool:
    with transaction.atomic():
        message = _claim(
            OutboxMessage.objects.filter(pk=message_id, status=OutboxStatus.PENDING)
        ).first()
        if message is None:
            return False
        return _send(message)


def deliver_pending(limit: int = 100) -> int:
    """One worker pass: send what is due. Returns how many were sent."""
    sent = 0
    with transaction.atomic():
        due = _claim(
            OutboxMessage.objects.filter(
                status=OutboxStatus.PENDING, next_attempt_at__lte=timezone.now()
            ).order_by("next_attempt_at")
        )[:limit]
        for message in list(due):
            sent += _send(message)
    return sent


def _send(message: OutboxMessage) -> bool:
    message.attempts += 1
    try:
        EmailMessage(
            subject=message.subject,
            body=message.body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[message.recipient],
        ).send()
    except Exception as exc:  # noqa: BLE001 - any transport failure is retried later
        message.last_error = type(exc).__name__
        if message.attempts >= MAX_ATTEMPTS:
            message.status = OutboxStatus.FAILED
        message.next_attempt_at = timezone.now() + timedelta(seconds=30 * 2**message.attempts)
        message.save(update_fields=["attempts", "last_error", "status", "next_attempt_at"])
        log.warning("outbox message %s failed (%s), attempt %s", message.pk, message.last_error, message.attempts)
        return False
    message.status = OutboxStatus.SENT
    message.sent_at = timezone.now()
    message.body = ""  # sent: keep the record, not the text (it may hold a one-time code)
    message.save(update_fields=["attempts", "status", "sent_at", "body"])
    return True
