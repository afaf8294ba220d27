"""The payment provider interface: every provider (Stripe, PayPay, the counter) is one
subclass, registered by its code (providers/__init__.py) and configured per city by a
ProviderSetting row. Services call only these methods, so the state handling — idempotency,
locks, settling, refunds — is written once in services.py.
"""

import abc
from dataclasses import dataclass, field
from datetime import datetime
from typing import ClassVar


@dataclass(frozen=True)
class Started:
    """The provider's answer to `start`: where the resident goes, until when."""

    provider_ref: str
    redirect_url: str
    expires_at: datetime | None = None
    data: dict = field(default_factory=dict)  # secondary ids kept in Attempt.provider_data


@dataclass(frozen=True)
class Outcome:
    """What the provider says of one attempt now. `state` is an AttemptState value:
    pending, succeeded, failed, expired or cancelled."""

    state: str
    provider_ref: str = ""
    paid_amount_yen: int | None = None
    raw_status: str = ""
    expires_at: datetime | None = None  # when a pending payment lapses (a konbini slip's limit)


@dataclass(frozen=True)
class WebhookEvent:
    """One verified event. `state` is None when the event does not say (then the attempt is
    polled); `attempt_ref` is our attempt's public id when the provider echoes it back."""

    event_id: str
    provider_ref: str
    kind: str
    state: str | None = None
    attempt_ref: str = ""
    paid_amount_yen: int | None = None
    extra: dict = field(default_factory=dict)


class ProviderError(Exception):
    """The provider could not be asked or answered with an error that may pass (network,
    5xx, rate limit): try again later. `code` is safe to log (no personal data)."""

    def __init__(self, message: str, code: str = ""):
        super().__init__(message)
        self.code = code or type(self).__name__


class ProviderRefused(ProviderError):
    """The provider refused the request for good (4xx: bad key, bad parameters)."""


class WebhookRefused(Exception):
    """The webhook's signature or body does not verify: answered 400, nothing stored."""


class PaymentProvider(abc.ABC):
    code: ClassVar[str]
    methods: ClassVar[tuple[str, ...]]
    #: True when `start` sends the resident to the provider's page (online providers)
    redirects: ClassVar[bool] = True

    def __init__(self, setting):
        self.setting = setting

    @property
    def config(self) -> dict:
        return self.setting.config or {}

    @property
    def secrets(self) -> dict:
        return self.setting.secret_values

    @abc.abstractmethod
    def check_config(self) -> list[str]:
        """Problems with this city's configuration, in plain words; [] when fine."""

    @abc.abstractmethod
    def start(self, attempt, *, return_url: str, cancel_url: str) -> Started:
        """Open the payment at the provider. Must be idempotent on `attempt.idempotency_key`:
        called again for the same attempt it returns the same payment."""

    @abc.abstractmethod
    def status(self, attempt) -> Outcome:
        """Poll the provider for the attempt's state (the return page, the job)."""

    @abc.abstractmethod
    def parse_webhook(self, body: bytes, headers: dict) -> list[WebhookEvent]:
        """Verify the signature and read the events; raise WebhookRefused when it fails.
        `headers` keys are lower-case."""

    @abc.abstractmethod
    def refund(self, attempt, amount_yen: int, reason: str, idempotency_key: str) -> str:
        """Pay back part or all; idempotent on the key; returns the provider's refund id."""

    @abc.abstractmethod
    def cancel(self, attempt) -> None:
        """Best effort: close the payment at the provider (expire the session, delete the
        code) so it can no longer be paid. Errors are the caller's to ignore."""

    def checkout_origins(self) -> list[str]:
        """Origins the pay page's form is redirected on to (CSP form-action)."""
        return []
