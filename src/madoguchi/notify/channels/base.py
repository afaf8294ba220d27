"""What every notification channel is: a class registered under its code (`email`, `line`,
`sms`, `push`) that sends one rendered message and reads the provider's delivery reports.

The outbox (notify/services.py) claims a delivery, asks the channel to `send` it and records
the outcome: `Sent` (with the provider's id of the message, to match later status reports),
`TemporaryFailure` (tried again with back-off) or `PermanentFailure` (given up; the next
channel the person chose is tried). A channel never decides about retries or fallbacks.
"""

import abc
from dataclasses import dataclass, field
from typing import ClassVar

from django.utils.functional import Promise

# Why a delivery failed for good: shown to the resident (My Page) and to staff (the case).
FAILURES = (
    "unreachable",   # the number or address does not exist / cannot receive (SMS 30003, bounce)
    "blocked",       # the resident blocked the city's account (LINE), or a carrier refused it
    "complained",    # the resident marked the mail as spam
    "expired",       # the push subscription is gone (404/410)
    "unlinked",      # the LINE link or the contact was removed
    "invalid",       # the provider refused the message itself (malformed, too long)
    "rate_limited",  # still over the provider's limit after every retry
    "gave_up",       # temporary failures until MAX_ATTEMPTS
    "not_configured",  # the city turned the channel off or its settings are incomplete
)


@dataclass(frozen=True)
class Outgoing:
    """One rendered message, as the channel sends it. `key` is stable across retries of the
    same delivery (LINE's X-Line-Retry-Key, an idempotency key, the mail's Message-ID)."""

    municipality: object
    address: str
    subject: str
    body: str
    url: str = ""
    key: str = ""
    message_id: str = ""  # the e-mail Message-ID (the e-mail channel only)
    event: str = ""  # the event told (push: how urgent, how long a push service keeps it)


@dataclass(frozen=True)
class Sent:
    provider_ref: str = ""
    delivered: bool = False  # the provider confirmed delivery in its answer (no callback to come)


@dataclass(frozen=True)
class StatusReport:
    """A provider's word on a message it took (a status callback, a bounce webhook).
    `provider_ref` matches `Sent.provider_ref`; for a bounce with no id, `address` does."""

    provider_ref: str = ""
    status: str = "delivered"  # or "failed"
    reason: str = ""           # a FAILURES code when failed
    address: str = ""
    address_dead: bool = False  # the address can never be used again: disable the contact
    detail: dict = field(default_factory=dict)


class TemporaryFailure(Exception):
    """Try again later: a network error, a 5xx, a 429 (`retry_after` seconds when told)."""

    def __init__(self, reason: str = "", retry_after: float | None = None):
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


class PermanentFailure(Exception):
    """Never again on this delivery: `reason` is a FAILURES code; `address_dead` disables the
    contact too (a number that does not exist, a subscription gone, a blocked account)."""

    def __init__(self, reason: str, address_dead: bool = False, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.address_dead = address_dead


class WebhookRefused(Exception):
    """A status callback that is not the provider's (bad signature, wrong account): 403."""


class Channel(abc.ABC):
    code: ClassVar[str]
    label: ClassVar[str | Promise]
    # A channel without settings (e-mail: Django's mail backend) works wherever the city lists it.
    needs_setting: ClassVar[bool] = True
    # Short texts carry no personal data unless the resident opted in (Contact.detail).
    short: ClassVar[bool] = True

    def __init__(self, setting=None):
        self.setting = setting

    @property
    def config(self) -> dict:
        return dict(self.setting.config or {}) if self.setting is not None else {}

    @property
    def secrets(self) -> dict:
        return self.setting.secret_values if self.setting is not None else {}

    def check_config(self) -> list[str]:
        """What is missing or wrong in the city's settings, in words for its IT ([] = ready)."""
        return []

    @abc.abstractmethod
    def send(self, message: Outgoing) -> Sent:
        """Send one message or raise TemporaryFailure / PermanentFailure."""

    def parse_status(self, request) -> list[StatusReport]:
        """Read a status callback (the request to /notify/hooks/<channel>/): verify it is the
        provider's (raise WebhookRefused) and return what it reports. Channels whose provider
        reports nothing after sending return []."""
        return []
