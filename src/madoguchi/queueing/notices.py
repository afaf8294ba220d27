"""Notices to visitors through notify's `tell`: "your turn is near" and the reservation's mails.

A ticket's visitor is the person "ticket:<pk>": the push subscription they made on the ticket
page is that person's contact (tried first), the e-mail address they typed (kept encrypted on
the ticket until told) the fallback. A reservation's booker is "reservation:<pk>", reached by
the address given when booking. The delivery row is written in the caller's transaction (never
lost, never sent for a change rolled back); the keys make each notice once-only.

Mails keep their templates beside the queue's own (queueing/mail/); the short texts of push
(notify/short/queue_near.txt, reservation.txt) name the ticket number the visitor asked about
and nothing else.
"""

from datetime import datetime

from django.urls import reverse
from django.utils import timezone

from madoguchi.core.crypto import decrypt_bytes
from madoguchi.notify import push_subscriptions, services
from madoguchi.notify.models import Contact
from madoguchi.queueing import selectors


def person(ticket) -> str:
    return f"ticket:{ticket.pk}"


def tell_reservation(reservation, email: str, template: str, key: str):
    """A reservation's mail (`reserved`, `reminder`), in the language it was booked in."""
    slot = reservation.slot
    return services.tell(
        slot.group.municipality, "reservation", key=key, person=f"reservation:{reservation.pk}", email=email,
        context={"reservation": reservation, "slot": slot, "purpose": reservation.purpose},
        email_template=template, template_dir="queueing/mail", about=f"reservation:{reservation.pk}",
        link=reverse("queueing:reservation", args=[reservation.token]), language=reservation.language)


def turn_near(group, now: datetime) -> int:
    """After any change of the line: tell each visitor who asked, once, when at most N are ahead
    (by push to the subscription made on the ticket page, else by the e-mail they typed).
    Sent from whatever request changed the line: in the language the ticket was taken in."""
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
        services.tell(
            group.municipality, "queue_near", key=f"queue-near:{ticket.pk}", person=person(ticket),
            email=decrypt_bytes(ticket.contact).decode() if ticket.contact else None,
            context={"ticket": ticket, "ahead": ahead, "group": group,
                     "wait": None if wait is None else round(wait)},
            email_template="turn_near", template_dir="queueing/mail", about=person(ticket),
            link=reverse("queueing:status", args=[ticket.token]), language=ticket.language)
        ticket.notified_at = now
        ticket.contact = None  # told: the address is no longer needed
        ticket.save(update_fields=["notified_at", "contact"])
        sent += 1
    return sent


def subscribe(ticket, subscription, user_agent: str = "") -> None:
    """The ticket page's push subscription becomes the visitor's contact (raises
    push_subscriptions.InvalidSubscription)."""
    push_subscriptions.subscribe(ticket.municipality, person(ticket), subscription, user_agent)


def pass_on(ticket, moved) -> None:
    """A transferred visitor keeps the push subscription made for the old number."""
    Contact.objects.filter(municipality_id=ticket.municipality_id, person=person(ticket)).update(
        person=person(moved))


def forget(ticket) -> None:
    """The ticket left the line (called, finished, cancelled): its contacts are not needed."""
    services.forget_person(ticket.municipality, person(ticket))


def forget_past_days(now: datetime | None = None) -> int:
    """Contacts of tickets of earlier days (tickets live one day): made before today began."""
    start = timezone.localtime(now or timezone.now()).replace(hour=0, minute=0, second=0, microsecond=0)
    return Contact.objects.filter(person__startswith="ticket:", created_at__lt=start).delete()[0]
