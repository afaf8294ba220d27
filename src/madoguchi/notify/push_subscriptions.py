"""A browser's Web Push subscription becoming a person's contact: the one path the resident's
My Page and the queue's ticket page both take (the subscription checked by the push channel's
own rule, `channels.push.subscription_from`)."""

from madoguchi.notify import channels, services
from madoguchi.notify.channels.push import InvalidSubscription, subscription_from
from madoguchi.notify.models import Contact

__all__ = ["InvalidSubscription", "application_server_key", "browser_label", "subscribe"]

# (what the User-Agent contains, the name shown); the first match wins, so the browsers built
# on Chromium come before Chrome, and Chrome before Safari (whose token they all carry).
BROWSERS = (
    ("EdgA/", "Edge"), ("Edg/", "Edge"), ("SamsungBrowser/", "Samsung Internet"), ("OPR/", "Opera"),
    ("Firefox/", "Firefox"), ("FxiOS/", "Firefox"), ("CriOS/", "Chrome"), ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
)
SYSTEMS = (("Android", "Android"), ("iPhone", "iPhone"), ("iPad", "iPad"), ("Windows", "Windows"),
           ("Macintosh", "Mac"), ("Linux", "Linux"))


def application_server_key(municipality) -> str:
    """The city's VAPID public key for `PushManager.subscribe`; "" when push is not offered."""
    channel = channels.channel_for(municipality, "push")
    return channel.public_key if channel is not None else ""


def browser_label(user_agent: str) -> str:
    """「Chrome (Android)」: enough for a resident to tell their devices apart in My Page.
    A few substrings, not a User-Agent parser library: only a label is made of it, and a
    browser not named here is simply 「Browser」."""
    user_agent = user_agent or ""
    browser = next((name for token, name in BROWSERS if token in user_agent), "Browser")
    system = next((name for token, name in SYSTEMS if token in user_agent), "")
    return f"{browser} ({system})" if system else browser


def subscribe(municipality, person: str, raw, user_agent: str = "") -> Contact:
    """Keep the browser's subscription as `person`'s push contact (a renewed one is enabled
    again). Raises InvalidSubscription when the city does not offer push or the subscription is
    not one Madoguchi can use."""
    channel = channels.channel_for(municipality, "push")
    if channel is None:
        raise InvalidSubscription("push is not offered")
    address = subscription_from(raw or "", channel.allowed_origins)
    return services.add_contact(municipality, person, "push", address, label=browser_label(user_agent))
