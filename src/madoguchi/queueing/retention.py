"""A contact address is kept only as long as it can be used: erase those of past days.

The ticket and reservation records themselves stay (they feed the daily figures and the
estimate); only the encrypted e-mail addresses go, and the push subscriptions made for tickets
(notify contacts of the person "ticket:<pk>").
"""

from django.utils import timezone

from madoguchi.queueing import notices
from madoguchi.queueing.models import Reservation, Ticket


def dispose_contacts(now=None) -> dict[str, int]:
    """Erase contacts of reservations whose slot has ended and of tickets of earlier days."""
    now = now or timezone.now()
    reservations = Reservation.objects.filter(slot__ends_at__lt=now, contact__isnull=False)
    tickets = Ticket.objects.filter(service_date__lt=timezone.localdate(now), contact__isnull=False)
    return {"reservation_contacts": reservations.update(contact=None),
            "ticket_contacts": tickets.update(contact=None),
            "ticket_push_contacts": notices.forget_past_days(now)}
