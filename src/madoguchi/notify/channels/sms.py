"""SMS through Twilio's Programmable Messaging API, with its client library `twilio`.

Why Twilio: its HTTP API and client library are published and stable, it delivers to the
three Japanese carriers (docomo, au, SoftBank) with per-message status callbacks signed with
the account's Auth Token, and a city can sign up without a domestic contract. The library does
the request, the authentication and the signature check (`RequestValidator`); this module only
chooses what to send, reads Twilio's error codes and keeps the per-number limit.

Settings per city (ChannelSetting "sms"):
- config: `api_base` (https://api.twilio.com; a local server in tests and the demo), `from`
  (the sender: an E.164 number, an alphanumeric sender ID or a Messaging Service SID "MG…"),
  `status_callback` (the URL Twilio posts status to; default the city's /notify/hooks/sms/:
  behind a proxy it must be the URL as Twilio calls it, since the signature covers it),
  `hourly_limit_per_number` (20: carriers filter more than about 20 like texts an hour).
- secrets: `account_sid`, `auth_token`.

What is sent is short: the notice's title and its link (the page, behind login, says the
rest), in at most MAX_SEGMENTS segments; a message without a link (a verification code) is its
own text. Numbers are E.164 Japanese mobiles (notify/phone.py).
"""

import re
import threading
from datetime import timedelta
from urllib.parse import urlsplit

import requests
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from madoguchi.core import cities
from madoguchi.notify.channels import register
from madoguchi.notify.channels.base import (
    Channel,
    Outgoing,
    PermanentFailure,
    Sent,
    StatusReport,
    TemporaryFailure,
    WebhookRefused,
)
from madoguchi.notify.phone import is_mobile_e164

API_BASE = "https://api.twilio.com"
HOURLY_LIMIT = 20
MAX_SEGMENTS = 3
TIMEOUT = 10  # seconds for one API call: a worker must not hang on the provider
RATE_LIMITED_RETRY = 60  # seconds, when Twilio answers 429 (it names no Retry-After)

# Twilio's API error codes (https://www.twilio.com/docs/api/errors), as a failure of this delivery.
_DEAD = {21211: "unreachable", 21614: "unreachable", 21610: "blocked"}  # the number can never be used
_CONFIG = {20003, 20404, 21212, 21603, 21606, 21608, 21659, 21408, 21705}  # the city's settings are wrong
_MESSAGE = {21602, 21617}  # the message itself (empty, too long)
# The ErrorCode of an "undelivered"/"failed" status callback: (failure, the number is dead).
DELIVERY_ERRORS = {
    30003: ("unreachable", False),  # handset off or out of coverage
    30005: ("unreachable", True),   # unknown or inactive number
    30006: ("unreachable", True),   # a landline, or a carrier that cannot receive SMS
    30007: ("blocked", False),      # the carrier filtered it
}

_GSM7 = frozenset("@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡"
                  "ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà")
_http = threading.local()


def segment_units(text: str) -> tuple[int, int, int]:
    """(length in the encoding's units, one segment's size, a split segment's size): GSM 03.38's
    basic alphabet 160/153 per segment, anything else (Japanese) UCS-2 70/67, where a character
    outside the Basic Multilingual Plane takes two units. No library in the project counts SMS
    segments; the rule is this short."""
    if set(text) <= _GSM7:
        return len(text), 160, 153
    return len(text.encode("utf-16-le")) // 2, 70, 67


def segments(text: str) -> int:
    units, single, part = segment_units(text)
    return 1 if units <= single else -(-units // part)


def sms_text(subject: str, body: str, url: str) -> str:
    """What the SMS says: the title and the link, or for a message without a link its text.
    A title too long for MAX_SEGMENTS is cut (…); the link always stays whole."""
    if not url:
        return body.strip() or subject.strip()
    head, tail = subject.strip(), "\n" + url
    text = head + tail
    if segments(text) <= MAX_SEGMENTS:
        return text
    while head and segments(head + "…" + tail) > MAX_SEGMENTS:
        head = head[:-1]
    return (head + "…" + tail) if head else url


def _http_client() -> TwilioHttpClient:
    """One HTTP client (a requests Session: kept-alive connections) per thread."""
    client = getattr(_http, "client", None)
    if client is None:
        client = _http.client = TwilioHttpClient(timeout=TIMEOUT)
    return client


@register
class Sms(Channel):
    code = "sms"
    label = _("SMS")

    # --- settings -------------------------------------------------------------------------------

    @property
    def api_base(self) -> str:
        return (self.config.get("api_base") or API_BASE).rstrip("/")

    @property
    def hourly_limit(self) -> int:
        try:
            return int(self.config.get("hourly_limit_per_number") or HOURLY_LIMIT)
        except (TypeError, ValueError):
            return HOURLY_LIMIT

    def status_callback(self, municipality) -> str:
        """The URL Twilio posts status to, exactly as it will call it (the signature covers it)."""
        return self.config.get("status_callback") or cities.public_url(
            municipality, reverse("notify:status_hook", args=[self.code]))

    def check_config(self) -> list[str]:
        problems = []
        secrets, config = self.secrets, self.config
        if not re.fullmatch(r"AC[0-9a-f]{32}", secrets.get("account_sid") or ""):
            problems.append("secrets.account_sid: the Account SID (AC followed by 32 hex digits) is missing")
        if not secrets.get("auth_token"):
            problems.append("secrets.auth_token: the Auth Token is missing")
        sender = config.get("from") or ""
        if not (re.fullmatch(r"\+[1-9][0-9]{7,14}", sender) or re.fullmatch(r"MG[0-9a-f]{32}", sender)
                or re.fullmatch(r"(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11}", sender)):
            problems.append("config.from: a sender number (E.164), an alphanumeric sender ID (up to 11 "
                            "letters and digits) or a Messaging Service SID (MG…) is required")
        for name in ("api_base", "status_callback"):
            value = config.get(name)
            if value and (urlsplit(value).scheme not in ("http", "https") or not urlsplit(value).netloc):
                problems.append(f"config.{name}: an http(s) URL is required")
        limit = config.get("hourly_limit_per_number")
        if limit is not None and (not isinstance(limit, int) or isinstance(limit, bool) or limit < 1):
            problems.append("config.hourly_limit_per_number: a whole number of at least 1 is required")
        return problems

    def client(self) -> Client:
        client = Client(self.secrets["account_sid"], self.secrets["auth_token"], http_client=_http_client())
        client.api.base_url = self.api_base  # the Api domain's base (https://api.twilio.com)
        return client

    # --- sending --------------------------------------------------------------------------------

    def send(self, message: Outgoing) -> Sent:
        number = message.address or ""
        if not is_mobile_e164(number):  # only ever stored through notify.phone: a broken row
            raise PermanentFailure("invalid", detail="not a Japanese mobile number")
        self._within_hourly_limit(message.municipality, number)
        params = {"to": number, "body": sms_text(message.subject, message.body or "", message.url),
                  "status_callback": self.status_callback(message.municipality)}
        sender = self.config["from"]
        if sender.startswith("MG"):
            params["messaging_service_sid"] = sender
        else:
            params["from_"] = sender
        try:
            created = self.client().messages.create(**params)
        except TwilioRestException as exc:
            raise self._failure(exc.status, exc.code) from exc
        except (TwilioException, requests.RequestException) as exc:  # refused, timed out, unreadable
            raise TemporaryFailure(type(exc).__name__) from exc
        return Sent(provider_ref=created.sid or "")

    def _within_hourly_limit(self, municipality, number: str) -> None:
        """At most `hourly_limit_per_number` SMS to one number in any hour (every notice and code,
        counted from the outbox by the number's keyed hash); over it, wait until the oldest of
        them is an hour old."""
        from madoguchi.notify import services
        from madoguchi.notify.models import OutboxMessage

        now = timezone.now()
        sent = list(OutboxMessage.objects.filter(
            municipality=municipality, channel=self.code, digest=services.digest(self.code, number),
            sent_at__gt=now - timedelta(hours=1)).order_by("sent_at").values_list("sent_at", flat=True))
        over = len(sent) - self.hourly_limit
        if over >= 0:
            free_at = sent[over] + timedelta(hours=1)
            raise TemporaryFailure("rate_limited", retry_after=max(1.0, (free_at - now).total_seconds()))

    @staticmethod
    def _failure(status: int, code: int | None) -> Exception:
        if code in _DEAD:
            return PermanentFailure(_DEAD[code], address_dead=True, detail=f"Twilio {code}")
        if status == 429 or code == 20429:
            return TemporaryFailure("rate_limited", retry_after=RATE_LIMITED_RETRY)
        if status >= 500:
            return TemporaryFailure(f"HTTP {status}")
        if code in _CONFIG or status in (401, 403, 404):
            return PermanentFailure("not_configured", detail=f"Twilio {code}")
        if code in _MESSAGE:
            return PermanentFailure("invalid", detail=f"Twilio {code}")
        return PermanentFailure("invalid", detail=f"Twilio {code} (HTTP {status})")

    # --- what Twilio reports --------------------------------------------------------------------

    def parse_status(self, request) -> list[StatusReport]:
        """A status callback: signed by Twilio with the Auth Token over the URL it called (the
        configured status_callback) and the form; from this city's account."""
        signature = request.headers.get("X-Twilio-Signature", "")
        validator = RequestValidator(self.secrets.get("auth_token") or "")
        if not signature or not validator.validate(self.status_callback(request.municipality), request.POST,
                                                   signature):
            raise WebhookRefused("bad X-Twilio-Signature")
        if request.POST.get("AccountSid") != self.secrets.get("account_sid"):
            raise WebhookRefused("another account")
        sid, status = request.POST.get("MessageSid", ""), request.POST.get("MessageStatus", "")
        if not sid:
            return []
        if status == "delivered":
            return [StatusReport(provider_ref=sid, status="delivered")]
        if status in ("undelivered", "failed"):
            try:
                error = int(request.POST.get("ErrorCode") or 0)
            except ValueError:
                error = 0
            reason, dead = DELIVERY_ERRORS.get(error, ("unreachable", False))
            return [StatusReport(provider_ref=sid, status="failed", reason=reason, address_dead=dead,
                                 detail={"error_code": error})]
        return []  # queued, accepted, sending, sent: nothing final yet


def enqueue_code(municipality, person: str, number: str, code: str, *, key: str, minutes: int,
                 language: str | None = None):
    """Queue the SMS carrying a verification code to `number` (E.164), which is not a contact
    yet: tell() only reaches contacts, so the row is written here, in the caller's transaction,
    through the outbox like every other message (claimed, sent, the text erased once sent).

    The code is in the encrypted body only; the subject, kept as the sending record, is neutral.
    The row carries no notice key: My Page's notice list does not show codes."""
    from madoguchi.notify import services

    language = services.mail_language(translation.get_language() if language is None else language)
    public_url = cities.public_url(municipality)
    with translation.override(language):
        text = render_to_string("notify/sms/verification_code.txt", {
            "municipality": municipality, "code": code, "minutes": minutes,
            "host": urlsplit(public_url).hostname or "", "language": language})
    subject, _, body = text.strip().partition("\n")
    return services.enqueue({
        "municipality": municipality, "channel": Sms.code, "recipient": number, "person": person,
        "subject": subject.strip()[:200], "body": body.strip() + "\n", "dedupe_key": key,
        "digest": services.digest(Sms.code, number)}, False)
