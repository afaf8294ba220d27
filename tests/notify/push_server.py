"""A local push service speaking the part of Web Push that Madoguchi uses, for the tests, the
bench and the `make run` demo (a browser's real push service cannot be reached from here).

What it speaks, as the RFCs write it:
- RFC 8030 §5: `POST /push/<id>` with the encrypted message as the body; `TTL` is required
  (400 without it); `Urgency` (very-low | low | normal | high) is read and recorded; the
  answer is `201 Created` with `Location: <base>/message/<uuid>`; an unknown subscription is
  `404`; ids set with `answer()` reply 404, 410, 429 (with `Retry-After`), 413 or 5xx instead.
- RFC 8292 (VAPID): `Authorization: vapid t=<JWT>, k=<public key>`; the JWT's ES256 signature
  is checked with `k`, its `aud` must be this server's origin, `exp` in the future and at most
  24 hours away, `sub` a `mailto:` or `https:` URI (401 otherwise); a subscription made with
  an applicationServerKey accepts only that key (403 otherwise, §4.2).
- RFC 8291 / RFC 8188: the body is `Content-Encoding: aes128gcm`, at most 4096 bytes (413),
  decrypted with the subscription's private key and auth secret (`http_ece`); a body that
  does not decrypt is a 400. What was decrypted is recorded for the test's assertions.

The "browser" side: `subscription()` makes a real P-256 key pair and a 16-byte auth secret and
returns the JSON a browser's PushSubscription.toJSON() gives; the server keeps the private
half to decrypt what is pushed to it.

The JWT is checked here by hand with `cryptography` rather than with `py_vapid`, the library
Madoguchi signs with: a check by the signer's own code would not notice a mistake it shares.

Run alone (the demo, the bench): `python tests/notify/push_server.py --port 8015`.
Written on the standard library's http.server: it starts in a thread inside a test.
"""

import argparse
import base64
import contextlib
import json
import os
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import http_ece
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

MAX_BODY = 4096
MAX_EXP_SECONDS = 24 * 60 * 60


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Refused(Exception):
    def __init__(self, status: int, reason: str, headers: dict | None = None):
        super().__init__(reason)
        self.status, self.reason, self.headers = status, reason, headers or {}


def check_vapid(header: str, audience: str, now: float | None = None) -> dict:
    """The VAPID Authorization header (RFC 8292 §3): returns the JWT's claims and the key `k`,
    or raises Refused(401)."""
    now = time.time() if now is None else now
    scheme, _, params = header.partition(" ")
    if scheme.lower() != "vapid":
        raise Refused(401, "not a vapid Authorization")
    fields = dict(part.strip().split("=", 1) for part in params.split(",") if "=" in part)
    token, key = fields.get("t", ""), fields.get("k", "")
    try:
        point = unb64url(key)
        public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
        head_b64, claims_b64, signature_b64 = token.split(".")
        head = json.loads(unb64url(head_b64))
        claims = json.loads(unb64url(claims_b64))
        signature = unb64url(signature_b64)
    except ValueError as exc:
        raise Refused(401, f"malformed vapid header: {exc}") from None
    if head.get("alg") != "ES256" or len(signature) != 64:
        raise Refused(401, "not an ES256 JWT")
    der = encode_dss_signature(int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big"))
    try:
        public.verify(der, f"{head_b64}.{claims_b64}".encode(), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        raise Refused(401, "bad signature") from None
    if claims.get("aud") != audience:
        raise Refused(401, f"aud {claims.get('aud')!r} is not {audience!r}")
    exp = claims.get("exp")
    if not isinstance(exp, int) or not now < exp <= now + MAX_EXP_SECONDS:
        raise Refused(401, "exp not within 24 hours")
    sub = str(claims.get("sub", ""))
    if not (sub.startswith("mailto:") and "@" in sub) and not sub.startswith("https://"):
        raise Refused(401, "sub is not a mailto: or https: contact")
    return {**claims, "k": key}


class PushState:
    def __init__(self):
        self.lock = threading.Lock()
        self.base_url = ""
        self.keys: dict[str, tuple[ec.EllipticCurvePrivateKey, bytes, str | None]] = {}
        self.answers: dict[str, tuple[int, dict]] = {}
        self.received: list[dict] = []  # every accepted push, decrypted
        self.refused: list[dict] = []   # every refused request: status and reason
        self.arrived = threading.Condition(self.lock)


class Handler(BaseHTTPRequestHandler):
    state: PushState
    protocol_version = "HTTP/1.1"

    def log_message(self, *args) -> None:  # quiet in tests
        pass

    def _answer(self, status: int, headers: dict | None = None, body: bytes = b"") -> None:
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        kind, _, push_id = self.path.strip("/").partition("/")
        try:
            if kind != "push" or not push_id:
                raise Refused(404, "no such resource")
            record = self._push(push_id, body)
        except Refused as refused:
            with self.state.lock:
                self.state.refused.append({"id": push_id, "status": refused.status, "reason": refused.reason})
            return self._answer(refused.status, {"Content-Type": "text/plain", **refused.headers},
                                refused.reason.encode())
        status, headers = record.pop("_answer")
        return self._answer(status, headers)

    def _push(self, push_id: str, body: bytes) -> dict:
        state = self.state
        with state.lock:
            answer = state.answers.get(push_id)
            keys = state.keys.get(push_id)
        if answer is not None and answer[0] in (404, 410):
            raise Refused(answer[0], "subscription gone")
        if keys is None:
            raise Refused(404, "no such subscription")
        if "TTL" not in self.headers:
            raise Refused(400, "TTL header required")
        claims = check_vapid(self.headers.get("Authorization", ""), state.base_url)
        private_key, auth, server_key = keys
        if server_key is not None and claims["k"] != server_key:
            raise Refused(403, "not the applicationServerKey of this subscription")
        if answer is not None:  # 429 (with Retry-After), 413, 5xx as the test asked
            raise Refused(answer[0], "as configured", answer[1])
        if len(body) > MAX_BODY:
            raise Refused(413, "payload too large")
        if self.headers.get("Content-Encoding", "").lower() != "aes128gcm":
            raise Refused(400, "Content-Encoding must be aes128gcm")
        try:
            plain = http_ece.decrypt(body, private_key=private_key, auth_secret=auth, version="aes128gcm")
        except Exception as exc:  # noqa: BLE001 - anything that does not decrypt is the sender's fault
            raise Refused(400, f"cannot decrypt: {type(exc).__name__}") from None
        location = f"{state.base_url}/message/{uuid.uuid4().hex}"
        record = {"id": push_id, "payload": plain, "claims": claims, "ttl": self.headers.get("TTL"),
                  "urgency": self.headers.get("Urgency", "normal"), "location": location,
                  "size": len(body)}
        with state.arrived:
            state.received.append(record)
            state.arrived.notify_all()
        return {**record, "_answer": (201, {"Location": location})}


class PushServer:
    """The push service in a thread: `base = server.start()`, `server.stop()`."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0):
        self.state = PushState()
        handler = type("BoundHandler", (Handler,), {"state": self.state})
        self.httpd = ThreadingHTTPServer((host, port), handler)
        self.httpd.daemon_threads = True
        self.host = host
        self.base_url = f"http://{host}:{self.httpd.server_address[1]}"
        self.state.base_url = self.base_url
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def start(self) -> str:
        self.thread.start()
        return self.base_url

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self) -> "PushServer":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    # --- the browser's side -----------------------------------------------------------------

    def subscription(self, push_id: str | None = None, application_server_key: str | None = None) -> dict:
        """A new subscription as a browser makes it (PushSubscription.toJSON()): a fresh P-256
        key pair and auth secret, the private half kept here to decrypt."""
        push_id = push_id or uuid.uuid4().hex
        private_key = ec.generate_private_key(ec.SECP256R1())
        auth = os.urandom(16)
        public = private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
        with self.state.lock:
            self.state.keys[push_id] = (private_key, auth, application_server_key)
        return {"endpoint": f"{self.base_url}/push/{push_id}", "expirationTime": None,
                "keys": {"p256dh": b64url(public), "auth": b64url(auth)}}

    def answer(self, push_id: str, status: int, retry_after: int | None = None) -> None:
        """Answer pushes to `push_id` with `status` from now on (404/410 gone, 429, 413, 5xx)."""
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
        with self.state.lock:
            self.state.answers[push_id] = (status, headers)

    # --- what arrived -----------------------------------------------------------------------

    @property
    def received(self) -> list[dict]:
        with self.state.lock:
            return list(self.state.received)

    @property
    def refused(self) -> list[dict]:
        with self.state.lock:
            return list(self.state.refused)

    def payloads(self, push_id: str) -> list[dict]:
        return [json.loads(r["payload"]) for r in self.received if r["id"] == push_id]

    def wait_for(self, push_id: str, timeout: float = 10) -> dict:
        """The first push decrypted for `push_id`, waiting for it up to `timeout` seconds."""
        deadline = time.monotonic() + timeout
        with self.state.arrived:
            while True:
                found = [r for r in self.state.received if r["id"] == push_id]
                if found:
                    return found[0]
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"no push for {push_id}")
                self.state.arrived.wait(left)


def main() -> None:
    parser = argparse.ArgumentParser(description="local Web Push service for Madoguchi's demo")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8015)
    args = parser.parse_args()
    server = PushServer(args.host, args.port)
    print(f"local push service at {server.base_url} (endpoints {server.base_url}/push/<id>)", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.httpd.serve_forever()


if __name__ == "__main__":
    main()
