"""Web Push (RFC 8030) with VAPID (RFC 8292) and the aes128gcm payload encryption (RFC 8291),
through `pywebpush` (which encrypts with `http_ece` and signs with `py_vapid`).

A contact's address is the browser's subscription as JSON (`endpoint` and `keys.p256dh`,
`keys.auth`). The payload the service worker receives is JSON {title, body, url}: the short
text of the event (nothing personal unless the resident opted in) and the page it links to,
which needs login.

What the push service answers decides the delivery (RFC 8030 §5 and §8.3):
201/202 the service took the message (its `Location` names it) → Sent; 404/410 the
subscription is gone, 403 it was made with another VAPID key (RFC 8292 §4.2: the city rotated
its pair) → failed for good, the contact disabled, the next channel tried; 429
(with `Retry-After`) and 5xx or no answer → tried again later; 400/413 the message itself was
refused → failed for good as "invalid". A push service reports nothing after accepting a
message (browsers' services do not offer RFC 8030 receipts), so a push stays "sent".

Settings per city (ChannelSetting "push"):
- config `vapid_public_key`: the VAPID public key, base64url of the uncompressed P-256 point
  (the pages' `applicationServerKey`); `subject`: the VAPID `sub`, a `mailto:` or `https:`
  contact of the city's IT (the push services write there when something is wrong; Apple's
  refuses a token without a real one); `ttl`: seconds a push service keeps a message for an
  offline device (default 86400); `endpoint_origins`: origins allowed besides https push
  services, for a local push service in tests and the demo only (see `check_endpoint`).
- secrets `vapid_private_key`: the VAPID private key (PEM, or base64url of the raw scalar).
`madoguchi push_keys --city <slug> --subject mailto:…` makes the pair.
"""

import base64
import binascii
import ipaddress
import json
from urllib.parse import urlsplit

import requests
from cryptography.hazmat.primitives.asymmetric import ec
from django.utils.translation import gettext_lazy as _
from py_vapid import Vapid, VapidException
from pywebpush import WebPushException, webpush

from madoguchi.notify.channels import register
from madoguchi.notify.channels.base import (
    Channel,
    Outgoing,
    PermanentFailure,
    Sent,
    TemporaryFailure,
)

DEFAULT_TTL = 24 * 60 * 60
MAX_TTL = 28 * 24 * 60 * 60  # what push services keep at most (FCM: 4 weeks)
TIMEOUT = 10  # seconds for the push service to answer
# The encrypted body may be 4096 bytes (RFC 8291 §4): aes128gcm adds 86 bytes and a record
# delimiter; the text is cut well before that.
MAX_BODY_CHARS = 600
MAX_SUBSCRIPTION_BYTES = 4096
# Events that lose their worth within minutes: a push service delivers them at once even to a
# phone saving its battery (Urgency: high, RFC 8030 §5.3) and drops them after the seconds given.
URGENT = {"queue_near": 30 * 60}
MAX_ENDPOINT_CHARS = 2048


class InvalidSubscription(ValueError):
    """What a browser sent is not a push subscription Madoguchi can use; the message says why
    (in English, for the page's script and the logs; the resident sees a translated line)."""


def _b64decode(value: str) -> bytes:
    """base64url without padding, as the Push API gives keys (PushSubscription.toJSON)."""
    if not isinstance(value, str) or not value or len(value) > 200:
        raise InvalidSubscription("key is not base64url")
    try:
        return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError):
        raise InvalidSubscription("key is not base64url") from None


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def check_endpoint(endpoint: str, allowed_origins=()) -> None:
    """The one rule for where Madoguchi will POST a push: an https URL on a DNS name at the
    default port (every browser's push service is one), or an origin the city's settings list
    in `endpoint_origins`.

    The endpoint comes from a browser, and the server POSTs to it: without this rule any
    visitor could make Madoguchi send requests into the city's own network (an IP literal,
    localhost, an internal port). `endpoint_origins` exists for a local push service that
    speaks http on 127.0.0.1 (the tests and the `make run` demo, where no real push service
    can be reached); a production city leaves it empty."""
    if not isinstance(endpoint, str) or not endpoint or len(endpoint) > MAX_ENDPOINT_CHARS:
        raise InvalidSubscription("endpoint missing or too long")
    try:
        parts = urlsplit(endpoint)
        port = parts.port
    except ValueError:
        raise InvalidSubscription("endpoint is not a URL") from None
    if _origin(endpoint) in {origin.rstrip("/").lower() for origin in allowed_origins or ()}:
        return
    host = (parts.hostname or "").rstrip(".")
    if parts.scheme != "https" or not host or parts.username or parts.password:
        raise InvalidSubscription("endpoint must be https")
    if port not in (None, 443) or "." not in host or host.endswith((".localhost", ".local", ".internal")):
        raise InvalidSubscription("endpoint is not a public push service")
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return
    raise InvalidSubscription("endpoint is not a public push service")


def subscription_from(raw, allowed_origins=()) -> str:
    """A browser's PushSubscription (its toJSON(), as text or already parsed) checked and
    written back as the canonical JSON kept in Contact.address: {endpoint, keys: {p256dh, auth}}.
    Raises InvalidSubscription with the reason."""
    if isinstance(raw, bytes | str):
        if len(raw) > MAX_SUBSCRIPTION_BYTES:
            raise InvalidSubscription("subscription too long")
        try:
            raw = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            raise InvalidSubscription("subscription is not JSON") from None
    if not isinstance(raw, dict) or not isinstance(raw.get("keys"), dict):
        raise InvalidSubscription("subscription needs endpoint and keys")
    endpoint, keys = raw.get("endpoint"), raw["keys"]
    check_endpoint(endpoint, allowed_origins)
    p256dh, auth = keys.get("p256dh"), keys.get("auth")
    point = _b64decode(p256dh)
    if len(point) != 65 or point[0] != 4:
        raise InvalidSubscription("p256dh is not an uncompressed P-256 point")
    try:
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
    except ValueError:
        raise InvalidSubscription("p256dh is not on P-256") from None
    if len(_b64decode(auth)) != 16:
        raise InvalidSubscription("auth is not 16 bytes")
    return json.dumps({"endpoint": endpoint, "keys": {"p256dh": p256dh, "auth": auth}},
                      separators=(",", ":"), sort_keys=True)


def endpoint_of(address: str) -> str:
    """The push service's URL of a stored subscription ("" when unreadable)."""
    try:
        return str(json.loads(address).get("endpoint") or "")
    except (ValueError, AttributeError):
        return ""


def _retry_after(value: str | None) -> float | None:
    """Retry-After in seconds (RFC 9110 §10.2.3 also allows a date: then the usual back-off)."""
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None


def payload(message: Outgoing) -> str:
    """What the service worker shows: the title, the text without its trailing link (the
    notification opens `url` when tapped), the link."""
    text = message.body.strip()
    if message.url and text.endswith(message.url):
        text = text[: -len(message.url)].strip()
    return json.dumps({"title": message.subject, "body": text[:MAX_BODY_CHARS], "url": message.url},
                      ensure_ascii=False, separators=(",", ":"))


@register
class Push(Channel):
    code = "push"
    label = _("プッシュ通知")

    @property
    def public_key(self) -> str:
        return str(self.config.get("vapid_public_key") or "")

    @property
    def allowed_origins(self) -> list[str]:
        origins = self.config.get("endpoint_origins") or []
        return [str(o) for o in origins] if isinstance(origins, list) else []

    @property
    def ttl(self) -> int:
        try:
            return min(MAX_TTL, max(0, int(self.config.get("ttl", DEFAULT_TTL))))
        except (TypeError, ValueError):
            return DEFAULT_TTL

    def check_config(self) -> list[str]:
        problems = []
        subject = str(self.config.get("subject") or "")
        if not (subject.startswith("mailto:") and "@" in subject[7:]) and not (
                subject.startswith("https://") and len(subject) > len("https://")):
            problems.append("config 'subject' must be a real mailto: or https: contact (the VAPID sub)")
        key = self.public_key
        try:
            point = base64.urlsafe_b64decode(key + "=" * (-len(key) % 4))
            ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
        except (binascii.Error, ValueError):
            problems.append("config 'vapid_public_key' must be the base64url P-256 public key")
        private = str(self.secrets.get("vapid_private_key") or "")
        if not private:
            problems.append("secret 'vapid_private_key' is missing")
        elif not problems:
            try:
                vapid = self._vapid()
            except (VapidException, ValueError, TypeError, binascii.Error):
                problems.append("secret 'vapid_private_key' is not a P-256 private key")
            else:
                if _public_key_b64(vapid) != key.rstrip("="):
                    problems.append("config 'vapid_public_key' is not the private key's public key")
        try:
            int(self.config.get("ttl", DEFAULT_TTL))
        except (TypeError, ValueError):
            problems.append("config 'ttl' must be a number of seconds")
        return problems

    def _vapid(self) -> Vapid:
        private = str(self.secrets.get("vapid_private_key") or "").strip()
        if private.startswith("-----BEGIN"):
            return Vapid.from_pem(private.encode())
        return Vapid.from_string(private)

    def send(self, message: Outgoing) -> Sent:
        try:
            subscription = json.loads(subscription_from(message.address, self.allowed_origins))
        except InvalidSubscription as exc:
            raise PermanentFailure("expired", address_dead=True, detail=str(exc)) from None
        try:
            response = webpush(
                subscription, data=payload(message), vapid_private_key=self._vapid(),
                vapid_claims={"sub": self.config["subject"]}, content_encoding="aes128gcm",
                ttl=min(self.ttl, URGENT.get(message.event, MAX_TTL)), timeout=TIMEOUT,
                headers={"Urgency": "high" if message.event in URGENT else "normal"})
        except WebPushException as exc:
            response = exc.response
            if response is None:
                raise TemporaryFailure(type(exc).__name__) from None
        except requests.RequestException as exc:  # refused, timed out: tried again later
            raise TemporaryFailure(type(exc).__name__) from None
        status = response.status_code
        if status in (200, 201, 202):
            return Sent(provider_ref=response.headers.get("Location", "")[:128])
        if status in (404, 410, 403):
            # 404/410: the subscription is gone; 403: it was made with another key (the city's
            # pair was rotated, RFC 8292 §4.2), so it can never take our pushes again.
            raise PermanentFailure("expired", address_dead=True, detail=str(status))
        if status == 429:
            raise TemporaryFailure("429", retry_after=_retry_after(response.headers.get("Retry-After")))
        if status in (400, 413):
            raise PermanentFailure("invalid", detail=str(status))
        raise TemporaryFailure(str(status))  # 5xx, 401 (a token refused, a clock off): later


def _public_key_b64(vapid: Vapid) -> str:
    from cryptography.hazmat.primitives import serialization

    raw = vapid.public_key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def new_keys() -> tuple[str, str]:
    """A new VAPID key pair: (the public key, base64url for the pages; the private key, PEM)."""
    vapid = Vapid()
    vapid.generate_keys()
    return _public_key_b64(vapid), vapid.private_pem().decode()
