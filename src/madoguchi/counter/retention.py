"""Pairing codes are worth nothing once they lapse: dispose of them after a day."""

from datetime import timedelta

from django.utils import timezone

from madoguchi.counter.models import TabletPairingCode


def dispose_pairing_codes(older_than_days: int = 1, now=None) -> int:
    """Delete codes that lapsed more than `older_than_days` ago, used or not; returns how many
    (run daily with `madoguchi dispose`). Paired tablets stay: the audit log names them."""
    now = now or timezone.now()
    deleted, _ = TabletPairingCode.objects.filter(
        expires_at__lt=now - timedelta(days=older_than_days)).delete()
    return deleted
