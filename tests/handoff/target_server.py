"""A local business system that takes hand-offs over HTTP, for tests and the demo.

It verifies every request as a Standard Webhooks consumer does (the `standardwebhooks` library:
HMAC-SHA256 over id, timestamp and body; a timestamp within five minutes) and answers 401 to
one that does not verify. It dedupes on `webhook-id` as the specification asks of a consumer:
a repeat is answered 200 and not taken again, so `accepted` holds one payload per id and
`posts` every verified request. `fail_next(n, status)` makes it refuse the next n verified
requests (503 by default; `n=None`: until `recover()`), and `delay` holds each answer, to
stand for a slow system or to kill a worker while it waits.

Run it for the demo: `python tests/handoff/target_server.py --port 8012 --secret-file FILE`.
"""

import argparse
import base64
import json
import secrets
import threading
import time
from pathlib import Path

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from madoguchi.core.local_server import LocalHandler, LocalServer


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


class TargetServer(LocalServer):
    def __init__(self, secret: str, port: int = 0, host: str = "127.0.0.1"):
        self.secret, self._port, self._host = secret, port, host
        self.lock = threading.Lock()
        self.accepted: dict[str, dict] = {}  # webhook-id → payload, once
        self.posts: list[str] = []  # every verified request's webhook-id
        self.refused = 0  # requests whose signature did not verify
        self.delay = 0.0
        self._failing: int | None = 0
        self._status = 503

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.bound_port}/handoffs"

    def fail_next(self, n: int | None, status: int = 503) -> None:
        with self.lock:
            self._failing, self._status = n, status

    def recover(self) -> None:
        self.fail_next(0)

    def _answer(self, body: bytes, headers: dict) -> int:
        try:
            payload = Webhook(self.secret).verify(body, headers)
        except WebhookVerificationError:
            with self.lock:
                self.refused += 1
            return 401
        webhook_id = headers["webhook-id"]
        with self.lock:
            self.posts.append(webhook_id)
            if self._failing is None or self._failing > 0:
                if self._failing:
                    self._failing -= 1
                return self._status
            self.accepted.setdefault(webhook_id, payload)  # a repeat is acknowledged, not taken again
        return 200

    def handler(self):
        server = self

        class Handler(LocalHandler):
            def _serve(self, method):
                if method != "POST" or self.path != "/handoffs":
                    self.send_response(404)
                    self.end_headers()
                    return
                body = self.rfile.read(int(self.headers.get("content-length", "0") or 0))
                status = server._answer(body, {k.lower(): v for k, v in self.headers.items()})
                if server.delay:
                    time.sleep(server.delay)
                data = json.dumps({"ok": 200 <= status < 300}).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8012)
    parser.add_argument("--secret-file", required=True, help="read, or written with a new secret if missing")
    parser.add_argument("--fail", type=int, default=0, help="refuse the first N deliveries (503)")
    options = parser.parse_args()
    path = Path(options.secret_file)
    if not path.exists():
        path.write_text(new_secret() + "\n")
        path.chmod(0o600)
    server = TargetServer(path.read_text().strip(), options.port, options.host)
    server.fail_next(options.fail)
    server.start()
    print(f"hand-off target on http://{options.host}:{server.bound_port}/handoffs", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        server.stop()


if __name__ == "__main__":
    main()
