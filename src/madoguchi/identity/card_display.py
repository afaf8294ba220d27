"""What a page waiting for the card shows, shared by identity's login and applications' signing
and pre-fill pages: the browser session a challenge is bound to, the card client's URL (with the
key that lets only it read the challenge) and that URL as a QR code.

Its own module, not a view module, so that another app's views use it without importing
identity's views (an import-linter contract says no view module imports another app's views).
"""

import segno
from django.urls import reverse

from madoguchi.identity import cardauth


def session_key(request) -> str:
    if not request.session.session_key:
        request.session.save()
    return request.session.session_key


def challenge_url(request, challenge) -> str:
    """The URL for the card client, with the key that lets it (and only it) read the challenge."""
    return request.build_absolute_uri(reverse(
        "api:card_challenge", args=[challenge.public_id, cardauth.read_key(challenge.public_id)]))


def challenge_display(request, challenge) -> dict:
    """What a waiting page shows: the challenge, its URL for the card client, and its QR code."""
    url = challenge_url(request, challenge)
    return {"challenge": challenge, "url": url,
            "qr": segno.make(url, error="m").svg_inline(scale=4)}
