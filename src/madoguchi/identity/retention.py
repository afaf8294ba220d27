"""Card challenges are worth nothing once no browser that asked for one can still claim it.

A signature's challenge holds the answers being signed (encrypted); a login's, a nonce. Both
are deleted by `madoguchi dispose` once they expired longer ago than a session can live: the
session that asked has lapsed by then, so nothing can claim them any more.
"""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from madoguchi.identity.models import CardChallenge


def dispose_challenges(now=None) -> int:
    """Delete challenges that expired more than one session length ago, whatever their state;
    returns how many. A draft pointing at one loses the pointer (SET_NULL) and asks anew."""
    now = now or timezone.now()
    deleted, _ = CardChallenge.objects.filter(
        expires_at__lt=now - timedelta(seconds=settings.SESSION_COOKIE_AGE)).delete()
    return deleted
