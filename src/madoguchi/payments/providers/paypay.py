"""PayPay (ウェブペイメント / Dynamic QR) through PayPay's own Python client, `paypayopa`.

The resident is sent to the code's `url` (PayPay's page; on a phone it opens the PayPay app, on
a PC it shows the QR to scan) and PayPay sends them back to our return page (redirectType
WEB_LINK). What this adapter relies on, from PayPay's published reference (Open Payment API,
Dynamic QR 1.1, and HMAC認証 1.0):

- Create a code (POST /v2/codes): merchantPaymentId is ours, unique per payment. We send the
  attempt's idempotency key ("mdg-<hex>", within PayPay's [A-Za-z0-9_-]{1,64}), so a retry of
  the same attempt names the same payment and PayPay refuses a second code with
  DUPLICATE_DYNAMIC_QR_REQUEST. PayPay has no "get a code" call, so on that answer we poll the
  payment: paid → the resident goes straight to our return page; otherwise the code's address
  was lost with the first answer (nobody has seen it, so nobody can pay it) and we refuse with
  `paypay_code_lost`, which fails this attempt; the next click makes a new attempt and key.
  (The field's own description also says "the previous result is returned" for a repeated id;
  a 201 for the retry is handled the same as the first.) The body carries ids only: the amount
  in whole yen, and an orderDescription of the city's name and the 受付番号 — never a name or
  an answer, because PayPay shows it in the resident's history.
- Get payment details (GET /v2/codes/payments/{merchantPaymentId}): the only truth we act on.
  CREATED → pending; COMPLETED (and REFUNDED, a paid order later refunded) → succeeded;
  FAILED → failed; EXPIRED → expired; CANCELED → cancelled. DYNAMIC_QR_PAYMENT_NOT_FOUND is
  documented as "the QR code is no longer available and no payment found" → expired once
  past the code's expiryDate, cancelled right after we deleted the code, and pending before
  the expiry otherwise (some integrations report it for a code not yet scanned; the job asks
  again and expires it in time).
- The transaction webhook (notification_type "Transaction", merchant_order_id, order_id,
  state COMPLETED / FAILED ...) is NOT signed: PayPay's Webhook Setup only recommends
  allow-listing PayPay's sending IP addresses. So `parse_webhook` trusts nothing in the body:
  it refuses a body that is not a transaction event of this city's merchant id, then asks
  PayPay for the payment (an HMAC-authenticated call) and reports the state PayPay answers.
  The event id is built from that answer, so a forged body can neither settle anything nor
  take the id of a genuine event. PayPay unreachable → state None: the job polls soon.
- Refund a payment (POST /v2/refunds) needs PayPay's paymentId, read from the payment details;
  merchantRefundId is our refund's idempotency key ("the previous result is returned" for the
  same id). No reason text is sent (it may name a person).
- Delete a code (DELETE /v2/codes/{codeId}) closes a code nobody should pay any more (the
  resident chose another method, or it ran out); the codeId from the create answer is kept in
  `attempt.provider_data` (Started.data), while `provider_ref` stays the merchantPaymentId —
  what PayPay's webhook, payment details and recon file carry. A paid code is not deleted
  (DYNAMIC_QR_ALREADY_PAID); the poll that follows settles it. We never call "Cancel a
  payment": on a completed payment it would reverse real money in a race with the resident.
- Authentication is the SDK's HMAC `OPA-Auth` header (API key and secret); the merchant id
  goes in X-ASSUME-MERCHANT. The SDK sets no timeout, so its requests session here does:
  30 s to create (PayPay's recommended read timeout for creation), 15 s otherwise, 5 s for the
  webhook's confirming poll.

Configuration (ProviderSetting): config `merchant_id`, `environment` ("sandbox" or
"production": the SDK's apigw.sandbox.paypay.ne.jp / apigw.paypay.ne.jp) and, for tests and
the local demo only, `base_url` (a local PayPay stand-in); secrets `api_key`, `api_secret`.
"""

import hashlib
import json
import logging
import re
import urllib.parse
from datetime import UTC, datetime, timedelta

import paypayopa
import requests
from django.utils import timezone
from django.utils.translation import gettext as _

from madoguchi.payments.models import AttemptState, Method
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

log = logging.getLogger(__name__)

ENVIRONMENTS = {"sandbox": "https://apigw.sandbox.paypay.ne.jp", "production": "https://apigw.paypay.ne.jp"}
# where PayPay's code URLs live (qr.paypay.ne.jp, qr-stg.sandbox.paypay.ne.jp): the pay page's
# form is redirected there, so the CSP form-action must allow it
PAYPAY_ORIGINS = ["https://*.paypay.ne.jp"]
CREATE_TIMEOUT = (5, 30)
CALL_TIMEOUT = (5, 15)
WEBHOOK_TIMEOUT = (3, 5)
UNKNOWN_EXPIRY = timedelta(hours=1)  # a code whose expiryDate we never learnt
_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
_LOOPBACK = {"127.0.0.1", "localhost", "::1"}

# answers that may pass: try again later (PayPay: "treated as unknown payment status")
RETRYABLE = frozenset({"INTERNAL_SERVER_ERROR", "SERVICE_ERROR", "MAINTENANCE_MODE", "RATE_LIMIT",
                       "TRANSACTION_FAILED", "THROTTLED_MULTIPLE_REFUND_REJECTED"})
NO_SUCH_PAYMENT = frozenset({"DYNAMIC_QR_PAYMENT_NOT_FOUND", "DYNAMIC_QR_BAD_REQUEST"})
STATES = {
    "CREATED": AttemptState.PENDING,
    "AUTHORIZED": AttemptState.PENDING,
    "REAUTHORIZING": AttemptState.PENDING,
    "COMPLETED": AttemptState.SUCCEEDED,
    "REFUNDED": AttemptState.SUCCEEDED,
    "FAILED": AttemptState.FAILED,
    "CANCELED": AttemptState.CANCELLED,
    "EXPIRED": AttemptState.EXPIRED,
}


class PayPayAnswer(ProviderRefused):
    """PayPay answered with an error code (resultInfo.code) that is not one that may pass."""


class _Session(requests.Session):
    """The SDK calls `session.post(url, ...)` without a timeout: give every call one."""

    def __init__(self, timeout):
        super().__init__()
        self.timeout = timeout

    def request(self, *args, **kwargs):
        kwargs.setdefault("timeout", self.timeout)
        return super().request(*args, **kwargs)


def merchant_payment_id(attempt) -> str:
    """The attempt's idempotency key as PayPay's merchantPaymentId: the same for every retry of
    the attempt. A key outside PayPay's alphabet is hashed (still the same on every retry)."""
    key = attempt.idempotency_key
    return key if _ID.fullmatch(key) else "mdg-" + hashlib.sha256(key.encode()).hexdigest()[:40]


def _merchant_refund_id(key: str) -> str:
    return key if _ID.fullmatch(key) else "mdg-refund-" + hashlib.sha256(key.encode()).hexdigest()[:40]


@register
class PayPayProvider(PaymentProvider):
    code = "paypay"
    methods = (str(Method.PAYPAY),)

    def __init__(self, setting):
        super().__init__(setting)
        self._deleted: set[str] = set()  # codes this instance deleted (cancel, then the poll)
        self._clients: dict[tuple, paypayopa.Client] = {}  # by timeout: built once, reused

    # -- configuration ----------------------------------------------------------------------
    def check_config(self) -> list[str]:
        problems = []
        secrets = self.secrets
        if not str(secrets.get("api_key") or "").strip():
            problems.append(_("PayPay の API キー（secrets の api_key）がありません。"))
        if not str(secrets.get("api_secret") or "").strip():
            problems.append(_("PayPay の API シークレット（secrets の api_secret）がありません。"))
        if not str(self.config.get("merchant_id") or "").strip():
            problems.append(_("PayPay の加盟店 ID（config の merchant_id）がありません。"))
        environment = self.config.get("environment", "sandbox")
        if environment not in ENVIRONMENTS:
            problems.append(_("PayPay の environment は sandbox か production にしてください。"))
        base_url = str(self.config.get("base_url") or "")
        if base_url:
            parts = urllib.parse.urlsplit(base_url)
            if environment == "production":
                problems.append(_("本番（production）では base_url を設定しないでください"
                                  "（PayPay の本番 API に接続します）。"))
            elif not (parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in _LOOPBACK)):
                problems.append(_("base_url は https:// で始まる URL（試験用のローカルサーバーは "
                                  "http://127.0.0.1 も可）にしてください。"))
        unknown = [m for m in self.setting.methods or [] if m not in self.methods]
        if unknown:
            problems.append(_("PayPay で使えない支払方法です: %(methods)s") % {"methods": ", ".join(unknown)})
        return problems

    @property
    def base_url(self) -> str:
        """PayPay's API for the environment; a configured `base_url` (a local stand-in) only
        outside production, so a stray setting can never send live payments elsewhere."""
        environment = self.config.get("environment", "sandbox")
        if environment == "production":
            return ENVIRONMENTS["production"]
        return str(self.config.get("base_url") or "") or ENVIRONMENTS["sandbox"]

    def checkout_origins(self) -> list[str]:
        configured = "" if self.config.get("environment") == "production" else str(self.config.get("base_url") or "")
        if configured:  # a local stand-in serves its code pages itself
            parts = urllib.parse.urlsplit(configured)
            return [f"{parts.scheme}://{parts.netloc}"]
        return list(PAYPAY_ORIGINS)

    def _client(self, timeout=None) -> paypayopa.Client:
        """The SDK's client for this city, one per timeout and provider instance, built on
        first use: its requests session keeps the connection to PayPay open from call to call
        (the reconciliation job asks a whole city's attempts through one instance)."""
        timeout = timeout or CALL_TIMEOUT
        client = self._clients.get(timeout)
        if client is not None:
            return client
        api_key = str(self.secrets.get("api_key") or "")
        api_secret = str(self.secrets.get("api_secret") or "")
        if not (api_key and api_secret and self.config.get("merchant_id")):
            raise ProviderRefused("PayPay is not configured (API key, secret, merchant id)",
                                  code="paypay_not_configured")
        client = paypayopa.Client(session=_Session(timeout), auth=(api_key, api_secret),
                                  production_mode=self.config.get("environment") == "production",
                                  base_url=self.base_url)
        client.set_assume_merchant(str(self.config["merchant_id"]))
        self._clients[timeout] = client
        return client

    @staticmethod
    def _call(call, *args) -> dict | None:
        """One SDK call: the answer's `data`, or ProviderError (may pass) / PayPayAnswer (PayPay
        said no) carrying PayPay's code, never the body."""
        try:
            answer = call(*args)
        except requests.Timeout as exc:
            raise ProviderError("PayPay did not answer in time", code="paypay_timeout") from exc
        except requests.RequestException as exc:  # connection refused, reset, TLS ...
            if isinstance(exc, ValueError):  # requests' JSONDecodeError: a gateway's HTML page
                raise ProviderError("PayPay answered something that is not JSON",
                                    code="paypay_bad_answer") from exc
            raise ProviderError("PayPay could not be reached", code="paypay_unreachable") from exc
        except (ValueError, KeyError, TypeError) as exc:  # the SDK reading an odd error body
            raise ProviderError("PayPay answered something unexpected", code="paypay_bad_answer") from exc
        info = answer.get("resultInfo") if isinstance(answer, dict) else None
        code = str((info or {}).get("code") or "")
        if code in ("SUCCESS", "REQUEST_ACCEPTED"):
            return answer.get("data")
        if not code or code in RETRYABLE:
            raise ProviderError(f"PayPay answered {code or 'without a result'}", code=code or "paypay_bad_answer")
        raise PayPayAnswer(f"PayPay refused the request: {code}", code=code)

    # -- paying ---------------------------------------------------------------------------------
    def start(self, attempt, *, return_url: str, cancel_url: str) -> Started:
        mpid = merchant_payment_id(attempt)
        if attempt.provider_ref == mpid and attempt.redirect_url:
            return Started(mpid, attempt.redirect_url, attempt.expires_at, dict(attempt.provider_data or {}))
        client = self._client(CREATE_TIMEOUT)
        body = {"merchantPaymentId": mpid,
                "amount": {"amount": int(attempt.amount_yen), "currency": "JPY"},
                "codeType": "ORDER_QR", "redirectUrl": return_url, "redirectType": "WEB_LINK",
                "orderDescription": self._description(attempt)}
        try:
            data = self._call(client.Code.create_qr_code, body) or {}
        except PayPayAnswer as exc:
            if exc.code != "DUPLICATE_DYNAMIC_QR_REQUEST":
                raise
            return self._started_before(attempt, client, return_url)
        if not data.get("url"):
            raise ProviderError("PayPay's code has no URL", code="paypay_bad_answer")
        code_id = {"code_id": str(data["codeId"])} if data.get("codeId") else {}
        return Started(mpid, data["url"], _when(data.get("expiryDate")), code_id)

    def _started_before(self, attempt, client, return_url: str) -> Started:
        """The code exists already (the first answer was lost). Paid → to the return page;
        otherwise this attempt cannot go on (see the module's docstring)."""
        mpid = merchant_payment_id(attempt)
        try:
            details = self._call(client.Code.get_payment_details, mpid) or {}
        except PayPayAnswer as exc:
            if exc.code != "DYNAMIC_QR_PAYMENT_NOT_FOUND":
                raise
            details = {}
        if STATES.get(details.get("status")) == AttemptState.SUCCEEDED:
            return Started(mpid, return_url, None)
        raise ProviderRefused("the PayPay code exists but its address was lost; start again",
                              code="paypay_code_lost")

    @staticmethod
    def _description(attempt) -> str:
        submission = attempt.charge.submission
        city = getattr(attempt.charge.municipality, "name", "")
        # Translators: the payment's description at PayPay (the city, the fee, the receipt number).
        return (_("%(city)s 手数料 受付番号 %(number)s") % {
            "city": city, "number": submission.receipt_number}).strip()[:255]

    def status(self, attempt) -> Outcome:
        return self._status(attempt, self._client())

    def _status(self, attempt, client) -> Outcome:
        mpid = merchant_payment_id(attempt)
        try:
            data = self._call(client.Code.get_payment_details, mpid) or {}
        except PayPayAnswer as exc:
            if exc.code != "DYNAMIC_QR_PAYMENT_NOT_FOUND":
                raise
            # "no longer available and no payment found": final once the code's time is over
            # or when we deleted it; before that, PayPay may simply not show it yet
            deadline = attempt.expires_at or (
                attempt.created_at + UNKNOWN_EXPIRY if attempt.created_at else None)
            if deadline is None or deadline <= timezone.now():
                state = AttemptState.EXPIRED
            elif mpid in self._deleted:
                state = AttemptState.CANCELLED
            else:
                state = AttemptState.PENDING
            return Outcome(state=state, provider_ref=mpid, raw_status=exc.code)
        raw = str(data.get("status") or "")
        state = STATES.get(raw, AttemptState.PENDING)
        amount = (data.get("amount") or {}).get("amount")
        paid = int(amount) if state == AttemptState.SUCCEEDED and isinstance(amount, int) else None
        return Outcome(state=state, provider_ref=mpid, paid_amount_yen=paid, raw_status=raw)

    def cancel(self, attempt) -> None:
        code_id = (attempt.provider_data or {}).get("code_id")
        if not code_id:
            return  # no code made (or its answer lost): nothing anyone could pay
        try:
            self._call(self._client().Code.delete_qr_code, code_id)
        except PayPayAnswer as exc:  # DYNAMIC_QR_ALREADY_PAID / NOT_FOUND: the poll decides
            log.info("PayPay code not deleted: %s", exc.code)
            return
        self._deleted.add(merchant_payment_id(attempt))

    # -- webhooks -------------------------------------------------------------------------------
    def parse_webhook(self, body: bytes, headers: dict) -> list[WebhookEvent]:
        try:
            event = json.loads(body)
        except ValueError as exc:
            raise WebhookRefused("not JSON") from exc
        if not isinstance(event, dict) or event.get("notification_type") != "Transaction":
            raise WebhookRefused("not a PayPay transaction event")
        if str(event.get("merchant_id") or "") != str(self.config.get("merchant_id") or "") or \
                not self.config.get("merchant_id"):
            raise WebhookRefused("another merchant's event")
        mpid = str(event.get("merchant_order_id") or "")
        if not _ID.fullmatch(mpid):
            raise WebhookRefused("no merchant_order_id")
        try:
            data = self._call(self._client(WEBHOOK_TIMEOUT).Code.get_payment_details, mpid) or {}
        except ProviderError as exc:
            if isinstance(exc, PayPayAnswer) and exc.code in NO_SUCH_PAYMENT:
                # the payment PayPay is asked about does not exist: a forged or foreign event
                raise WebhookRefused(f"PayPay does not confirm it: {exc.code}") from exc
            # cannot confirm now (PayPay down, our keys refused): keep it, the job asks again
            log.info("PayPay webhook not confirmed now: %s", exc.code)
            claimed = re.sub(r"[^A-Z_]", "", str(event.get("state") or ""))[:20]
            return [WebhookEvent(event_id=f"{mpid}:unconfirmed:{claimed}", provider_ref=mpid,
                                 kind="paypay.transaction.unconfirmed")]
        raw = str(data.get("status") or "")
        state = STATES.get(raw, AttemptState.PENDING)
        amount = (data.get("amount") or {}).get("amount")
        return [WebhookEvent(
            event_id=f"{mpid}:{raw}:{data.get('paymentId') or ''}", provider_ref=mpid,
            kind=f"paypay.transaction.{raw.lower() or 'unknown'}", state=state,
            paid_amount_yen=int(amount) if state == AttemptState.SUCCEEDED and isinstance(amount, int) else None)]

    # -- refunds --------------------------------------------------------------------------------
    def refund(self, attempt, amount_yen: int, reason: str, idempotency_key: str) -> str:
        client = self._client()
        details = self._call(client.Code.get_payment_details, merchant_payment_id(attempt)) or {}
        payment_id = details.get("paymentId")
        if not payment_id:
            raise ProviderRefused("PayPay has no payment to refund", code="paypay_not_paid")
        merchant_refund_id = _merchant_refund_id(idempotency_key)
        self._call(client.Payment.refund_payment, {
            "merchantRefundId": merchant_refund_id, "paymentId": str(payment_id),
            "amount": {"amount": int(amount_yen), "currency": "JPY"}})
        return merchant_refund_id


def _when(epoch) -> datetime | None:
    return datetime.fromtimestamp(int(epoch), tz=UTC) if isinstance(epoch, int) else None
