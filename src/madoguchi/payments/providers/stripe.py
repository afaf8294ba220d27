"""Card and コンビニ払い through Stripe Checkout, with the official `stripe` library.

One attempt is one Checkout Session (mode payment, currency jpy, the attempt's one method):
the resident types card data on Stripe's page, never on ours. The session is created with
the attempt's idempotency key, so a retry returns the same session. Stripe's metadata and
client_reference_id carry our ids only. Card sessions are paid when they complete; a konbini
session completes "unpaid" and stays pending until the slip is paid at the store (or lapses).

Per city (ProviderSetting): config {"api_base", "checkout_origin", "session_minutes",
"konbini_days", "timeout_seconds"}, secrets {"secret_key", "webhook_secret"}. `api_base`
points the library at another server (the local protocol server in tests and the demo).
"""

import contextlib
import json
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import stripe
from django.utils.translation import gettext as _

from madoguchi.payments.models import DUPLICATE_REASON, AttemptState, Method
from madoguchi.payments.providers import register
from madoguchi.payments.providers.base import (
    Outcome,
    PaymentProvider,
    ProviderError,
    ProviderRefused,
    Started,
    WebhookEvent,
    WebhookRefused,
)

DEFAULT_API_BASE = "https://api.stripe.com"
DEFAULT_CHECKOUT_ORIGIN = "https://checkout.stripe.com"
# Stripe accepts a session lifetime of 30 minutes to 24 hours.
MIN_SESSION_MINUTES, MAX_SESSION_MINUTES = 30, 24 * 60

_EVENT_STATES = {
    "checkout.session.async_payment_succeeded": AttemptState.SUCCEEDED,
    "checkout.session.async_payment_failed": AttemptState.FAILED,
    "checkout.session.expired": AttemptState.EXPIRED,
}


def _origin(url: str) -> str:
    parts = urlsplit(url or "")
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def _loopback(url: str) -> bool:
    return (urlsplit(url).hostname or "") in {"127.0.0.1", "localhost", "::1"}


def _when(timestamp) -> datetime | None:
    return datetime.fromtimestamp(int(timestamp), tz=UTC) if timestamp else None


def _intent_id(session) -> str | None:
    intent = session.payment_intent
    return intent if isinstance(intent, str) or intent is None else intent.id


def _call(fn, *args, **kwargs):
    """Run one library call; its errors become ours (codes only, never the message text,
    which may echo parameters)."""
    try:
        return fn(*args, **kwargs)
    except (stripe.APIConnectionError, stripe.RateLimitError) as exc:
        raise ProviderError("stripe unreachable", code=f"stripe_{type(exc).__name__}") from exc
    except stripe.StripeError as exc:
        status = getattr(exc, "http_status", None) or 0
        code = f"stripe_{getattr(exc, 'code', None) or type(exc).__name__}"
        if 400 <= status < 500 and status not in (409, 429):
            raise ProviderRefused("stripe refused", code=code) from exc
        raise ProviderError("stripe error", code=code) from exc


@register
class StripeProvider(PaymentProvider):
    code = "stripe"
    methods = (Method.CARD.value, Method.KONBINI.value)

    # --- configuration ----------------------------------------------------------------------

    @property
    def api_base(self) -> str:
        return (self.config.get("api_base") or DEFAULT_API_BASE).rstrip("/")

    def __init__(self, setting):
        super().__init__(setting)
        self._client: stripe.StripeClient | None = None

    def client(self) -> stripe.StripeClient:
        """One client per provider instance, built on first use: its requests session keeps
        the connection to Stripe open from call to call (the reconciliation job asks a whole
        city's attempts through one instance), instead of a new TCP and TLS handshake and a
        new session each time."""
        if self._client is None:
            timeout = float(self.config.get("timeout_seconds") or 10)
            self._client = stripe.StripeClient(
                self.secrets.get("secret_key") or "sk_missing",
                base_addresses={"api": self.api_base},
                max_network_retries=2,  # retried with the same Idempotency-Key by the library
                http_client=stripe.RequestsClient(timeout=timeout),
            )
        return self._client

    def check_config(self) -> list[str]:
        problems = []
        key = self.secrets.get("secret_key") or ""
        if not key.startswith(("sk_", "rk_")):
            problems.append(_("Stripe のシークレットキー（sk_… または rk_…）が設定されていません。"))
        elif key.startswith("sk_test_") and not _loopback(self.api_base):
            problems.append(_("Stripe のテスト用キー（sk_test_…）が設定されています。本番では本番キーを使ってください。"))
        if not (self.secrets.get("webhook_secret") or "").startswith("whsec_"):
            problems.append(_("Stripe の Webhook 署名シークレット（whsec_…）が設定されていません。"))
        for name, url in (("api_base", self.api_base), ("checkout_origin", self.checkout_origin)):
            if not url.startswith("https://") and not _loopback(url):
                problems.append(_("Stripe の %(name)s は https の URL にしてください: %(url)s") % {"name": name, "url": url})
        unknown = [m for m in self.setting.methods or [] if m not in self.methods]
        if unknown:
            problems.append(_("Stripe で使えない支払方法です: %(methods)s") % {"methods": ", ".join(unknown)})
        minutes = self.session_minutes
        if not MIN_SESSION_MINUTES <= minutes <= MAX_SESSION_MINUTES:
            problems.append(_("Stripe の session_minutes は 30〜1440 にしてください。"))
        return problems

    @property
    def checkout_origin(self) -> str:
        return _origin(self.config.get("checkout_origin") or DEFAULT_CHECKOUT_ORIGIN)

    @property
    def session_minutes(self) -> int:
        return int(self.config.get("session_minutes") or 60)

    def checkout_origins(self) -> list[str]:
        return [self.checkout_origin] if self.checkout_origin else []

    # --- payments ---------------------------------------------------------------------------

    def start(self, attempt, *, return_url: str, cancel_url: str) -> Started:
        charge = attempt.charge
        # From the attempt's own creation, not from now: a retry must send the very same
        # parameters, or Stripe refuses the reused Idempotency-Key (idempotency_error).
        expires = attempt.created_at + timedelta(minutes=self.session_minutes)
        params = {
            "mode": "payment",
            "currency": "jpy",
            "payment_method_types": [attempt.method],
            "line_items": [{
                "quantity": 1,
                "price_data": {"currency": "jpy", "unit_amount": attempt.amount_yen,
                               "product_data": {"name": _("%(city)s 手数料") % {"city": charge.municipality.name}}},
            }],
            "client_reference_id": str(attempt.public_id),
            "metadata": {"attempt": str(attempt.public_id), "charge": str(charge.public_id)},
            "payment_intent_data": {"metadata": {"attempt": str(attempt.public_id)}},
            "success_url": return_url,
            "cancel_url": cancel_url,
            "expires_at": int(expires.timestamp()),
            "locale": "ja",
        }
        if attempt.method == Method.KONBINI:
            params["payment_method_options"] = {
                "konbini": {"expires_after_days": int(self.config.get("konbini_days") or 3)}}
        session = _call(self.client().v1.checkout.sessions.create, params=params,
                        options={"idempotency_key": attempt.idempotency_key})
        return Started(provider_ref=session.id, redirect_url=session.url,
                       expires_at=_when(session.expires_at))

    def status(self, attempt) -> Outcome:
        client = self.client()
        session = _call(client.v1.checkout.sessions.retrieve, attempt.provider_ref)
        raw = f"{session.status}/{session.payment_status}"
        if session.payment_status == "paid":
            return Outcome(AttemptState.SUCCEEDED, session.id, session.amount_total, raw)
        if session.status == "expired":
            return Outcome(AttemptState.EXPIRED, session.id, None, raw)
        if session.status == "complete" and session.payment_intent:
            # konbini: the slip is issued; the PaymentIntent says whether it was paid or lapsed
            intent = _call(client.v1.payment_intents.retrieve, _intent_id(session))
            raw = f"{raw}/{intent.status}"
            if intent.status == "succeeded":
                return Outcome(AttemptState.SUCCEEDED, session.id, intent.amount_received or intent.amount, raw)
            if intent.status == "canceled":
                return Outcome(AttemptState.FAILED, session.id, None, raw)
            lapses = None
            action = intent.to_dict().get("next_action") or {}
            details = action.get("konbini_display_details") or {}
            if details.get("expires_at"):
                lapses = _when(details["expires_at"])
            return Outcome(AttemptState.PENDING, session.id, None, raw, expires_at=lapses)
        return Outcome(AttemptState.PENDING, session.id, None, raw,
                       expires_at=_when(session.expires_at))

    def parse_webhook(self, body: bytes, headers: dict) -> list[WebhookEvent]:
        secret = self.secrets.get("webhook_secret")
        signature = headers.get("stripe-signature")
        if not secret or not signature:
            raise WebhookRefused("no signature or no secret")
        try:
            stripe.Webhook.construct_event(body, signature, secret)
        except stripe.SignatureVerificationError as exc:
            raise WebhookRefused("signature does not verify") from exc
        except Exception as exc:  # noqa: BLE001 - signed but not an event the library can read
            raise WebhookRefused("not an event") from exc
        try:
            event = json.loads(body)  # verified: read as plain data
        except ValueError as exc:
            raise WebhookRefused("not JSON") from exc
        if not isinstance(event, dict):
            raise WebhookRefused("not an event")
        kind = str(event.get("type") or "")
        data = (event.get("data") or {}).get("object") or {}
        if not isinstance(data, dict):
            data = {}
        if not kind.startswith("checkout.session.") or data.get("object") != "checkout.session":
            return [WebhookEvent(event_id=str(event.get("id") or ""), provider_ref="", kind=kind)]
        state = _EVENT_STATES.get(kind)
        if kind == "checkout.session.completed":
            state = AttemptState.SUCCEEDED if data.get("payment_status") == "paid" else AttemptState.PENDING
        paid = data.get("amount_total") if state == AttemptState.SUCCEEDED else None
        return [WebhookEvent(
            event_id=str(event.get("id") or ""), provider_ref=str(data.get("id") or ""), kind=kind,
            state=state, attempt_ref=str(data.get("client_reference_id") or ""),
            paid_amount_yen=int(paid) if paid is not None else None)]

    def refund(self, attempt, amount_yen: int, reason: str, idempotency_key: str) -> str:
        client = self.client()
        session = _call(client.v1.checkout.sessions.retrieve, attempt.provider_ref)
        intent = _intent_id(session)
        if not intent:
            raise ProviderRefused("nothing was paid on this session", code="stripe_no_payment")
        refund = _call(client.v1.refunds.create, params={
            "payment_intent": intent, "amount": amount_yen,
            "reason": "duplicate" if reason == DUPLICATE_REASON else "requested_by_customer",
            "metadata": {"attempt": str(attempt.public_id)},
        }, options={"idempotency_key": idempotency_key})
        return refund.id

    def cancel(self, attempt) -> None:
        """Expire an open session; for a konbini slip already issued, cancel its PaymentIntent
        so the slip can no longer be paid. A session no longer open is left as it is."""
        client = self.client()
        session = _call(client.v1.checkout.sessions.retrieve, attempt.provider_ref)
        if session.status == "open":
            with contextlib.suppress(ProviderRefused):  # completed meanwhile: the next poll tells
                _call(client.v1.checkout.sessions.expire, attempt.provider_ref)
        elif session.status == "complete" and session.payment_status == "unpaid" and session.payment_intent:
            with contextlib.suppress(ProviderRefused):
                _call(client.v1.payment_intents.cancel, _intent_id(session))
