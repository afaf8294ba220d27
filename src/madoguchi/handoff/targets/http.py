"""HTTP API target: the payload POSTed as JSON, signed per the Standard Webhooks specification
(https://www.standardwebhooks.com/) with the `standardwebhooks` library.

Headers: `webhook-id` (the hand-off's id: the same on every retry and 再送, so the receiver
drops a repeat), `webhook-timestamp` (seconds since the epoch, at this attempt) and
`webhook-signature` (`v1,` + base64 HMAC-SHA256 over "<id>.<timestamp>.<body>" with the
secret, a `whsec_` + base64 string read from `secret_file`). Any 2xx is a delivery. 408, 425,
429, 5xx, a timeout or a refused connection are tried again later; any other answer (a 4xx,
a redirect: redirects are not followed) is refused for good and needs a person: 失敗 at once.
Nothing of the response body is kept (it may echo personal data): only the status code.
"""

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

import requests
from pydantic import Field, field_validator
from standardwebhooks.webhooks import Webhook

from madoguchi.handoff import payload as payloads
from madoguchi.handoff.targets import register
from madoguchi.handoff.targets.base import DeliveryFailed, HandoffTarget, TargetSettings

RETRIED_STATUSES = {408, 425, 429}
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
USER_AGENT = "Madoguchi-Handoff/1"


class HttpSettings(TargetSettings):
    kind: Literal["http"]
    url: str
    secret_file: str  # a file holding the signing secret (whsec_…); never the secret itself
    timeout_seconds: Annotated[float, Field(gt=0, le=60)] = 10

    @field_validator("url")
    @classmethod
    def https_or_loopback(cls, url: str) -> str:
        parts = urlsplit(url)
        if parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in LOOPBACK):
            return url
        raise ValueError("the URL must be https:// (http:// only on this machine, for tests and the demo)")


def signed_headers(secret: str, webhook_id: str, body: bytes, at: datetime | None = None) -> dict:
    """The Standard Webhooks headers for one attempt."""
    at = at or datetime.now(UTC)
    return {
        "webhook-id": webhook_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Webhook(secret).sign(webhook_id, at, body),
    }


@register
class HttpTarget(HandoffTarget):
    kind = "http"
    Settings = HttpSettings

    def _secret(self) -> str:
        try:
            secret = Path(self.settings.secret_file).read_text(encoding="ascii").strip()
            Webhook(secret)  # refuses an empty or malformed secret
        except (OSError, UnicodeDecodeError, ValueError, RuntimeError) as exc:
            raise DeliveryFailed(f"secret_unreadable:{type(exc).__name__}") from None
        return secret

    def check_config(self) -> list[str]:
        try:
            self._secret()
        except DeliveryFailed as exc:
            return [f"secret_file: {exc.code}"]
        return []

    def deliver(self, handoff, payload: dict) -> None:
        body = payloads.body(payload)
        headers = {"content-type": "application/json", "user-agent": USER_AGENT,
                   **signed_headers(self._secret(), str(handoff.public_id), body)}
        try:
            response = requests.post(self.settings.url, data=body, headers=headers,
                                     timeout=self.settings.timeout_seconds, allow_redirects=False)
        except requests.Timeout:
            raise DeliveryFailed("timeout") from None
        except requests.ConnectionError:
            raise DeliveryFailed("connection_failed") from None
        except requests.RequestException as exc:
            raise DeliveryFailed(f"request_failed:{type(exc).__name__}") from None
        status = response.status_code
        response.close()
        if 200 <= status < 300:
            return
        retried = status >= 500 or status in RETRIED_STATUSES
        raise DeliveryFailed(f"http_{status}", permanent=not retried)
