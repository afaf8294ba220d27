"""A local server speaking the subset of the Stripe API that Madoguchi uses, for the tests
and the `make run` demo (Stripe itself cannot be reached from here).

What it speaks, as Stripe documents it:
- form-encoded request bodies with bracketed nesting (`line_items[0][price_data][currency]`),
  `Authorization: Bearer <secret key>` (401 with an `invalid_request_error` otherwise);
- `Idempotency-Key`: the same key and parameters replay the first response (with
  `Idempotent-Replayed: true`), the same key with other parameters is a 400 `idempotency_error`;
- errors as `{"error": {"type", "code", "message", "param"}}` with Stripe's status codes
  (400 parameter_missing / parameter_invalid_integer / amount_too_large, 404 resource_missing);
- Checkout Sessions: create, retrieve, expire; PaymentIntents: retrieve, cancel; Refunds: create;
- a checkout page (`/pay/<session id>`) a browser can submit without JavaScript (card: paid at
  once; konbini: a slip is issued and the session completes unpaid until `pay_konbini`);
- signed webhooks: `Stripe-Signature: t=<unix time>,v1=<HMAC-SHA256 of "t.payload">` with the
  endpoint secret, events `checkout.session.completed`, `.async_payment_succeeded`,
  `.async_payment_failed`, `.expired`.

Run alone (the demo): `python tests/payments/stripe_server.py --port 8010 --webhook URL`.
Written on the standard library's http.server: nothing here must be fast, and it starts in a
thread inside a test.
"""

import argparse
import contextlib
import hashlib
import hmac
import html
import json
import secrets
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

SECRET_KEY = "sk_test_madoguchi_local"  # noqa: S105 - a test key for the local server
WEBHOOK_SECRET = "whsec_madoguchi_local"  # noqa: S105


class StripeError(Exception):
    def __init__(self, status: int, type_: str, message: str, code: str = "", param: str = ""):
        super().__init__(message)
        self.status, self.body = status, {"error": {
            "type": type_, "message": message, **({"code": code} if code else {}),
            **({"param": param} if param else {})}}


def parse_form(body: str) -> dict:
    """Stripe's form encoding: `a[b][0][c]=v` → {"a": {"b": [{"c": "v"}]}}."""
    result: dict = {}
    for key, value in parse_qsl(body, keep_blank_values=True):
        parts = key.replace("]", "").split("[")
        node = result
        for part, following in zip(parts, parts[1:] + [None], strict=True):
            if following is None:
                node[part] = value
            else:
                node = node.setdefault(part, {})
    return _lists(result)


def _lists(node):
    if isinstance(node, dict):
        node = {k: _lists(v) for k, v in node.items()}
        if node and all(k.isdigit() for k in node):
            return [node[k] for k in sorted(node, key=int)]
    return node


def _integer(params: dict, name: str, required: bool = True) -> int | None:
    value = params.get(name)
    if value is None:
        if required:
            raise StripeError(400, "invalid_request_error", f"Missing required param: {name}.",
                              "parameter_missing", name)
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise StripeError(400, "invalid_request_error", f"Invalid integer: {value}",
                          "parameter_invalid_integer", name) from None


class StripeState:
    """The server's objects and its clock; the test drives the customer through it."""

    def __init__(self, secret_key: str = SECRET_KEY, webhook_secret: str = WEBHOOK_SECRET):
        self.secret_key, self.webhook_secret = secret_key, webhook_secret
        self.lock = threading.RLock()
        self.sessions: dict[str, dict] = {}
        self.intents: dict[str, dict] = {}
        self.refunds: dict[str, dict] = {}
        self.idempotent: dict[tuple[str, str], tuple[str, int, dict]] = {}
        self.requests: list[tuple[str, str]] = []  # (method, path) as received
        self.events: list[dict] = []
        self.queued: list[dict] = []
        self.webhook_url: str | None = None
        self.deliver_webhooks = True  # on the customer's actions; tests may turn it off
        self.fail_next: list[int] = []  # statuses to answer the next API calls with (5xx, 429)
        self.clock = time.time
        self.base_url = ""

    # --- the API ----------------------------------------------------------------------------

    def create_session(self, params: dict) -> dict:
        for name in ("mode", "success_url"):
            if not params.get(name):
                raise StripeError(400, "invalid_request_error", f"Missing required param: {name}.",
                                  "parameter_missing", name)
        items = params.get("line_items") or []
        if not isinstance(items, list) or not items:
            raise StripeError(400, "invalid_request_error", "Missing required param: line_items.",
                              "parameter_missing", "line_items")
        total = 0
        for item in items:
            price = item.get("price_data") or {}
            if price.get("currency") != "jpy":
                raise StripeError(400, "invalid_request_error", "Only jpy here.", "parameter_invalid", "currency")
            total += (_integer(price, "unit_amount") or 0) * (_integer(item, "quantity") or 1)
        if total < 50:  # Stripe's minimum charge in JPY
            raise StripeError(400, "invalid_request_error", "Amount must be at least ¥50.", "amount_too_small")
        now = int(self.clock())
        expires_at = _integer(params, "expires_at", required=False) or now + 24 * 3600
        if not now + 30 * 60 - 5 <= expires_at <= now + 24 * 3600 + 5:
            raise StripeError(400, "invalid_request_error",
                              "The `expires_at` timestamp must be between 30 minutes and 24 hours from now.",
                              "parameter_invalid_integer", "expires_at")
        sid = "cs_test_" + secrets.token_hex(12)
        session = {
            "id": sid, "object": "checkout.session", "mode": params["mode"], "currency": "jpy",
            "amount_total": total, "status": "open", "payment_status": "unpaid",
            "payment_method_types": params.get("payment_method_types") or ["card"],
            "client_reference_id": params.get("client_reference_id"),
            "metadata": params.get("metadata") or {}, "payment_intent": None,
            "success_url": params["success_url"], "cancel_url": params.get("cancel_url"),
            "expires_at": expires_at, "created": now, "livemode": False,
            "url": f"{self.base_url}/pay/{sid}",
            "konbini_days": int(((params.get("payment_method_options") or {}).get("konbini") or {})
                                .get("expires_after_days") or 3),
        }
        self.sessions[sid] = session
        return self.public(session)

    @staticmethod
    def public(session: dict) -> dict:
        return {k: v for k, v in session.items() if k != "konbini_days"}

    def session(self, sid: str) -> dict:
        session = self.sessions.get(sid)
        if session is None:
            raise StripeError(404, "invalid_request_error", f"No such checkout.session: '{sid}'",
                              "resource_missing", "session")
        if session["status"] == "open" and session["expires_at"] <= self.clock():
            self._expire(session)
        return session

    def _expire(self, session: dict) -> None:
        session["status"] = "expired"
        self.emit("checkout.session.expired", session)

    def expire_session(self, sid: str) -> dict:
        session = self.session(sid)
        if session["status"] != "open":
            raise StripeError(400, "invalid_request_error",
                              f"Only Checkout Sessions with a status of `open` can be expired. "
                              f"This session has a status of `{session['status']}`.", "checkout_session_not_open")
        self._expire(session)
        return self.public(session)

    def intent(self, pid: str) -> dict:
        intent = self.intents.get(pid)
        if intent is None:
            raise StripeError(404, "invalid_request_error", f"No such payment_intent: '{pid}'",
                              "resource_missing", "intent")
        action = intent.get("next_action")
        if intent["status"] == "requires_action" and action and \
                action["konbini_display_details"]["expires_at"] <= self.clock():
            self._lapse(intent)
        return intent

    def cancel_intent(self, pid: str) -> dict:
        intent = self.intent(pid)
        if intent["status"] in ("succeeded", "canceled"):
            raise StripeError(400, "invalid_request_error",
                              f"You cannot cancel this PaymentIntent because it has a status of {intent['status']}.",
                              "payment_intent_unexpected_state")
        self._lapse(intent)
        return intent

    def _lapse(self, intent: dict) -> None:
        intent["status"], intent["next_action"] = "canceled", None
        session = self.sessions[intent["session"]]
        self.emit("checkout.session.async_payment_failed", session)

    def create_refund(self, params: dict) -> dict:
        pid = params.get("payment_intent")
        if not pid:
            raise StripeError(400, "invalid_request_error", "Missing required param: payment_intent.",
                              "parameter_missing", "payment_intent")
        intent = self.intent(pid)
        if intent["status"] != "succeeded":
            raise StripeError(400, "invalid_request_error", "This PaymentIntent has no successful charge.",
                              "charge_not_refundable")
        amount = _integer(params, "amount", required=False) or intent["amount_received"] - intent["amount_refunded"]
        if amount <= 0 or intent["amount_refunded"] + amount > intent["amount_received"]:
            raise StripeError(400, "invalid_request_error",
                              f"Refund amount (¥{amount}) is greater than unrefunded amount on charge.",
                              "amount_too_large", "amount")
        intent["amount_refunded"] += amount
        rid = "re_" + secrets.token_hex(12)
        refund = {"id": rid, "object": "refund", "amount": amount, "currency": "jpy",
                  "payment_intent": pid, "status": "succeeded", "reason": params.get("reason"),
                  "metadata": params.get("metadata") or {}, "created": int(self.clock())}
        self.refunds[rid] = refund
        return refund

    # --- the customer -----------------------------------------------------------------------

    def complete(self, sid: str) -> dict:
        """The customer submits the checkout page: a card is paid at once, a konbini slip is
        issued (the session completes unpaid)."""
        with self.lock:
            session = self.session(sid)
            if session["status"] != "open":
                raise StripeError(400, "invalid_request_error", "This session is not open.",
                                  "checkout_session_not_open")
            pid = "pi_" + secrets.token_hex(12)
            konbini = session["payment_method_types"] == ["konbini"]
            intent = {"id": pid, "object": "payment_intent", "amount": session["amount_total"],
                      "amount_received": 0 if konbini else session["amount_total"],
                      "amount_refunded": 0, "currency": "jpy",
                      "status": "requires_action" if konbini else "succeeded", "session": sid,
                      "next_action": None}
            if konbini:
                intent["next_action"] = {"type": "konbini_display_details", "konbini_display_details": {
                    "expires_at": int(self.clock()) + session["konbini_days"] * 86400,
                    "hosted_voucher_url": f"{self.base_url}/voucher/{pid}"}}
            self.intents[pid] = intent
            session.update(status="complete", payment_intent=pid,
                           payment_status="unpaid" if konbini else "paid")
            self.emit("checkout.session.completed", session)
        self.flush()
        return session

    def pay_konbini(self, sid: str) -> dict:
        """The customer pays the slip at the store."""
        with self.lock:
            session = self.session(sid)
            intent = self.intent(session["payment_intent"])
            if intent["status"] != "requires_action":
                raise StripeError(400, "invalid_request_error", "Nothing to pay.", "payment_intent_unexpected_state")
            intent.update(status="succeeded", amount_received=intent["amount"], next_action=None)
            session["payment_status"] = "paid"
            self.emit("checkout.session.async_payment_succeeded", session)
        self.flush()
        return session

    # --- webhooks ---------------------------------------------------------------------------

    def emit(self, kind: str, session: dict) -> dict:
        event = {"id": "evt_" + secrets.token_hex(12), "object": "event", "api_version": "2024-06-20",
                 "created": int(self.clock()), "type": kind, "livemode": False,
                 "data": {"object": self.public(session)}}
        self.events.append(event)
        if self.deliver_webhooks and self.webhook_url:
            self.queued.append(event)
        return event

    def flush(self) -> None:
        """Deliver queued events, outside the lock (the endpoint may call the API back)."""
        while self.queued:
            self.deliver(self.queued.pop(0))

    def sign(self, payload: bytes, timestamp: int | None = None, secret: str | None = None) -> str:
        timestamp = int(self.clock()) if timestamp is None else timestamp
        signed = f"{timestamp}.".encode() + payload
        mac = hmac.new((secret or self.webhook_secret).encode(), signed, hashlib.sha256).hexdigest()
        return f"t={timestamp},v1={mac}"

    def deliver(self, event: dict, url: str | None = None) -> int:
        """POST the event as Stripe does; returns the endpoint's status (0 if unreachable)."""
        payload = json.dumps(event).encode()
        request = urllib.request.Request(url or self.webhook_url, data=payload, method="POST", headers={  # noqa: S310
            "Content-Type": "application/json; charset=utf-8", "Stripe-Signature": self.sign(payload),
            "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)"})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - our URL
                return response.status
        except urllib.error.HTTPError as exc:
            return exc.code
        except OSError:
            return 0


class Handler(BaseHTTPRequestHandler):
    server_version = "LocalStripe/1.0"
    state: StripeState

    def log_message(self, *args):  # quiet
        pass

    def _send(self, status: int, body: dict | str, headers: dict | None = None) -> None:
        data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8" if isinstance(body, str) else "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Request-Id", "req_" + secrets.token_hex(8))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _body(self) -> str:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length).decode() if length else ""

    def do_GET(self):
        self._dispatch("GET")

    def do_POST(self):
        self._dispatch("POST")

    def _dispatch(self, method: str) -> None:
        path = urlsplit(self.path).path
        state = self.state
        if path.startswith("/pay/") or path.startswith("/voucher/"):
            return self._page(method, path)
        state.requests.append((method, path))
        body = self._body() if method == "POST" else urlsplit(self.path).query
        try:
            if state.fail_next:
                status = state.fail_next.pop(0)
                raise StripeError(status, "api_error" if status >= 500 else "rate_limit_error",
                                  "Temporarily unavailable.", "lock_timeout" if status == 429 else "")
            auth = self.headers.get("Authorization", "")
            if auth != f"Bearer {state.secret_key}":
                raise StripeError(401, "invalid_request_error", "Invalid API Key provided.", "api_key_invalid")
            params = parse_form(body)
            key = self.headers.get("Idempotency-Key")
            if method == "POST" and key:
                with state.lock:
                    fingerprint = hashlib.sha256(f"{path}?{body}".encode()).hexdigest()
                    stored = state.idempotent.get((state.secret_key, key))
                    if stored is not None:
                        if stored[0] != fingerprint:
                            raise StripeError(400, "idempotency_error",
                                              "Keys for idempotent requests can only be used with the same "
                                              "parameters they were first used with.")
                        return self._send(stored[1], stored[2], {"Idempotent-Replayed": "true"})
                    status, result = self._route(method, path, params)
                    state.idempotent[(state.secret_key, key)] = (fingerprint, status, result)
                    return self._send(status, result, {"Idempotency-Key": key})
            with state.lock:
                status, result = self._route(method, path, params)
            return self._send(status, result)
        except StripeError as exc:
            return self._send(exc.status, exc.body)
        finally:
            state.flush()

    def _route(self, method: str, path: str, params: dict) -> tuple[int, dict]:
        state = self.state
        parts = path.strip("/").split("/")
        if method == "POST" and parts == ["v1", "checkout", "sessions"]:
            return 200, state.create_session(params)
        if parts[:3] == ["v1", "checkout", "sessions"] and len(parts) == 4 and method == "GET":
            return 200, state.public(state.session(parts[3]))
        if parts[:3] == ["v1", "checkout", "sessions"] and parts[4:] == ["expire"] and method == "POST":
            return 200, state.expire_session(parts[3])
        if parts[:2] == ["v1", "payment_intents"] and len(parts) == 3 and method == "GET":
            return 200, {k: v for k, v in state.intent(parts[2]).items() if k != "session"}
        if parts[:2] == ["v1", "payment_intents"] and parts[3:] == ["cancel"] and method == "POST":
            return 200, {k: v for k, v in state.cancel_intent(parts[2]).items() if k != "session"}
        if method == "POST" and parts == ["v1", "refunds"]:
            return 200, state.create_refund(params)
        raise StripeError(404, "invalid_request_error", f"Unrecognized request URL ({method}: {path}).")

    def _page(self, method: str, path: str) -> None:
        """The checkout page a browser sees: the amount, a card form (any digits: nothing is
        checked or kept), pay, or go back to the city."""
        state = self.state
        kind, _, ident = path.strip("/").partition("/")
        if kind == "voucher":
            return self._send(200, _html("お支払い番号", "<p>コンビニでお支払いください。</p>"))
        try:
            session = state.session(ident)
        except StripeError:
            return self._send(404, _html("見つかりません", "<p>このお支払いページはありません。</p>"))
        if method == "POST":
            self._body()
            with contextlib.suppress(StripeError):  # already completed or expired: the city asks us
                state.complete(ident)
            self.send_response(303)
            self.send_header("Location", session["success_url"])
            self.send_header("Content-Length", "0")
            self.end_headers()
            return None
        if session["status"] != "open":
            body = f'<p id="closed">このお支払いページは終了しました。</p><p><a href="{html.escape(session["cancel_url"] or session["success_url"])}">戻る</a></p>'
            return self._send(200, _html("終了しました", body))
        konbini = session["payment_method_types"] == ["konbini"]
        fields = ("" if konbini else
                  '<p><label for="card">カード番号</label><br><input id="card" name="card" '
                  'inputmode="numeric" autocomplete="off" value="4242 4242 4242 4242"></p>')
        body = (f'<p>お支払い金額 <strong id="amount">¥{session["amount_total"]:,}</strong></p>'
                f'<form method="post" action="/pay/{html.escape(ident)}">{fields}'
                f'<button id="pay" type="submit">{"お支払い番号を発行" if konbini else "支払う"}</button></form>'
                f'<p><a id="back" href="{html.escape(session["cancel_url"] or "")}">戻る</a></p>')
        return self._send(200, _html("お支払い（テスト用決済ページ）", body))


def _html(title: str, body: str) -> str:
    return (f'<!doctype html><html lang="ja"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f'<title>{html.escape(title)}</title></head><body><main><h1>{html.escape(title)}</h1>'
            f'{body}</main></body></html>')


class LocalStripe:
    """The server in a thread: `with LocalStripe() as stripe_server: ...`."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, webhook_url: str | None = None):
        self.state = StripeState()
        self.state.webhook_url = webhook_url
        handler = type("BoundHandler", (Handler,), {"state": self.state})
        self.httpd = ThreadingHTTPServer((host, port), handler)
        self.httpd.daemon_threads = True
        self.url = f"http://{host}:{self.httpd.server_address[1]}"
        self.state.base_url = self.url
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> "LocalStripe":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def session_for(self, attempt_ref: str) -> dict:
        return next(s for s in self.state.sessions.values() if s["client_reference_id"] == str(attempt_ref))


def main() -> None:
    parser = argparse.ArgumentParser(description="local Stripe API subset for Madoguchi's demo")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8010)
    parser.add_argument("--webhook", help="the endpoint webhooks are sent to")
    args = parser.parse_args()
    server = LocalStripe(args.host, args.port, args.webhook)
    print(f"local Stripe at {server.url} (key {SECRET_KEY}, webhook secret {WEBHOOK_SECRET})", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.httpd.serve_forever()


if __name__ == "__main__":
    main()
