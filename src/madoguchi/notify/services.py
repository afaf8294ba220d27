"""Queue and deliver notifications. Requests only enqueue; delivery happens after commit.

Delivery is at-least-once with the smallest repeat a crash allows: each message is claimed
(a committed lease, `claimed_until`), sent, and marked sent in its own commit. A process killed
after the SMTP server took a mail and before the mark repeats that one mail when its lease runs
out; a process killed before sending repeats nothing. Every attempt of a row carries the same
`Message-ID`, so a receiving side can recognise the repeat.

Written here rather than with a mail-queue library (django-mailer, django-post-office) or a
task queue: the row must be written in the caller's own transaction (a transactional outbox,
with its dedupe key), and the per-message claim is a few lines over the database's own locking
(`SKIP LOCKED`); sending itself is Django's mail API.
"""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone, translation

from madoguchi.core import cities, i18n
from madoguchi.notify.models import OutboxMessage, OutboxStatus

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 8


def mail_language(language: str | None) -> str:
    """The language a mail is written in: `language` when Madoguchi speaks it ("" or None, a
    resident who never chose: Japanese). Staff languages do not matter here: mails go to residents."""
    return i18n.supported(language) or i18n.DEFAULT


def enqueue_email(municipality, recipient: str, template: str, context: dict, dedupe_key: str,
                  template_dir: str = "notify", new_key: bool = False, language: str | None = None):
    """Write the message in the caller's transaction; the same dedupe_key is queued only once.

    `template` names <template_dir>/<template>.txt whose first line is the subject (an app may
    keep its mails beside its own templates). The address and the text are stored encrypted
    (the model's fields encrypt on save).

    `new_key`: the caller's dedupe_key names a row its own transaction has just created, so no
    message can hold it yet; the insert then runs without the savepoint that otherwise catches
    a duplicate (two statements fewer). Were it a duplicate after all, the unique constraint
    still refuses it and the caller's transaction fails as a whole.

    `language`: the recipient's (their account's choice; for a code asked from a page, that
    page's). None: the language active now (the resident's own request). The text is rendered
    in it when queued, and its links (`mypage_url`, `with_language`) carry `?lang=`.
    """
    language = mail_language(translation.get_language() if language is None else language)
    public_url = cities.public_url(municipality)
    with translation.override(language):
        text = render_to_string(f"{template_dir}/{template}.txt", {
            "municipality": municipality, "public_url": public_url, "language": language,
            "mypage_url": i18n.with_language(f"{public_url}/mypage/", language),
            **context,
        })
    subject, _, body = text.strip().partition("\n")
    fields = {"municipality": municipality, "recipient": recipient, "subject": subject.strip(),
              "body": body.strip() + "\n", "dedupe_key": dedupe_key}
    if new_key:
        message = OutboxMessage.objects.create(**fields)
    else:
        try:
            with transaction.atomic():
                message = OutboxMessage.objects.create(**fields)
        except IntegrityError:
            return OutboxMessage.objects.get(dedupe_key=dedupe_key)
    if settings.MADOGUCHI_OUTBOX_MODE == "inline":
        transaction.on_commit(lambda: deliver_one(message.pk))
    return message


def message_id_of(message: OutboxMessage) -> str:
    """The SMTP Message-ID: derived from the row, so a retry repeats it (RFC 5322 §3.6.4);
    it names neither the person nor the event. Django's default would be new on every send."""
    domain = cities.sender(message.municipality).rpartition("@")[2].strip(">") or "madoguchi.invalid"
    return f"<{message.mail_id.hex}@{domain}>"


def _claim(now: datetime, pk: int | None = None) -> OutboxMessage | None:
    """Take one due message for this process and commit the claim before anything is sent.

    The lease (`claimed_until`) keeps other workers off while this one sends; a worker that
    dies leaves a lease that runs out, and then any worker takes the message again. On
    PostgreSQL the candidate row is locked with SKIP LOCKED so parallel workers pass each other
    by; on SQLite the IMMEDIATE transaction serialises the claims.
    """
    free = Q(claimed_until__isnull=True) | Q(claimed_until__lte=now)
    # The encrypted columns are read in _send, where a value no key decrypts fails that one
    # message (recorded, retried) instead of every pass of the worker.
    rows = OutboxMessage.objects.filter(free, status=OutboxStatus.PENDING).defer("recipient", "body")
    if pk is not None:
        rows = rows.filter(pk=pk)
    else:
        rows = rows.filter(next_attempt_at__lte=now).order_by("next_attempt_at", "pk")
    if connection.features.has_select_for_update_skip_locked:
        rows = rows.select_for_update(skip_locked=True)
    while True:
        with transaction.atomic():
            message = rows.first()
            if message is None:
                return None
            if message.attempts >= MAX_ATTEMPTS:
                # Every attempt was cut off before its outcome was recorded (a mail whose
                # sending kills the worker each time): give up as after failed sends.
                message.status, message.last_error = OutboxStatus.FAILED, "Interrupted"
                message.claimed_until = None
                message.save(update_fields=["status", "last_error", "claimed_until"])
                log.warning("outbox message %s interrupted %s times, given up", message.pk,
                            message.attempts)
                continue
            message.claimed_until = now + timedelta(seconds=settings.MADOGUCHI_OUTBOX_LEASE_SECONDS)
            message.attempts += 1
            message.save(update_fields=["claimed_until", "attempts"])
        return message


def deliver_one(message_id: int) -> bool:
    """Send one message right after its commit (the inline mode); False if another took it."""
    message = _claim(timezone.now(), pk=message_id)
    return message is not None and _send(message)


def deliver_pending(limit: int = 100, now: datetime | None = None) -> int:
    """One worker pass: send what is due, one message at a time. Returns how many were sent."""
    sent = 0
    for _ in range(limit):
        message = _claim(now or timezone.now())
        if message is None:
            break
        sent += _send(message)
    return sent


def _send(message: OutboxMessage) -> bool:
    """Send a claimed message and record the outcome in its own commit."""
    rows = OutboxMessage.objects.filter(pk=message.pk)
    try:
        EmailMessage(
            subject=message.subject,
            body=message.body,
            from_email=cities.sender(message.municipality),
            to=[message.recipient],
            headers={"Message-ID": message_id_of(message)},
        ).send()
    except Exception as exc:  # noqa: BLE001 - any transport failure is retried later
        failed = message.attempts >= MAX_ATTEMPTS
        rows.update(last_error=type(exc).__name__, claimed_until=None,
                    status=OutboxStatus.FAILED if failed else OutboxStatus.PENDING,
                    next_attempt_at=timezone.now() + timedelta(seconds=30 * 2**message.attempts))
        log.warning("outbox message %s failed (%s), attempt %s", message.pk, type(exc).__name__,
                    message.attempts)
        return False
    # sent: keep the record, not the text (it may hold a one-time code)
    rows.update(status=OutboxStatus.SENT, sent_at=timezone.now(), body=None, claimed_until=None)
    return True
