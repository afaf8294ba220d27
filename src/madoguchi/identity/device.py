"""Whether the page is being read on a phone, for the pages that offer ways to use the My Number
card (login, signing, pre-fill): a phone can switch to デジタル認証アプリ and read the card itself,
but cannot scan a QR code on its own screen and has no card reader for `madoguchi-card`.

A non-view module so that identity's and applications' views both use it without one view module
importing another.

Written here rather than taken from a user-agent parser: the order of the ways on a page needs one
yes/no, which the browser states itself. Chromium-based browsers send the low-entropy Client Hint
`Sec-CH-UA-Mobile` on every request to a secure origin (RFC 8942 / WICG UA Client Hints); where it
is absent (Safari, Firefox, plain HTTP), the user agent is read the way MDN's "Browser detection
using the user agent" recommends: "Mobi" anywhere means a phone, and Android and iPhone name the
systems whose phones say so. Deciding wrong only changes the order of ways: every way stays on the
page.
"""

from django.utils.cache import patch_vary_headers

MOBILE_HINT = "Sec-CH-UA-Mobile"
_PHONE_MARKS = ("Mobi", "Android", "iPhone")


def is_phone(request) -> bool:
    """True when the browser says it is on a phone (the Client Hint first, else its user agent)."""
    hint = request.headers.get(MOBILE_HINT, "").strip()
    if hint in ("?1", "?0"):
        return hint == "?1"
    agent = request.headers.get("User-Agent", "")
    return any(mark in agent for mark in _PHONE_MARKS)


def vary_by_device(response):
    """A response whose content depends on `is_phone` says so to caches."""
    patch_vary_headers(response, (MOBILE_HINT, "User-Agent"))
    return response
