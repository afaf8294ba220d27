"""Notices to visitors through the notify outbox: "your turn is near" and reservation mails.

The message row is written in the caller's transaction (never lost, never sent for a change
rolled back); the dedupe key makes each notice once-only. Only e-mail is built: SMS and Web Push
are channels of the notify app still to come.
"""

from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string

from madoguchi.core.crypto import decrypt_bytes
from madoguchi.notify.models import OutboxMessage
from madoguchi.notify.services import deliver_one
from madoguchi.queueing import selectors


def enqueue(municipality, recipient: str, template: str, context: dict, dedupe_key: str) -> OutboxMessage:
    """Like notify.services.enqueue_email, with the template kept beside the queue's own
    (queueing/mail/<template>.txt, first line the subject)."""
    text = render_to_string(f"queueing/mail/{template}.txt", {
        "municipality": municipality, "public_url": settings.MADOGUCHI_PUBLIC_URL.rstrip("/"), **context})
    subject, _, body = text.strip().partition("\n")
    try:
        with transaction.atomic():
            message = OutboxMessage.objects.create(
                municipality=municipality, recipient=recipient, subject=subject.strip(),
                body=body.strip() + "\n", dedupe_key=dedupe_key)
    except IntegrityError:
        return OutboxMessage.objects.get(dedupe_key=dedupe_key)
    if settings.MADOGUCHI_OUTBOX_MODE == "inline":
        transaction.on_commit(lambda: deliver_one(message.pk))
    return message


def turn_near(group, now: datetime) -> int:
    """After any change of the line: tell each visitor who asked, once, when at most N are ahead."""
    waiting = list(selectors.waiting_tickets_with_notice(group))
    if not waiting:
        return 0
    snapshot = selectors.Snapshot(group, now)
    sent = 0
    for ticket in waiting:
        ahead = snapshot.position(ticket)
        if ahead is None or ahead > ticket.notify_when_remaining:
            continue
        wait = snapshot.wait_for(ahead)
        enqueue(group.municipality, decrypt_bytes(ticket.contact).decode(), "turn_near", {
            "ticket": ticket, "ahead": ahead, "group": group,
            "wait": None if wait is None else round(wait)}, f"queue-near:{ticket.pk}")
        ticket.notified_at = now
        ticket.contact = None  # told: the address is no longer needed
        ticket.save(update_fields=["notified_at", "contact"])
        sent += 1
    return sent
