"""A local server speaking the part of the LINE Messaging API that Madoguchi uses, for the tests
and the `make run` demo (LINE cannot be reached from here). line-bot-sdk's MessagingApi is
pointed at it (`Configuration(host=…)`, the city's `api_base`) and talks to it as to api.line.me.

What it speaks, after LINE's Messaging API reference:
- `Authorization: Bearer <channel access token>` (401 `Authentication failed…` otherwise);
  every answer carries `x-line-request-id`; errors are `{"message", "details": [...]}`;
- POST /v2/bot/message/push: `to` and 1–5 text messages of 1–5000 characters (400 with the
  property named otherwise); `X-Line-Retry-Key` must be a hyphenated UUID (400 otherwise); a key
  already accepted is 409 with `x-line-accepted-request-id` (the first request's id) and the
  message is not sent again; a key whose request failed (429, 5xx) may be used again;
- 400 `The property, 'to', …` for an id this channel never saw, 400 `Failed to send messages`
  for a user who blocked the account; `rate_limit(n)` answers the next n API requests with 429;
  `monthly_limit_reached` answers pushes 429 `You have reached your monthly limit.`;
  `refuse_token()` answers 403 (a token not allowed this API); `lose_answers(n)` accepts the
  next n pushes and then drops the connection without answering (the answer lost on the way);
- POST /v2/bot/message/reply with a reply token from an event this server sent (once, within a
  minute; 400 `Invalid reply token` otherwise);
- POST /v2/bot/user/{userId}/linkToken: a link token for a friend of the account (10 minutes,
  once);
- GET /dialog/bot/accountLink?linkToken=…&nonce=… (LINE's account-link dialog, on the
  `dialog_base` host): the LINE user opening it (this server's `line_user` cookie, which LINE's
  app knows as its logged-in user) must be the one the token was issued for; then the signed
  `accountLink` event (`link.result` ok, or failed for another user) goes to the webhook and a
  page says what happened;
- signed webhooks: `x-line-signature` = base64(HMAC-SHA256(body, channel secret)), events
  `follow` (with a reply token), `unfollow` (a block), `message` (text), `accountLink`.

And the LINE user's side, for a browser: GET /friend is the add-friend page (the city's
`add_friend_url`): 友だち追加 makes this browser a LINE user (the cookie), sends the follow event and
shows /chat, the user's talk with the account (replies and pushes, links clickable), where a
text can be sent ("連携") or the account blocked. Tests may drive the same without a browser:
`follow()`, `say()`, `unfollow()`, `messages_for()`.

Run it for a demo: `python tests/notify/line_server.py --port 8014 --webhook-url URL`
(`configure_city` shows the settings a city needs). Built on the standard library's http.server
through madoguchi.core.local_server: nothing here must be fast.
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
import uuid
from dataclasses import dataclass, field

from madoguchi.core.local_server import LocalHandler, LocalServer

ACCESS_TOKEN = "local-line-channel-access-token"
CHANNEL_SECRET = "local-line-channel-secret"
BASIC_ID = "@madoguchi-demo"
USER_ID = re.compile(r"^U[0-9a-f]{32}$")
UUID_FORM = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
COOKIE = "line_user"


@dataclass
class Issued:
    """A link token or a reply token: for one user, once, until `expires`."""

    user: str
    expires: float
    used: bool = False


@dataclass
class Answer:
    status: int
    body: dict | str
    headers: dict = field(default_factory=dict)
    content_type: str = "application/json"


class LocalLine(LocalServer):
    """LINE's platform for one Messaging API channel; `start()` serves on 127.0.0.1 (a free port
    unless given). Every push, reply and webhook delivery is recorded for the tests."""

    def __init__(self, *, channel_secret: str = CHANNEL_SECRET, access_token: str = ACCESS_TOKEN,
                 webhook_url: str = "", port: int = 0, host: str = "127.0.0.1", basic_id: str = BASIC_ID):
        self.channel_secret, self.access_token = channel_secret, access_token
        self.webhook_url, self.basic_id = webhook_url, basic_id
        self._port, self._host = port, host
        self.lock = threading.RLock()
        self.bot_user_id = "U" + secrets.token_hex(16)
        self.friends: set[str] = set()
        self.blocked: set[str] = set()
        self.pushes: list[dict] = []      # accepted pushes: {to, messages, retry_key, request_id}
        self.replies: list[dict] = []     # accepted replies: {to, messages, reply_token}
        self.requests: list[tuple[str, str, int]] = []  # (method, path, status) of API calls
        self.webhooks: list[tuple[str, int]] = []       # (event type, Madoguchi's status)
        self.accepted_keys: dict[str, str] = {}         # retry key → request id
        self.link_tokens: dict[str, Issued] = {}
        self.reply_tokens: dict[str, Issued] = {}
        self.talk: dict[str, list[str]] = {}            # user → texts the account sent them
        self.failing: list[int] = []  # statuses to answer the next API calls with (429, 500)
        self.retry_after: int | None = None
        # How webhooks reach Madoguchi: over HTTP by default; a test may hand them to Django's
        # test client instead (a callable (body, signature) → status), in its own thread.
        self.transport = None
        self.token_refused = False
        self.monthly_limit_reached = False
        self.answers_to_lose = 0
        self.offset = 0.0

    def handler(self):
        return type("Handler", (_Handler,), {"line": self})

    @property
    def base_url(self) -> str:
        return f"http://{self._host}:{self.bound_port}"

    @property
    def add_friend_url(self) -> str:
        return f"{self.base_url}/friend"

    def now(self) -> float:
        return time.time() + self.offset

    def advance(self, seconds: float) -> None:
        """Move the clock on (a link token outlives its 10 minutes without waiting)."""
        self.offset += seconds

    # --- switches for the tests ----------------------------------------------------------

    def rate_limit(self, requests: int, retry_after: int | None = None) -> None:
        """Answer the next `requests` API calls with 429 (LINE's rate limit)."""
        self.fail(requests, 429)
        self.retry_after = retry_after

    def fail(self, requests: int, status: int = 500) -> None:
        """Answer the next `requests` API calls with `status` (a 5xx: LINE's trouble)."""
        with self.lock:
            self.failing += [status] * requests

    def refuse_token(self, refused: bool = True) -> None:
        self.token_refused = refused

    def lose_answers(self, pushes: int) -> None:
        """Accept the next `pushes` pushes, then drop the connection before answering."""
        self.answers_to_lose = pushes

    # --- a LINE user, as a test plays one --------------------------------------------------

    @staticmethod
    def new_user() -> str:
        return "U" + secrets.token_hex(16)

    def befriend(self, user: str | None = None) -> str:
        """A friend of the account whose follow event is not sent (linked earlier)."""
        user = user or self.new_user()
        with self.lock:
            self.friends.add(user)
            self.blocked.discard(user)
        return user

    def open_dialog(self, url: str, user: str) -> Answer:
        """The LINE user `user` opens the account-link dialog URL (in this thread)."""
        query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))
        return self.account_link(query, user)

    def follow(self, user: str | None = None) -> tuple[str, int]:
        """The user adds the account as a friend (or unblocks it): the follow event goes out."""
        user = user or self.new_user()
        with self.lock:
            unblocked = user in self.blocked
            self.friends.add(user)
            self.blocked.discard(user)
        status = self.deliver([self._event("follow", user, reply=True, follow={"isUnblocked": unblocked})])
        return user, status

    def unfollow(self, user: str) -> int:
        """The user blocks the account: LINE sends unfollow (and no reply token)."""
        self.block_quietly(user)
        return self.deliver([self._event("unfollow", user)])

    def block_quietly(self, user: str) -> None:
        """The user blocked the account, and its webhook never reached Madoguchi."""
        with self.lock:
            self.friends.discard(user)
            self.blocked.add(user)

    def say(self, user: str, text: str) -> int:
        message = {"type": "text", "id": str(secrets.randbelow(10**18)), "quoteToken": secrets.token_urlsafe(16),
                   "text": text}
        return self.deliver([self._event("message", user, reply=True, message=message)])

    def messages_for(self, user: str) -> list[str]:
        with self.lock:
            return list(self.talk.get(user, []))

    def link_for(self, user: str) -> str:
        """The newest URL the account sent this user (the account-link URL after a follow)."""
        for text in reversed(self.messages_for(user)):
            found = re.findall(r"https?://\S+", text)
            if found:
                return found[-1]
        raise AssertionError(f"no link was sent to {user}: {self.messages_for(user)}")

    def pushes_to(self, user: str) -> list[dict]:
        with self.lock:
            return [p for p in self.pushes if p["to"] == user]

    def cookie(self, user: str) -> dict:
        """The LINE app's login, for a browser context (Playwright's add_cookies)."""
        return {"name": COOKIE, "value": user, "url": self.base_url}

    # --- webhooks ------------------------------------------------------------------------

    def _event(self, kind: str, user: str, reply: bool = False, **content) -> dict:
        event = {"type": kind, "mode": "active", "timestamp": int(self.now() * 1000),
                 "source": {"type": "user", "userId": user},
                 "webhookEventId": uuid.uuid4().hex.upper()[:26],
                 "deliveryContext": {"isRedelivery": False}, **content}
        if reply:
            token = secrets.token_hex(16)
            with self.lock:
                self.reply_tokens[token] = Issued(user, self.now() + 60)
            event["replyToken"] = token
        return event

    def sign(self, body: bytes, secret: str | None = None) -> str:
        key = (secret or self.channel_secret).encode()
        return base64.b64encode(hmac.new(key, body, hashlib.sha256).digest()).decode()

    def deliver(self, events: list[dict], url: str | None = None, signature: str | None = None,
                body: bytes | None = None) -> int:
        """POST the events to Madoguchi's webhook as LINE does; returns Madoguchi's status."""
        body = body if body is not None else json.dumps(
            {"destination": self.bot_user_id, "events": events}, ensure_ascii=False).encode()
        if self.transport is not None:
            status = self.transport(body, signature if signature is not None else self.sign(body))
            with self.lock:
                self.webhooks += [(e.get("type", "?"), status) for e in events] or [("(none)", status)]
            return status
        request = urllib.request.Request(url or self.webhook_url, data=body, method="POST", headers={  # noqa: S310
            "Content-Type": "application/json; charset=utf-8", "User-Agent": "LineBotWebhook/2.0",
            "x-line-signature": signature if signature is not None else self.sign(body)})
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310 - our own URL
                status = answer.status
        except urllib.error.HTTPError as exc:
            status = exc.code
        with self.lock:
            self.webhooks += [(e.get("type", "?"), status) for e in events] or [("(none)", status)]
        return status

    # --- the API -------------------------------------------------------------------------

    def _sent(self, user: str, messages: list[dict]) -> None:  # under self.lock
        self.talk.setdefault(user, []).extend(m["text"] for m in messages)

    def push(self, body: dict, retry_key: str | None) -> Answer:
        if retry_key is not None and not UUID_FORM.match(retry_key):
            return Answer(400, {"message": "The value for the 'X-Line-Retry-Key' header is invalid"})
        if retry_key and retry_key in self.accepted_keys:
            accepted = self.accepted_keys[retry_key]
            return Answer(409, {"message": "The retry key is already accepted",
                                "sentMessages": [{"id": accepted, "quoteToken": "q"}]},
                          {"x-line-accepted-request-id": accepted})
        problem = _check_messages(body)
        if problem is not None:
            return problem
        user = body.get("to")
        if not isinstance(user, str) or not USER_ID.match(user) or (
                user not in self.friends and user not in self.blocked):
            return Answer(400, {"message": "The property, 'to', in the request body is invalid (line: -, column: -)"})
        if user in self.blocked:
            return Answer(400, {"message": "Failed to send messages"})
        request_id = str(uuid.uuid4())
        self.pushes.append({"to": user, "messages": body["messages"], "retry_key": retry_key,
                            "request_id": request_id})
        self._sent(user, body["messages"])
        if retry_key:
            self.accepted_keys[retry_key] = request_id
        return Answer(200, {"sentMessages": [{"id": str(secrets.randbelow(10**18)), "quoteToken": "q"}]},
                      {"x-line-request-id": request_id})

    def reply(self, body: dict) -> Answer:
        token = body.get("replyToken")
        issued = self.reply_tokens.get(token) if isinstance(token, str) else None
        if issued is None or issued.used or issued.expires < self.now():
            return Answer(400, {"message": "Invalid reply token"})
        problem = _check_messages(body)
        if problem is not None:
            return problem
        issued.used = True
        self.replies.append({"to": issued.user, "messages": body["messages"], "reply_token": token})
        self._sent(issued.user, body["messages"])
        return Answer(200, {"sentMessages": [{"id": str(secrets.randbelow(10**18)), "quoteToken": "q"}]})

    def issue_link_token(self, user: str) -> Answer:
        if user not in self.friends:
            return Answer(400, {"message": "The user hasn't added the LINE Official Account as a friend"})
        token = secrets.token_urlsafe(24)
        self.link_tokens[token] = Issued(user, self.now() + 600)
        return Answer(200, {"linkToken": token})

    def account_link(self, query: dict, viewer: str | None) -> Answer:
        """LINE's dialog: the viewer must be the token's user; the event follows."""
        token, nonce = query.get("linkToken", ""), query.get("nonce", "")
        if viewer is None:
            return _page(401, "LINEにログインしてください", "このページはLINEアプリで開いてください。")
        with self.lock:
            issued = self.link_tokens.get(token)
            if issued is None or issued.used or issued.expires < self.now():
                return _page(400, "連携できません", "このリンクは無効か、有効期限が切れています。")
            if not 10 <= len(nonce) <= 255:
                return _page(400, "連携できません", "nonce が正しくありません。")
            issued.used = True
        result = "ok" if viewer == issued.user else "failed"
        status = self.deliver([self._event("accountLink", viewer, reply=True,
                                           link={"result": result, "nonce": nonce})])
        if result != "ok":
            return _page(403, "連携できません", "別のLINEアカウントで開かれました。")
        if status != 200:
            return _page(502, "連携できません", f"サービスが応答しませんでした（{status}）。")
        return _page(200, "連携しました", "アカウントの連携が完了しました。トーク画面に戻ってください。",
                     f'<p><a href="{self.base_url}/chat">トークに戻る</a></p>')


def _check_messages(body: dict) -> Answer | None:
    messages = body.get("messages") if isinstance(body, dict) else None
    details = []
    if not isinstance(messages, list) or not 1 <= len(messages) <= 5:
        details.append({"message": "Size must be between 1 and 5", "property": "messages"})
    else:
        for n, message in enumerate(messages):
            if not isinstance(message, dict) or message.get("type") != "text":
                details.append({"message": "Only text messages here", "property": f"messages[{n}].type"})
            elif not isinstance(message.get("text"), str) or not 1 <= len(message["text"]) <= 5000:
                details.append({"message": "Length must be between 1 and 5000", "property": f"messages[{n}].text"})
    if details:
        return Answer(400, {"message": f"The request body has {len(details)} error(s)", "details": details})
    return None


def _page(status: int, title: str, text: str, extra: str = "") -> Answer:
    return Answer(status, (
        f'<!doctype html><html lang="ja"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1"><title>{html.escape(title)}</title>'
        f'</head><body><main><h1>{html.escape(title)}</h1><p>{html.escape(text)}</p>{extra}</main></body></html>'),
        content_type="text/html")


def _linked(text: str) -> str:
    escaped = html.escape(text)
    return re.sub(r"(https?://[^\s<]+)", r'<a href="\1">\1</a>', escaped).replace("\n", "<br>")


class _Handler(LocalHandler):
    line: LocalLine

    def _serve(self, method: str) -> None:
        url = urllib.parse.urlsplit(self.path)
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        line = self.line
        if url.path.startswith("/v2/"):
            with line.lock:  # not around the user's pages: their webhooks call the API back
                answer = self._api(method, url.path, raw)
                line.requests.append((method, url.path, answer.status if answer else 0))
            if answer is None:  # accepted, and the answer lost on the way
                self.close_connection = True
                self.connection.shutdown(2)
                return
        else:
            answer = self._user(method, url, raw)
        self._answer(answer)

    def _api(self, method: str, path: str, raw: bytes) -> Answer | None:
        line = self.line
        if self.headers.get("Authorization") != f"Bearer {line.access_token}":
            return Answer(401, {"message": "Authentication failed. Confirm that the access token in the "
                                           "authorization header is valid."})
        if line.failing:
            status = line.failing.pop(0)
            if status == 429:
                return Answer(429, {"message": "Too Many Requests"},
                              {"Retry-After": str(line.retry_after)} if line.retry_after else {})
            return Answer(status, {"message": "Internal Server Error"})
        if line.monthly_limit_reached and path == "/v2/bot/message/push":
            return Answer(429, {"message": "You have reached your monthly limit."})
        if line.token_refused:
            return Answer(403, {"message": "Not authorized to use this API. Confirm that your account or plan "
                                           "is authorized to use the API."})
        if method != "POST":
            return Answer(404, {"message": "Not found"})
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            return Answer(400, {"message": "The request body is not valid JSON"})
        if path == "/v2/bot/message/push":
            answer = line.push(body, self.headers.get("X-Line-Retry-Key"))
            if answer.status == 200 and line.answers_to_lose > 0:
                line.answers_to_lose -= 1
                return None
            return answer
        if path == "/v2/bot/message/reply":
            return line.reply(body)
        found = re.fullmatch(r"/v2/bot/user/([^/]+)/linkToken", path)
        if found:
            return line.issue_link_token(found.group(1))
        return Answer(404, {"message": "Not found"})

    def _viewer(self) -> str | None:
        for part in (self.headers.get("Cookie") or "").split(";"):
            name, _, value = part.strip().partition("=")
            if name == COOKIE and USER_ID.match(value):
                return value
        return None

    def _user(self, method: str, url, raw: bytes) -> Answer:
        line, viewer = self.line, self._viewer()
        query = dict(urllib.parse.parse_qsl(url.query))
        if url.path == "/dialog/bot/accountLink" and method == "GET":
            return line.account_link(query, viewer)
        if url.path == "/friend" and method == "GET":
            return _page(200, f"{line.basic_id} を友だち追加", "LINE公式アカウントを友だちに追加します。",
                         '<form method="post" action="/friend"><button>友だち追加</button></form>')
        if url.path == "/friend" and method == "POST":
            user, _status = line.follow(viewer)
            return Answer(303, "", {"Location": "/chat", "Set-Cookie": f"{COOKIE}={user}; Path=/; HttpOnly"},
                          content_type="text/html")
        if url.path == "/chat" and viewer is not None:
            form = dict(urllib.parse.parse_qsl(raw.decode("utf-8", "replace")))
            if method == "POST" and form.get("block"):
                line.unfollow(viewer)
            elif method == "POST" and form.get("text"):
                line.say(viewer, form["text"])
            if method == "POST":
                return Answer(303, "", {"Location": "/chat"}, content_type="text/html")
            talk = "".join(f'<li class="line-message">{_linked(text)}</li>' for text in line.messages_for(viewer))
            return _page(200, f"{line.basic_id} とのトーク", "公式アカウントからのメッセージ：",
                         f'<ol id="talk">{talk}</ol>'
                         '<form method="post" action="/chat"><label for="text">メッセージ</label> '
                         '<input id="text" name="text"><button>送信</button></form>'
                         '<form method="post" action="/chat"><input type="hidden" name="block" value="1">'
                         '<button>ブロック</button></form>')
        return _page(404, "見つかりません", "このページはありません。")

    def _answer(self, answer: Answer) -> None:
        body = answer.body if isinstance(answer.body, str) else json.dumps(answer.body)
        data = body.encode()
        self.send_response(answer.status)
        self.send_header("Content-Type", f"{answer.content_type}; charset=UTF-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("x-line-request-id", answer.headers.get("x-line-request-id") or str(uuid.uuid4()))
        for name, value in answer.headers.items():
            if name != "x-line-request-id":
                self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)


def configure_city(city, server: LocalLine, **secrets_):
    """Turn LINE on for `city` (a Municipality), pointed at `server`; `secrets_` override the
    right ones (e.g. a wrong channel_secret). Django is imported here only: the server itself
    runs without it."""
    from madoguchi.notify.models import ChannelSetting

    setting, _ = ChannelSetting.objects.update_or_create(
        municipality=city, channel="line",
        defaults={"enabled": True, "config": {"api_base": server.base_url, "dialog_base": server.base_url,
                                              "add_friend_url": server.add_friend_url,
                                              "basic_id": server.basic_id}})
    setting.set_secrets({"channel_access_token": server.access_token,
                         "channel_secret": server.channel_secret, **secrets_})
    setting.save()
    return setting


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description="Local LINE Messaging API stand-in.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--webhook-url", default="", help="Madoguchi's /notify/line/webhook/")
    parser.add_argument("--channel-secret", default=CHANNEL_SECRET)
    parser.add_argument("--access-token", default=ACCESS_TOKEN)
    args = parser.parse_args(argv)
    server = LocalLine(channel_secret=args.channel_secret, access_token=args.access_token,
                       webhook_url=args.webhook_url, port=args.port, host=args.host).start()
    print(f"LINE api_base={server.base_url} add_friend_url={server.add_friend_url}", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        server.stop()


if __name__ == "__main__":
    main()
