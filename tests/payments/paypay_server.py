"""A local server speaking the part of the PayPay Open Payment API (Dynamic QR / ウェブペイメント)
that Madoguchi uses, for tests and the local demo. PayPay cannot be reached from a test, so the
official `paypayopa` client is pointed here (its `base_url` option) and talks to this server
exactly as it would to apigw.paypay.ne.jp.

What it speaks, after PayPay's published reference (Dynamic QR 1.1, HMAC認証 1.0):
- the HMAC `Authorization: hmac OPA-Auth:{key}:{mac}:{nonce}:{epoch}:{hash}` header, verified
  as PayPay does: the MAC is HMAC-SHA256 with the API secret over
  path, method, nonce, epoch, content type and body hash joined by newlines; the body hash is
  base64(MD5(content type + body)), both "empty" for a request without a body; the epoch must
  be within two minutes of the server's clock; a nonce is accepted once. `X-ASSUME-MERCHANT`
  (or `?assumeMerchant=`) must name the merchant. Anything else is 401 UNAUTHORIZED /
  OP_OUT_OF_SCOPE, so a wrong key, a wrong secret or a tampered body is refused;
- POST /v2/codes (create a code: merchantPaymentId, amount JPY, codeType ORDER_QR,
  redirectUrl, redirectType, orderDescription; 201 with codeId, url, deeplink, expiryDate;
  400 DUPLICATE_DYNAMIC_QR_REQUEST for a merchantPaymentId already used);
- DELETE /v2/codes/{codeId} (404 DYNAMIC_QR_NOT_FOUND, 400 DYNAMIC_QR_ALREADY_PAID);
- GET /v2/codes/payments/{merchantPaymentId} (CREATED while the code waits, then COMPLETED /
  FAILED / REFUNDED; an unpaid code that expired or was deleted is 400
  DYNAMIC_QR_PAYMENT_NOT_FOUND as documented, or status EXPIRED with `expired_as_status`);
- POST /v2/refunds and GET /v2/refunds/{merchantRefundId} (idempotent on merchantRefundId;
  404 RESOURCE_NOT_FOUND, 400 INVALID_PARAMS for more than is left, UNACCEPTABLE_OP for an
  unpaid order, 404 NO_SUCH_REFUND_ORDER);
- every error as PayPay shapes it: {"resultInfo": {"code", "message", "codeId"}, "data": null};
- the transaction event webhook PayPay POSTs when a payment completes or fails
  (notification_type "Transaction", merchant_order_id, order_id, state, ...). PayPay does not
  sign it; this server does not either.

And the resident's side: GET /app/{codeId} is the "PayPay app" page (the code's `url`): 支払う
completes the payment, sends the webhook, then redirects to the code's redirectUrl as PayPay
does for redirectType WEB_LINK. Tests may instead call `pay()` directly (the browser closed on
PayPay's page), hold webhooks back (`faults.webhook = "hold"`) or lose them ("never").

Run it for a demo: `python tests/payments/paypay_server.py --port 8011 --webhook-url URL`
(`madoguchi load_payments_demo` style settings: merchant_id local-merchant-0001, api_key
local-api-key, api_secret local-api-secret, base_url this server).
"""

import argparse
import base64
import hashlib
import hmac
import html
import json
import re
import secrets
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field

from madoguchi.core.local_server import LocalHandler, LocalServer

CLOCK_SKEW_SECONDS = 120  # "サーバ時刻との差が2分未満である必要があります"
_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
_HEADER = re.compile(r"hmac OPA-Auth:([^:]+):([^:]+):([^:]+):([0-9]+):([^:]+)")

# (HTTP status, code, codeId, message) as PayPay's reference lists them
SUCCESS = (200, "SUCCESS", "08100001", "Success")
CREATED = (201, "SUCCESS", "08100001", "Success")
INVALID_REQUEST_PARAMS = (400, "INVALID_REQUEST_PARAMS", "08100006", "Invalid request params")
MISSING_REQUEST_PARAMS = (400, "MISSING_REQUEST_PARAMS", "08100024", "Missing request params")
UNAUTHORIZED = (401, "UNAUTHORIZED", "08100016", "Unauthorized request")
OP_OUT_OF_SCOPE = (401, "OP_OUT_OF_SCOPE", "08100023", "The operation is not permitted")
RATE_LIMIT = (429, "RATE_LIMIT", "08100998", "Too many requests")
INTERNAL_SERVER_ERROR = (500, "INTERNAL_SERVER_ERROR", "08101000",
                         "Something went wrong on PayPay service side")
MAINTENANCE_MODE = (503, "MAINTENANCE_MODE", "08100999", "Sorry, we are down for scheduled maintenance")
DUPLICATE_DYNAMIC_QR_REQUEST = (400, "DUPLICATE_DYNAMIC_QR_REQUEST", "01652073",
                                "Duplicate Dynamic QR request error")
DYNAMIC_QR_BAD_REQUEST = (400, "DYNAMIC_QR_BAD_REQUEST", "01650000", "Dynamic QR bad request error")
DYNAMIC_QR_PAYMENT_NOT_FOUND = (400, "DYNAMIC_QR_PAYMENT_NOT_FOUND", "01652075",
                                "Dynamic QR payment not found")
DYNAMIC_QR_ALREADY_PAID = (400, "DYNAMIC_QR_ALREADY_PAID", "01652074", "Dynamic QR already paid")
DYNAMIC_QR_NOT_FOUND = (404, "DYNAMIC_QR_NOT_FOUND", "01652072", "Dynamic qr code not found")
INVALID_PARAMS = (400, "INVALID_PARAMS", "00200015", "Invalid refund amount")
UNACCEPTABLE_OP = (400, "UNACCEPTABLE_OP", "00200013", "Order cannot be refunded")
RESOURCE_NOT_FOUND = (404, "RESOURCE_NOT_FOUND", "00200001", "Order not found")
NO_SUCH_REFUND_ORDER = (404, "NO_SUCH_REFUND_ORDER", "00200018", "Refund not found")


@dataclass
class Faults:
    """Ways to misbehave, each a case the adapter must survive."""

    lose_create_response: int = 0  # the next N creates are stored, then answered 500 (unknown)
    drop_create_connection: int = 0  # the next N creates are stored, then the socket is closed
    maintenance: bool = False  # every API call: 503 MAINTENANCE_MODE
    rate_limit: bool = False  # every API call: 429 RATE_LIMIT
    gateway_html: bool = False  # every API call: 502 with an HTML page (not JSON)
    webhook: str = "send"  # "send" at once, "hold" in `held_webhooks`, "never"
    expired_as_status: bool = False  # an expired unpaid code: status EXPIRED, not NOT_FOUND
    delay: float = 0.0  # seconds every API call waits before answering (a slow PayPay)


@dataclass
class Reply:
    """An answer that is not one of PayPay's JSON results: a page, a redirect, a gateway error."""

    status: int
    body: bytes = b""
    content_type: str = "text/html"
    headers: dict = field(default_factory=dict)


@dataclass
class Code:
    code_id: str
    merchant_payment_id: str
    amount: int
    order_description: str
    redirect_url: str
    redirect_type: str
    requested_at: int
    expiry: int
    deleted: bool = False
    status: str = "CREATED"  # CREATED → COMPLETED | FAILED; REFUNDED after a refund
    payment_id: str = ""
    accepted_at: int | None = None
    refunds: list = field(default_factory=list)


class LocalPayPay(LocalServer):
    """`start()` serves on 127.0.0.1 (or `host`; a free port unless given); `stop()` ends it."""

    def __init__(self, *, api_key: str = "local-api-key", api_secret: str = "local-api-secret",  # noqa: S107
                 merchant_id: str = "local-merchant-0001", code_lifetime: int = 300,
                 webhook_url: str = "", port: int = 0, host: str = "127.0.0.1"):
        self.api_key = api_key
        self.api_secret = api_secret
        self.merchant_id = merchant_id
        self.code_lifetime = code_lifetime
        self.webhook_url = webhook_url
        self.faults = Faults()
        self.requests: list[tuple[str, str, int]] = []  # (method, path, status) of each API call
        self.bodies: list[dict] = []  # every JSON body received on the API, as sent
        self.sent_webhooks: list[dict] = []
        self.held_webhooks: list[dict] = []
        self.offset = 0  # seconds added to the clock of codes (`advance`), not of the HMAC check
        self._host = host
        self._port = port
        self._lock = threading.RLock()
        self._codes: dict[str, Code] = {}  # by codeId
        self._by_payment_id: dict[str, Code] = {}  # by merchantPaymentId
        self._nonces: set[tuple[str, str]] = set()

    def handler(self):
        return type("Handler", (_Handler,), {"paypay": self})

    @property
    def base_url(self) -> str:
        return f"http://{self._host}:{self.bound_port}"

    def now(self) -> int:
        return int(time.time()) + self.offset

    def advance(self, seconds: int) -> None:
        """Move the codes' clock on (a code outlives its expiryDate without waiting)."""
        self.offset += seconds

    # -- what tests look at ---------------------------------------------------------------
    def count(self, method: str, path_prefix: str, status: int | None = None) -> int:
        return sum(1 for m, p, s in self.requests
                   if m == method and p.startswith(path_prefix) and (status is None or s == status))

    def codes_for(self, merchant_payment_id: str) -> int:
        return sum(1 for c in self._codes.values() if c.merchant_payment_id == merchant_payment_id)

    def code(self, merchant_payment_id: str) -> Code:
        return self._by_payment_id[merchant_payment_id]

    # -- the resident in the PayPay app -----------------------------------------------------
    def pay(self, merchant_payment_id: str, *, fail: bool = False) -> dict:
        """Pay the code (or fail, e.g. 残高不足) as the resident would in the app; send the
        transaction event as configured; return the event."""
        with self._lock:
            code = self._by_payment_id[merchant_payment_id]
            self._settle(code, fail=fail)
            event = self._event(code)
        self._notify(event)
        return event

    def deliver_held(self) -> list[int]:
        """POST the held webhooks now (a late webhook); the HTTP statuses they got."""
        held, self.held_webhooks = self.held_webhooks, []
        return [self._post(event) for event in held]

    def _settle(self, code: Code, *, fail: bool) -> None:
        if code.status != "CREATED":
            raise ValueError(f"code already {code.status}")
        if code.deleted or code.expiry <= self.now():
            raise ValueError("the code can no longer be paid")
        code.status = "FAILED" if fail else "COMPLETED"
        code.payment_id = "0" + "".join(str(secrets.randbelow(10)) for _ in range(18))
        code.accepted_at = self.now()

    def _event(self, code: Code) -> dict:
        paid = code.status == "COMPLETED"
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(code.accepted_at))
        event = {"notification_type": "Transaction", "merchant_id": self.merchant_id,
                 "store_id": "", "pos_id": "", "order_id": code.payment_id,
                 "merchant_order_id": code.merchant_payment_id, "order_amount": str(code.amount),
                 "state": code.status}
        if paid:
            event.update(authorized_at=stamp, expires_at=None, paid_at=stamp)
        return event

    def _notify(self, event: dict) -> None:
        mode = self.faults.webhook
        if mode == "hold" or (mode == "send" and not self.webhook_url):
            self.held_webhooks.append(event)
        elif mode == "send":
            self._post(event)

    def _post(self, event: dict) -> int:
        if urllib.parse.urlsplit(self.webhook_url).scheme not in ("http", "https"):
            raise ValueError("no webhook URL")
        request = urllib.request.Request(  # noqa: S310 (http(s) checked above)
            self.webhook_url, data=json.dumps(event).encode(), method="POST",
            headers={"Content-Type": "application/json"})
        self.sent_webhooks.append(event)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (http(s) checked)
                return response.status
        except urllib.error.HTTPError as exc:
            return exc.code

    # -- the API ------------------------------------------------------------------------------
    def _authenticate(self, method: str, path: str, query: dict, headers, raw: bytes):
        match = _HEADER.fullmatch(headers.get("Authorization") or "")
        if not match:
            return UNAUTHORIZED
        key, mac, nonce, epoch, body_hash = match.groups()
        if raw:
            content_type = headers.get("Content-Type") or ""
            expected_hash = base64.b64encode(
                hashlib.md5(content_type.encode() + raw).digest()).decode()  # noqa: S324 (PayPay's scheme)
        else:
            content_type, expected_hash = "empty", "empty"
        signed = "\n".join([path, method, nonce, epoch, content_type, expected_hash])
        expected_mac = base64.b64encode(
            hmac.new(self.api_secret.encode(), signed.encode(), hashlib.sha256).digest()).decode()
        if not (hmac.compare_digest(key, self.api_key) and hmac.compare_digest(body_hash, expected_hash)
                and hmac.compare_digest(mac, expected_mac)):
            return UNAUTHORIZED
        if abs(int(time.time()) - int(epoch)) >= CLOCK_SKEW_SECONDS or (nonce, epoch) in self._nonces:
            return UNAUTHORIZED
        self._nonces.add((nonce, epoch))
        merchant = (query.get("assumeMerchant") or [""])[0] or headers.get("X-ASSUME-MERCHANT") or ""
        if merchant != self.merchant_id:
            return OP_OUT_OF_SCOPE
        return None

    def _api(self, method: str, path: str, query: dict, headers, raw: bytes):
        if self.faults.delay:
            time.sleep(self.faults.delay)
        if self.faults.gateway_html:
            return Reply(502, b"<html><body>502 Bad Gateway</body></html>")
        refused = self._authenticate(method, path, query, headers, raw)
        if refused:
            return refused
        if self.faults.maintenance:
            return MAINTENANCE_MODE
        if self.faults.rate_limit:
            return RATE_LIMIT
        body = None
        if raw:
            try:
                body = json.loads(raw)
            except ValueError:
                return INVALID_REQUEST_PARAMS
            self.bodies.append(body)
        route = path.rstrip("/")
        if method == "POST" and route == "/v2/codes":
            return self._create_code(body)
        if method == "DELETE" and (m := re.fullmatch(r"/v2/codes/([^/]+)", route)):
            return self._delete_code(m.group(1))
        if method == "GET" and (m := re.fullmatch(r"/v2/codes/payments/([^/]+)", route)):
            return self._payment_details(m.group(1))
        if method == "POST" and route == "/v2/refunds":
            return self._refund(body)
        if method == "GET" and (m := re.fullmatch(r"/v2/refunds/([^/]+)", route)):
            return self._refund_details(m.group(1), (query.get("paymentId") or [""])[0])
        return (404, "NOT_FOUND", "08100404", "No such API")

    def _create_code(self, body):
        if not isinstance(body, dict):
            return INVALID_REQUEST_PARAMS
        amount = body.get("amount")
        for name in ("merchantPaymentId", "amount", "codeType", "requestedAt"):
            if body.get(name) in (None, ""):
                return MISSING_REQUEST_PARAMS
        if not (isinstance(amount, dict) and type(amount.get("amount")) is int
                and amount["amount"] > 0 and amount.get("currency") == "JPY"):
            return INVALID_REQUEST_PARAMS
        mpid = body["merchantPaymentId"]
        if not (isinstance(mpid, str) and _ID.fullmatch(mpid)) or body["codeType"] != "ORDER_QR":
            return DYNAMIC_QR_BAD_REQUEST
        if body.get("redirectType", "WEB_LINK") not in ("WEB_LINK", "APP_DEEP_LINK", "WEBVIEW_IN_PAYPAY"):
            return DYNAMIC_QR_BAD_REQUEST
        if len(body.get("orderDescription") or "") > 255 or type(body["requestedAt"]) is not int:
            return DYNAMIC_QR_BAD_REQUEST
        if mpid in self._by_payment_id:
            return DUPLICATE_DYNAMIC_QR_REQUEST
        code = Code(code_id="04-" + secrets.token_urlsafe(12), merchant_payment_id=mpid,
                    amount=amount["amount"], order_description=body.get("orderDescription") or "",
                    redirect_url=body.get("redirectUrl") or "",
                    redirect_type=body.get("redirectType") or "WEB_LINK",
                    requested_at=body["requestedAt"], expiry=self.now() + self.code_lifetime)
        self._codes[code.code_id] = code
        self._by_payment_id[mpid] = code
        if self.faults.drop_create_connection:
            self.faults.drop_create_connection -= 1
            return "drop"
        if self.faults.lose_create_response:
            self.faults.lose_create_response -= 1
            return INTERNAL_SERVER_ERROR
        url = f"{self.base_url}/app/{code.code_id}"
        data = {"codeId": code.code_id, "url": url,
                "deeplink": "paypay://payment?link_key=" + urllib.parse.quote(url, safe=""),
                "expiryDate": code.expiry, "merchantPaymentId": mpid,
                "amount": {"amount": code.amount, "currency": "JPY"},
                "orderDescription": code.order_description, "codeType": "ORDER_QR",
                "requestedAt": code.requested_at, "redirectUrl": code.redirect_url,
                "redirectType": code.redirect_type, "isAuthorization": False}
        return (*CREATED, data)

    def _delete_code(self, code_id: str):
        code = self._codes.get(code_id)
        if code is None or code.deleted:
            return DYNAMIC_QR_NOT_FOUND
        if code.status != "CREATED":
            return DYNAMIC_QR_ALREADY_PAID
        code.deleted = True
        return SUCCESS

    def _payment_details(self, mpid: str):
        code = self._by_payment_id.get(mpid)
        if code is None:
            return DYNAMIC_QR_PAYMENT_NOT_FOUND
        status = code.status
        if status == "CREATED" and (code.deleted or code.expiry <= self.now()):
            if not self.faults.expired_as_status:
                return DYNAMIC_QR_PAYMENT_NOT_FOUND
            status = "EXPIRED"
        data = {"paymentId": code.payment_id or None, "status": status,
                "acceptedAt": code.accepted_at, "merchantPaymentId": mpid,
                "amount": {"amount": code.amount, "currency": "JPY"},
                "requestedAt": code.requested_at, "storeId": None, "terminalId": None,
                "orderReceiptNumber": None, "orderDescription": code.order_description,
                "refunds": {"data": [dict(r) for r in code.refunds]}}
        if status in ("COMPLETED", "REFUNDED"):
            data["paymentMethods"] = [{"amount": {"amount": code.amount, "currency": "JPY"},
                                       "type": "WALLET"}]
        return (*SUCCESS, data)

    def _refund(self, body):
        if not isinstance(body, dict):
            return INVALID_REQUEST_PARAMS
        for name in ("merchantRefundId", "paymentId", "amount", "requestedAt"):
            if body.get(name) in (None, ""):
                return MISSING_REQUEST_PARAMS
        amount = body["amount"]
        if not (isinstance(amount, dict) and type(amount.get("amount")) is int
                and amount["amount"] > 0 and amount.get("currency") == "JPY"):
            return INVALID_REQUEST_PARAMS
        if not _ID.fullmatch(str(body["merchantRefundId"])):
            return INVALID_REQUEST_PARAMS
        code = next((c for c in self._codes.values()
                     if c.payment_id and c.payment_id == body["paymentId"]), None)
        if code is None:
            return RESOURCE_NOT_FOUND
        previous = next((r for r in code.refunds
                         if r["merchantRefundId"] == body["merchantRefundId"]), None)
        if previous is not None:  # "the previous result is returned"
            return (*SUCCESS, dict(previous))
        if code.status not in ("COMPLETED", "REFUNDED"):
            return UNACCEPTABLE_OP
        left = code.amount - sum(r["amount"]["amount"] for r in code.refunds)
        if amount["amount"] > left:
            return INVALID_PARAMS
        refund = {"status": "CREATED", "acceptedAt": self.now(),
                  "merchantRefundId": body["merchantRefundId"], "paymentId": code.payment_id,
                  "amount": {"amount": amount["amount"], "currency": "JPY"},
                  "requestedAt": body["requestedAt"], "reason": body.get("reason")}
        code.refunds.append(refund)
        answer = dict(refund)
        refund["status"] = "REFUNDED"  # PayPay refunds asynchronously; here at once
        code.status = "REFUNDED"
        return (*SUCCESS, answer)

    def _refund_details(self, merchant_refund_id: str, payment_id: str):
        for code in self._codes.values():
            for refund in code.refunds:
                if refund["merchantRefundId"] == merchant_refund_id and (
                        not payment_id or refund["paymentId"] == payment_id):
                    return (*SUCCESS, dict(refund))
        return NO_SUCH_REFUND_ORDER

    # -- the "PayPay app" pages -------------------------------------------------------------
    def _app(self, method: str, path: str):
        match = re.fullmatch(r"/app/([A-Za-z0-9_-]+)(/pay|/fail)?", path)
        code = self._codes.get(match.group(1)) if match else None
        if code is None:
            return Reply(404, _page("コードが見つかりません", '<p id="code-state">not-found</p>'))
        usable = code.status == "CREATED" and not code.deleted and code.expiry > self.now()
        if method == "POST" and match.group(2) and usable:
            self._settle(code, fail=match.group(2) == "/fail")
            return "settled", code
        if not usable:
            state = code.status.lower() if code.status != "CREATED" else "expired"
            back = (f'<p><a id="back" href="{html.escape(code.redirect_url)}">もどる</a></p>'
                    if code.redirect_url else "")
            return Reply(200, _page("このコードでは支払えません", f'<p id="code-state">{state}</p>{back}'))
        action = f"/app/{code.code_id}"
        body = (f'<p>お支払い金額 <strong id="amount">{code.amount:,}円</strong></p>'
                f'<p id="description">{html.escape(code.order_description)}</p>'
                f'<form method="post" action="{action}/pay"><button id="pay">支払う</button></form>'
                f'<form method="post" action="{action}/fail">'
                f'<button id="fail">残高不足で失敗させる</button></form>')
        if code.redirect_url:
            body += f'<p><a id="leave" href="{html.escape(code.redirect_url)}">支払わずにもどる</a></p>'
        return Reply(200, _page("PayPay（ローカル）でのお支払い", body))


def _page(title: str, body: str) -> bytes:
    return (f'<!doctype html><html lang="ja"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{html.escape(title)}</title></head><body><main><h1>{html.escape(title)}</h1>"
            f"{body}</main></body></html>").encode()


class _Handler(LocalHandler):
    paypay: LocalPayPay

    def do_DELETE(self):
        self._serve("DELETE")

    def _serve(self, method: str) -> None:
        url = urllib.parse.urlsplit(self.path)
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        query = urllib.parse.parse_qs(url.query, keep_blank_values=True)
        paypay = self.paypay
        event = None
        with paypay._lock:
            try:
                if url.path.startswith("/app/"):
                    reply = paypay._app(method, url.path)
                    if isinstance(reply, tuple) and reply[0] == "settled":
                        code = reply[1]
                        event = paypay._event(code)
                        reply = self._after_payment(code)
                else:
                    reply = paypay._api(method, url.path, query, self.headers, raw)
            except Exception as exc:  # a bug here must show as a 500, not a dropped connection
                reply = (500, "LOCAL_SERVER_BUG", "00000000", repr(exc))
            if not url.path.startswith("/app/"):
                status = 0 if reply == "drop" else (reply.status if isinstance(reply, Reply) else reply[0])
                paypay.requests.append((method, url.path, status))
        if event is not None:
            paypay._notify(event)  # outside the lock: the webhook's receiver polls us back
        if reply == "drop":
            self.close_connection = True
            self.connection.shutdown(2)
            return
        self._send(reply)

    def _after_payment(self, code: Code):
        if code.redirect_url and code.redirect_type == "WEB_LINK":
            return Reply(303, headers={"Location": code.redirect_url})
        return Reply(200, _page("お支払いが終わりました", f'<p id="code-state">{code.status.lower()}</p>'))

    def _send(self, reply) -> None:
        if not isinstance(reply, Reply):  # (status, code, codeId, message[, data])
            status, code, code_id, message, *rest = reply
            payload = {"resultInfo": {"code": code, "message": message, "codeId": code_id},
                       "data": rest[0] if rest else None}
            reply = Reply(status, json.dumps(payload).encode(), "application/json")
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type + ";charset=UTF-8")
        self.send_header("Content-Length", str(len(reply.body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-REQUEST-ID", "LOCAL" + secrets.token_hex(8).upper())
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(reply.body)


def configure_city(city, server: LocalPayPay, **secrets):
    """Turn PayPay on for `city` (a Municipality), pointed at `server`; `secrets` override the
    right ones (e.g. a wrong api_secret). Django is imported here only: the server itself runs
    without it."""
    from madoguchi.payments.models import ProviderSetting

    setting, _ = ProviderSetting.objects.update_or_create(
        municipality=city, provider="paypay",
        defaults={"enabled": True, "methods": ["paypay"], "issues_receipt": ["paypay"],
                  "config": {"merchant_id": server.merchant_id, "environment": "sandbox",
                             "base_url": server.base_url}})
    setting.set_secrets({"api_key": server.api_key, "api_secret": server.api_secret, **secrets})
    setting.save()
    return setting


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description="Local PayPay Open Payment API stand-in.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--webhook-url", default="", help="Madoguchi's /payments/webhooks/paypay/")
    parser.add_argument("--api-key", default="local-api-key")
    parser.add_argument("--api-secret", default="local-api-secret")
    parser.add_argument("--merchant-id", default="local-merchant-0001")
    args = parser.parse_args(argv)
    server = LocalPayPay(api_key=args.api_key, api_secret=args.api_secret,
                         merchant_id=args.merchant_id, webhook_url=args.webhook_url,
                         port=args.port, host=args.host).start()
    print(f"PayPay base_url={server.base_url} merchant_id={server.merchant_id}", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        server.stop()


if __name__ == "__main__":
    main()
