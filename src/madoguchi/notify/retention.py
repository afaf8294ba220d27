"""An address is kept only as long as it can answer a question about the mail: erase it after
MADOGUCHI_OUTBOX_RETENTION_DAYS once the mail was delivered or given up.

The rows stay (subject, status, attempts, times): they are the sending record and feed the
counts. Pending mail keeps its address, since it is still to be sent.
"""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from madoguchi.notify.models import OutboxMessage, OutboxStatus


def erase_recipients(now=None) -> dict[str, int]:
    """Erase the address and any text left of sent and failed mail past the retention period
    (run daily with `madoguchi dispose`); returns counts only."""
    now = now or timezone.now()
    done = OutboxMessage.objects.filter(
        status__in=[OutboxStatus.SENT, OutboxStatus.FAILED],
        created_at__lt=now - timedelta(days=settings.MADOGUCHI_OUTBOX_RETENTION_DAYS),
        recipient__isnull=False,
    )
    return {"outbox_recipients": done.update(recipient=None, body=None)}
