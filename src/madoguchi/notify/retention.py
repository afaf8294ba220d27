"""An address is kept only as long as it can answer a question about a delivery: erase it after
MADOGUCHI_OUTBOX_RETENTION_DAYS once the delivery is done (sent, delivered or given up).

What is erased is everything personal a row may still hold: the address (`recipient`), any
text left (`body`), and the `routes` kept to fall back to (the person's other addresses and
the texts rendered for them: a delivery sent but never confirmed keeps them, since a bounce
may still come). The rows stay (channel, subject, status, failure, times): they are the sending
record, what My Page and the case page show, and feed the counts. A delivery still to be sent
keeps everything.

A contact being proven (a LINE link nonce, an SMS code: the number it is sent to, encrypted)
that the resident never finished is deleted a day after it expired.
"""

from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from madoguchi.notify.models import ContactChallenge, OutboxMessage, OutboxStatus

DONE = (OutboxStatus.SENT, OutboxStatus.DELIVERED, OutboxStatus.FAILED)


def erase_recipients(now=None) -> dict[str, int]:
    """Erase the address, any text and the routes of done deliveries past the retention period,
    and challenges left unfinished (run daily with `madoguchi dispose`); returns counts only."""
    now = now or timezone.now()
    done = OutboxMessage.objects.filter(
        Q(recipient__isnull=False) | Q(body__isnull=False) | Q(routes__isnull=False),
        status__in=DONE,
        created_at__lt=now - timedelta(days=settings.MADOGUCHI_OUTBOX_RETENTION_DAYS),
    )
    erased = done.update(recipient=None, body=None, routes=None)
    challenges = ContactChallenge.objects.filter(expires_at__lt=now - timedelta(days=1)).delete()[0]
    return {"outbox_recipients": erased, "contact_challenges": challenges}
