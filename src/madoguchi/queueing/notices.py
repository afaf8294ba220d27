"""Notices to visitors through the notify outbox: "your turn is near" and reservation mails.

The message row is written in the caller's transaction (never lost, never sent for a change
rolled back); the dedupe key makes each notice once-only. Only e-mail is built: SMS and Web Push
are channels of the notify app still to come.
"""

from datetime import datetime

from madoguchi.core.crypto import decrypt_bytes
from madoguchi.notify.models import OutboxMessage
from madoguchi.notify.services import enqueue_email
from madoguchi.queueing import selectors


def enqueue(municipality, recipient: str, template: str, context: dict, dedupe_key: str,
            language: str = "ja") -> OutboxMessage:
    """The outbox's e-mail, with the template kept beside the queue's own (queueing/mail/),
    written in `language` (the one stored on the ticket or reservation, not the request's:
    reminders and turn notices are sent from a command or a staff member's call)."""
    return enqueue_email(municipality, recipient, template, context, dedupe_key,
                         template_dir="queueing/mail", language=language)


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
            "wait": None if wait is None else round(wait)}, f"queue-near:{ticket.pk}", language=ticket.language)
        ticket.notified_at = now
        ticket.contact = None  # told: the address is no longer needed
        ticket.save(update_fields=["notified_at", "contact"])
        sent += 1
    return sent
