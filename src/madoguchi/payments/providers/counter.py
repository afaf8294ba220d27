"""Payment taken at the counter: cash, or the city's own terminal (card, 電子マネー, QR).

Nothing is sent anywhere: the clerk records what the drawer or the terminal took, with the
terminal's slip number (services.record_counter_payment). The class exists so that the
counter is turned on per city like any provider, and refunds of counter payments go through
the same services (paid back by hand: the refund id is empty)."""

from django.utils.translation import gettext as _

from madoguchi.payments.models import COUNTER_METHODS
from madoguchi.payments.providers import register
from madoguchi.payments.providers.base import (
    Outcome,
    PaymentProvider,
    ProviderRefused,
    WebhookRefused,
)


@register
class CounterProvider(PaymentProvider):
    code = "counter"
    methods = tuple(str(m) for m in COUNTER_METHODS)
    redirects = False

    def check_config(self) -> list[str]:
        unknown = [m for m in self.setting.methods or [] if m not in self.methods]
        return [_("窓口で使えない支払方法です: %(methods)s") % {"methods": ", ".join(unknown)}] if unknown else []

    def start(self, attempt, *, return_url: str, cancel_url: str):
        raise ProviderRefused("counter payments are recorded by the clerk", code="counter_only")

    def status(self, attempt) -> Outcome:
        return Outcome(state=attempt.state, provider_ref=attempt.provider_ref)

    def parse_webhook(self, body: bytes, headers: dict):
        raise WebhookRefused("the counter sends no webhooks")

    def refund(self, attempt, amount_yen: int, reason: str, idempotency_key: str) -> str:
        return ""  # paid back from the drawer; the Refund row is the record

    def cancel(self, attempt) -> None:
        return None

