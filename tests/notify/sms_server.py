"""A local server speaking the part of Twilio's Programmable Messaging API that Madoguchi uses,
for the tests, the bench and the `make run` demo (Twilio itself cannot be reached from here).

What it speaks, as Twilio documents it:
- `POST /2010-04-01/Accounts/{AccountSid}/Messages.json`, a form body (`To`, `From` or
  `MessagingServiceSid`, `Body`, `StatusCallback`), HTTP basic auth `AccountSid:AuthToken`
  (401 with code 20003 otherwise; 404 code 20404 for another account's path);
- the answer: 201 with the Message resource as JSON (`sid` "SM" + 32 hex, `status` "queued", or
  "accepted" through a Messaging Service, `num_segments`, `uri`, ...);
- errors as Twilio's JSON `{"code", "message", "more_info", "status"}`: 21211 (not a valid
  number), 21614 (not a mobile number), 21610 (the recipient replied STOP), 21602/21604/21603
  (missing body / To / From), 21617 (body over 1,600 characters), 20429 with HTTP 429 (too many
  requests: `throttle(n)` answers the next n so), 5xx (`fail_next`);
- status callbacks to each message's `StatusCallback`, form-encoded (`MessageSid`,
  `MessageStatus`, `AccountSid`, `From`, `To`, `ApiVersion`, `SmsSid`, `SmsStatus`, and
  `ErrorCode` when it failed): "sent" then "delivered", or "undelivered" with the error code
  configured for that number (`undelivered[number] = 30003`); each signed with
  `X-Twilio-Signature` as Twilio signs: base64 of HMAC-SHA1, keyed with the Auth Token, over
  the full URL followed by every POST parameter's name and value, sorted by name.

Callbacks go out from a thread shortly after the answer (`callback_delay`), as Twilio's come
a moment after the API call; with `auto_callbacks=False` they wait in `pending` for the test to
`flush()` or to replay them itself (`callbacks`).

Run alone (the demo): `python tests/notify/sms_server.py --port 8013`.
Written on the standard library's http.server: nothing here must be fast, and it starts in a
thread inside a test.
"""

import argparse
import base64
import contextlib
import hashlib
import hmac
import json
import re
import secrets
import threading
import time
import urllib.error
import urllib.request
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlencode

ACCOUNT_SID = "AC" + "0" * 31 + "1"
AUTH_TOKEN = "madoguchi-local-twilio-token"  # noqa: S105 - a test token for the local server
API_VERSION = "2010-04-01"
_GSM7 = set("@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZ"
            "ÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà")
_ERRORS = {
    20003: (401, "Authenticate"),
    20404: (404, "The requested resource was not found"),
    20429: (429, "Too Many Requests"),
    21211: (400, "The 'To' number is not a valid phone number."),
    21602: (400, "Message body is required."),
    21603: (400, "The 'From' phone number is required."),
    21604: (400, "The 'To' phone number is required."),
    21610: (400, "Attempt to send to unsubscribed recipient"),
    21614: (400, "'To' number is not a valid mobile number"),
    21617: (400, "The concatenated message body exceeds the 1600 character limit."),
}


def twilio_signature(auth_token: str, url: str, params: dict[str, str]) -> str:
    """X-Twilio-Signature as Twilio computes it (written here from its documentation, not with
    the client library, so the adapter's check meets an independent signer)."""
    data = url + "".join(f"{name}{params[name]}" for name in sorted(params))
    mac = hmac.new(auth_token.encode(), data.encode(), hashlib.sha1)
    return base64.b64encode(mac.digest()).decode()


def segments(body: str) -> int:
    """How many SMS segments a body takes: GSM-7 160 (153 each when split), else UCS-2 70 (67),
    where a character outside the Basic Multilingual Plane counts twice."""
    if set(body) <= _GSM7:
        units, single, part = len(body), 160, 153
    else:
        units, single, part = len(body.encode("utf-16-le")) // 2, 70, 67
    return 1 if units <= single else -(-units // part)


class TwilioError(Exception):
    def __init__(self, code: int, status: int | None = None):
        default_status, message = _ERRORS[code]
        super().__init__(message)
        self.status = status or default_status
        self.body = {"code": code, "message": message, "more_info": f"https://www.twilio.com/docs/errors/{code}",
                     "status": self.status}


class SmsServer:
    """The server in a daemon thread: `base_url = server.start()`, then `server.stop()`."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, account_sid: str = ACCOUNT_SID,
                 auth_token: str = AUTH_TOKEN, auto_callbacks: bool = True, callback_delay: float = 0.3,
                 default_callback: str | None = None):
        self.host, self.port = host, port
        self.account_sid, self.auth_token = account_sid, auth_token
        self.auto_callbacks, self.callback_delay = auto_callbacks, callback_delay
        self.default_callback = default_callback
        self.lock = threading.RLock()
        self.messages: list[dict] = []     # every message taken, as Twilio answered it plus `form`
        self.requests: list[dict] = []     # every API request: method, path, status
        self.callbacks: list[dict] = []    # every status callback made: url, params, signature, answer
        self.pending: list[dict] = []      # callbacks not yet posted (auto_callbacks=False)
        self.invalid: dict[str, int] = {}  # number → API error code (21211, 21614, 21610)
        self.undelivered: dict[str, int] = {}  # number → ErrorCode of its "undelivered" callback
        self.fail_next: list[int] = []     # HTTP statuses (5xx) for the next API calls
        self._throttled = 0
        self.on_message = None  # called with each message taken (the demo prints it)
        self.httpd: ThreadingHTTPServer | None = None
        self.base_url = ""

    # --- the test's controls ------------------------------------------------------------------

    def throttle(self, count: int) -> None:
        """Answer the next `count` message requests 429 / 20429."""
        with self.lock:
            self._throttled = count

    def messages_to(self, number: str) -> list[dict]:
        with self.lock:
            return [m for m in self.messages if m["to"] == number]

    def flush(self) -> list[dict]:
        """Post every callback waiting (auto_callbacks=False), in order; returns them."""
        with self.lock:
            waiting, self.pending = self.pending, []
        for callback in waiting:
            self._post(callback)
        return waiting

    def start(self) -> str:
        handler = type("BoundHandler", (_Handler,), {"server_state": self})
        self.httpd = ThreadingHTTPServer((self.host, self.port), handler)
        self.httpd.daemon_threads = True
        self.base_url = f"http://{self.host}:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self.base_url

    def stop(self) -> None:
        if self.httpd is not None:
            self.httpd.shutdown()
            self.httpd.server_close()
            self.httpd = None

    def __enter__(self) -> "SmsServer":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    # --- the API ------------------------------------------------------------------------------

    def create_message(self, account_sid: str, form: dict[str, str]) -> dict:
        to, body = form.get("To", ""), form.get("Body", "")
        sender, service = form.get("From", ""), form.get("MessagingServiceSid", "")
        if not to:
            raise TwilioError(21604)
        if not sender and not service:
            raise TwilioError(21603)
        if not body:
            raise TwilioError(21602)
        if len(body) > 1600:
            raise TwilioError(21617)
        with self.lock:
            if self._throttled > 0:
                self._throttled -= 1
                raise TwilioError(20429)
            if to in self.invalid:
                raise TwilioError(self.invalid[to])
            if not re.fullmatch(r"\+[1-9][0-9]{7,14}", to):
                raise TwilioError(21211)
            sid = "SM" + secrets.token_hex(16)
            now = formatdate(usegmt=True).replace("GMT", "+0000")
            message = {
                "account_sid": account_sid, "api_version": API_VERSION, "body": body,
                "date_created": now, "date_updated": now, "date_sent": None, "direction": "outbound-api",
                "error_code": None, "error_message": None, "from": sender or None,
                "messaging_service_sid": service or None, "num_media": "0",
                "num_segments": str(segments(body)), "price": None, "price_unit": "USD", "sid": sid,
                "status": "accepted" if service else "queued",
                "subresource_uris": {"media": f"/{API_VERSION}/Accounts/{account_sid}/Messages/{sid}/Media.json"},
                "to": to, "uri": f"/{API_VERSION}/Accounts/{account_sid}/Messages/{sid}.json",
            }
            self.messages.append({**message, "form": dict(form)})
            callback_url = form.get("StatusCallback") or self.default_callback
            if callback_url:
                outcome = ("undelivered", self.undelivered[to]) if to in self.undelivered else ("delivered", None)
                for status, error in (("sent", None), outcome):
                    params = {"AccountSid": account_sid, "ApiVersion": API_VERSION, "From": sender or "",
                              "MessageSid": sid, "MessageStatus": status, "SmsSid": sid, "SmsStatus": status,
                              "To": to}
                    if service:
                        params["MessagingServiceSid"] = service
                    if error is not None:
                        params["ErrorCode"] = str(error)
                    self.pending.append({"url": callback_url, "params": params, "sid": sid,
                                         "signature": twilio_signature(self.auth_token, callback_url, params)})
            if self.auto_callbacks and self.pending:
                waiting, self.pending = self.pending, []
                threading.Timer(self.callback_delay, self._post_all, args=(waiting,)).start()
        return message

    def _post_all(self, callbacks: list[dict]) -> None:
        for callback in callbacks:
            self._post(callback)

    def _post(self, callback: dict) -> None:
        request = urllib.request.Request(  # noqa: S310 - the callback URL the client gave
            callback["url"], data=urlencode(callback["params"]).encode(), method="POST",
            headers={"Content-Type": "application/x-www-form-urlencoded", "User-Agent": "TwilioProxy/1.1",
                     "X-Twilio-Signature": callback["signature"]})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                answer = response.status
        except urllib.error.HTTPError as exc:
            answer = exc.code
        except OSError as exc:
            answer = type(exc).__name__
        with self.lock:
            self.callbacks.append({**callback, "answer": answer})


class _Handler(BaseHTTPRequestHandler):
    server_state: SmsServer
    protocol_version = "HTTP/1.1"

    def log_message(self, *args) -> None:  # quiet: the test reads `requests`
        pass

    def _send(self, status: int, payload: dict) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Twilio-Request-Id", "RQ" + secrets.token_hex(16))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:  # noqa: N802 - http.server's hook name
        self._send(404, TwilioError(20404).body)

    def do_POST(self) -> None:  # noqa: N802
        state = self.server_state
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode("utf-8", "replace")
        status, answer = self._answer(state, body)
        # Recorded before the answer leaves: a client that has its answer finds its request here.
        with state.lock:
            state.requests.append({"method": "POST", "path": self.path, "status": status})
        self._send(status, answer)

    def _answer(self, state, body: str) -> tuple[int, dict]:
        try:
            if state.fail_next:
                status = state.fail_next.pop(0)
                return status, {"code": 20500, "message": "Internal Server Error",
                                "more_info": "https://www.twilio.com/docs/errors/20500",
                                "status": status}
            match = re.fullmatch(rf"/{API_VERSION}/Accounts/(AC[0-9a-f]{{32}})/Messages\.json", self.path)
            if match is None:
                raise TwilioError(20404)
            if not self._authorised(match.group(1)):
                raise TwilioError(20003)
            form = dict(parse_qsl(body, keep_blank_values=True))
            message = state.create_message(match.group(1), form)
            if state.on_message is not None:
                state.on_message(message)
            return 201, message
        except TwilioError as exc:
            return exc.status, exc.body

    def _authorised(self, account_sid: str) -> bool:
        state = self.server_state
        scheme, _, encoded = self.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            user, _, password = base64.b64decode(encoded).decode().partition(":")
        except ValueError:
            return False
        return (hmac.compare_digest(user, state.account_sid) and hmac.compare_digest(password, state.auth_token)
                and account_sid == state.account_sid)


def main() -> None:
    parser = argparse.ArgumentParser(description="local Twilio Messaging API subset for Madoguchi's demo")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8013)
    parser.add_argument("--callback", help="status callback URL for messages that name none")
    parser.add_argument("--undelivered", action="append", default=[], metavar="NUMBER=CODE",
                        help="report this E.164 number undelivered with this ErrorCode (30003, 30005, ...)")
    args = parser.parse_args()
    server = SmsServer(args.host, args.port, default_callback=args.callback)
    for item in args.undelivered:
        number, _, code = item.partition("=")
        server.undelivered[number] = int(code or 30003)
    server.on_message = lambda m: print(f"SMS {m['sid']} to {m['to']}: {m['body']!r}", flush=True)
    url = server.start()
    print(f"local Twilio Messaging API at {url} (account {ACCOUNT_SID}, token {AUTH_TOKEN})", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        while True:
            time.sleep(3600)


if __name__ == "__main__":
    main()
