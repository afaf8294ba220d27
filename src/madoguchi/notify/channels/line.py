"""LINE through the Messaging API, with LINE's own SDK (line-bot-sdk, `linebot.v3`).

A city runs its own LINE official account (a Messaging API channel); the resident links their
LINE account to their Madoguchi account (identity/contacts/line.py, notify/line_views.py), and
a notice is a push message to that LINE user: the short text (nothing personal unless the
resident opted in) and the link back to the city's site, which needs login.

What LINE answers, as this adapter reads it:
- 200: LINE accepted the message. LINE sends no delivery report afterwards, so acceptance is
  the delivery (`Sent(delivered=True)`); its `x-line-request-id` is kept as the provider's ref.
- 409 on a request carrying `X-Line-Retry-Key`: that key was already accepted (an earlier
  attempt got through but its answer was lost): the message went out once, so it is Sent.
- 429: too many requests, tried again later (`Retry-After` when LINE says one); the monthly
  message allowance used up is a 429 too, which no retry within hours cures: that one fails
  over to the resident's next channel at once.
- 400 about the recipient (an id this channel cannot reach, a user who blocked the account):
  the contact is dead. 400 about the message itself: this one delivery failed.
- 401/403: the city's token is wrong or not allowed: its settings, not the resident, are at
  fault; the next channel is tried and the contact is kept.
- 5xx, a timeout, a refused connection: tried again later with the same retry key.
"""

import contextlib
import functools
import json
import logging
import uuid
from urllib.parse import urlencode, urlsplit

from django.utils.translation import gettext_lazy as _
from linebot.v3 import WebhookParser
from linebot.v3.exceptions import InvalidSignatureError
from linebot.v3.messaging import (
    ApiClient,
    ApiException,
    Configuration,
    MessagingApi,
    PushMessageRequest,
    ReplyMessageRequest,
    TextMessage,
)

from madoguchi.notify.channels import register
from madoguchi.notify.channels.base import (
    Channel,
    Outgoing,
    PermanentFailure,
    Sent,
    TemporaryFailure,
    WebhookRefused,
)

log = logging.getLogger(__name__)

API_BASE = "https://api.line.me"
DIALOG_BASE = "https://access.line.me"
TIMEOUT = (5, 15)  # seconds to connect, to read: a worker never hangs on LINE
TEXT_LIMIT = 5000  # LINE's limit for one text message


def retry_key(key: str) -> str:
    """LINE's retry key is a UUID in its hyphenated form; the outbox's key is the delivery's
    UUID in hex (or, for a caller's own key, any text: its UUID5, stable across retries)."""
    try:
        return str(uuid.UUID(key))
    except ValueError:
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"madoguchi:line:{key}"))


def _header(headers, name: str) -> str:
    if not headers:
        return ""
    for key, value in dict(headers).items():
        if key.lower() == name:
            return str(value)
    return ""


def _error_message(exc: ApiException) -> str:
    try:
        return str(json.loads(exc.body or b"{}").get("message") or "")
    except (ValueError, AttributeError):
        return ""


@functools.lru_cache(maxsize=32)
def _api_client(api_base: str, access_token: str) -> ApiClient:
    """One client (one connection pool) per city's API base and token, kept for the process:
    a push reuses the open TLS connection to LINE instead of a handshake per message. urllib3's
    pool is thread-safe; a new token (rotated) gets a new client."""
    configuration = Configuration(host=api_base, access_token=access_token)
    # The outbox retries (with the same retry key); urllib3 must not resend a POST itself.
    configuration.retries = False
    return ApiClient(configuration)


@register
class Line(Channel):
    code = "line"
    label = _("LINE")

    # --- the city's settings ----------------------------------------------------------------

    @property
    def api_base(self) -> str:
        return (self.config.get("api_base") or API_BASE).rstrip("/")

    @property
    def dialog_base(self) -> str:
        return (self.config.get("dialog_base") or DIALOG_BASE).rstrip("/")

    @property
    def dialog_origin(self) -> str:
        """Where the link page's form is redirected on to (its CSP form-action)."""
        parts = urlsplit(self.dialog_base)
        return f"{parts.scheme}://{parts.netloc}"

    @property
    def add_friend_url(self) -> str:
        return self.config.get("add_friend_url") or ""

    @property
    def basic_id(self) -> str:
        return self.config.get("basic_id") or ""

    def check_config(self) -> list[str]:
        missing = [f"secret {name} is missing" for name in ("channel_access_token", "channel_secret")
                   if not self.secrets.get(name)]
        if not self.add_friend_url:
            missing.append("config add_friend_url is missing (the official account's friend URL)")
        for name in ("api_base", "dialog_base", "add_friend_url"):
            value = self.config.get(name)
            if value and not str(value).startswith(("https://", "http://")):
                missing.append(f"config {name} is not an http(s) URL")
        return missing

    def account_link_url(self, link_token: str, nonce: str) -> str:
        """LINE's account-link dialog, where the resident's LINE app confirms the link."""
        return f"{self.dialog_base}/dialog/bot/accountLink?{urlencode({'linkToken': link_token, 'nonce': nonce})}"

    # --- the Messaging API ------------------------------------------------------------------

    def _client(self) -> ApiClient:
        return _api_client(self.api_base, self.secrets.get("channel_access_token", ""))

    def send(self, message: Outgoing) -> Sent:
        text = f"{message.subject}\n{message.body}".strip()[:TEXT_LIMIT]
        request = PushMessageRequest(to=message.address, messages=[TextMessage(text=text)])
        try:
            answer = MessagingApi(self._client()).push_message_with_http_info(
                request, x_line_retry_key=retry_key(message.key), _request_timeout=TIMEOUT)
        except ApiException as exc:
            return self._refused(exc)
        except Exception as exc:  # noqa: BLE001 - a refused connection, a timeout: LINE may have it
            raise TemporaryFailure(type(exc).__name__) from exc
        return Sent(provider_ref=_header(answer.headers, "x-line-request-id"), delivered=True)

    def _refused(self, exc: ApiException) -> Sent:
        status, said = exc.status or 0, _error_message(exc)
        if status == 409:  # this retry key was accepted before: the message went out once
            accepted = _header(exc.headers, "x-line-accepted-request-id")
            return Sent(provider_ref=accepted, delivered=True)
        if status == 429:
            if "monthly limit" in said.lower():
                raise PermanentFailure("rate_limited", detail="monthly limit")
            retry_after = _header(exc.headers, "retry-after")
            raise TemporaryFailure("rate_limited", retry_after=float(retry_after) if retry_after.isdigit() else None)
        if status in (401, 403):
            log.warning("LINE refused the city's channel access token (%s)", status)
            raise PermanentFailure("not_configured", detail=str(status))
        if status == 400:
            lowered = said.lower()
            if "'to'" in lowered:  # an id this channel does not know (another provider's, gone)
                raise PermanentFailure("unlinked", address_dead=True)
            if "failed to send messages" in lowered:  # the user cannot receive: blocked the account
                raise PermanentFailure("blocked", address_dead=True)
            raise PermanentFailure("invalid", detail="400")
        if 400 <= status < 500:
            raise PermanentFailure("invalid", detail=str(status))
        raise TemporaryFailure(f"http {status}")

    def issue_link_token(self, user_id: str) -> str:
        """A link token for this LINE user (valid 10 minutes, once): the start of account link."""
        return MessagingApi(self._client()).issue_link_token(user_id, _request_timeout=TIMEOUT).link_token

    def reply(self, reply_token: str, text: str) -> None:
        """Answer an event the user caused (follow, a message): free of the monthly allowance."""
        MessagingApi(self._client()).reply_message(
            ReplyMessageRequest(reply_token=reply_token, messages=[TextMessage(text=text[:TEXT_LIMIT])]),
            _request_timeout=TIMEOUT)

    # --- the webhook --------------------------------------------------------------------------

    def parse_events(self, body: str, signature: str) -> list:
        """The webhook's events, once `x-line-signature` (HMAC-SHA256 of the body with the
        channel secret) is LINE's; WebhookRefused otherwise, ValueError for a body not LINE's shape."""
        parser = WebhookParser(self.secrets.get("channel_secret", ""))
        try:
            return parser.parse(body, signature or "")
        except InvalidSignatureError:
            raise WebhookRefused("x-line-signature") from None
        except (KeyError, TypeError, AttributeError) as exc:
            raise ValueError(type(exc).__name__) from None

    def parse_status(self, request) -> list:
        """LINE reports nothing about delivery after accepting a message: no status callback.
        A request here is refused unless LINE signed it (its events go to the LINE webhook)."""
        body = request.body.decode("utf-8", "replace")
        with contextlib.suppress(ValueError):  # signed, but not LINE's shape: nothing to report
            self.parse_events(body, request.headers.get("x-line-signature", ""))
        return []
