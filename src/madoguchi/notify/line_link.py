"""Linking a resident's LINE account to their Madoguchi account (LINE's account-link flow).

1. The resident adds the city's official account as a friend (or sends it 「連携」): the webhook
   asks LINE for a link token for that LINE user and replies with a link to My Page carrying it.
2. Logged in on My Page, the resident confirms: `start` makes a nonce for their account (only
   its keyed hash is kept, for NONCE_MINUTES) and the browser goes on to LINE's dialog with the
   link token and the nonce.
3. LINE checks that the LINE user there is the one the token was issued for, then sends the
   signed `accountLink` event with the nonce: `finish` finds the account by the nonce, once,
   and keeps the LINE user id as the account's contact.

LINE user ids differ per provider, so a contact belongs to one city (one official account).
The flow is LINE's (its dialog is what proves who holds the LINE account); what is written
here is the nonce's keeping, a few lines over ContactChallenge.
"""

import secrets
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from madoguchi.notify import services
from madoguchi.notify.models import Contact, ContactChallenge

CHANNEL = "line"
NONCE_MINUTES = 10  # as long as LINE's link token lives


def _nonce_digest(nonce: str) -> str:
    return services.digest("line-nonce", nonce)


def start(municipality, person: str) -> str:
    """A new nonce for `person` (256 random bits, URL-safe base64, as LINE asks: 10–255
    characters, unpredictable); the stored row holds only its keyed hash."""
    now = timezone.now()
    ContactChallenge.objects.filter(municipality=municipality, channel=CHANNEL, expires_at__lte=now).delete()
    nonce = secrets.token_urlsafe(32)
    ContactChallenge.objects.create(municipality=municipality, person=person, channel=CHANNEL,
                                    secret_digest=_nonce_digest(nonce),
                                    expires_at=now + timedelta(minutes=NONCE_MINUTES))
    return nonce


def finish(municipality, nonce: str, line_user: str) -> Contact | None:
    """LINE linked `line_user` with the nonce: the nonce's person gets that LINE account as their
    contact (replacing an earlier LINE account of theirs). None for a nonce unknown, expired or
    already used: each nonce links once."""
    if not nonce or not line_user:
        return None
    with transaction.atomic():
        challenge = ContactChallenge.objects.filter(
            municipality=municipality, channel=CHANNEL, secret_digest=_nonce_digest(nonce),
            expires_at__gt=timezone.now()).first()
        # Deleting is the use: of two deliveries of the same event, one deletes the row.
        if challenge is None or ContactChallenge.objects.filter(pk=challenge.pk).delete()[0] == 0:
            return None
        earlier = Contact.objects.filter(municipality=municipality, person=challenge.person, channel=CHANNEL)
        for contact in earlier.exclude(digest=services.digest(CHANNEL, line_user)):
            services.remove_contact(contact, "unlinked")
        return services.add_contact(municipality, challenge.person, CHANNEL, line_user, label="LINE")


def line_user_left(municipality, line_user: str, reason: str = "blocked") -> int:
    """The LINE user blocked the city's account (LINE's unfollow): every contact with that id
    goes, and what was queued for it moves on to the next channel."""
    rows = Contact.objects.filter(municipality=municipality, channel=CHANNEL,
                                  digest=services.digest(CHANNEL, line_user))
    count = 0
    for contact in rows:
        services.remove_contact(contact, reason)
        count += 1
    return count


def unlink(municipality, person: str) -> int:
    """The resident unlinked LINE on My Page."""
    count = 0
    for contact in Contact.objects.filter(municipality=municipality, person=person, channel=CHANNEL):
        services.remove_contact(contact, "unlinked")
        count += 1
    return count
