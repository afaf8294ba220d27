"""The city's LINE webhook: what LINE tells us about the official account's friends.

Every request is LINE's only if `x-line-signature` is the HMAC of its body with the city's
channel secret (403 otherwise; a body of the wrong shape with a good signature is 400). Then:
- follow, or a message saying 「連携」: a link token is asked for and the reply carries the link
  to My Page where the resident confirms (notify/line_link.py tells the whole flow);
- accountLink: the nonce names the account the LINE user is linked to, once;
- unfollow (the user blocked the account): their contact goes.
A LINE API failure while answering is logged and the event still answered 200: LINE would
otherwise redeliver it, and the resident can send 「連携」 again.
"""

import logging

from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.urls import reverse
from django.utils import translation
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from linebot.v3.webhooks import (
    AccountLinkEvent,
    FollowEvent,
    MessageEvent,
    TextMessageContent,
    UnfollowEvent,
    UserSource,
)

from madoguchi.core import cities, i18n
from madoguchi.notify import channels, line_link

log = logging.getLogger(__name__)
LINK_WORDS = ("連携", "れんけい", "link")  # ja-only: words a resident types in LINE to ask for the link again


@csrf_exempt  # LINE's request: proven by its signature, not a cookie
@require_POST
def webhook(request):
    line = channels.channel_for(request.municipality, "line")
    if line is None:
        raise Http404
    try:
        body = request.body.decode("utf-8")
    except UnicodeDecodeError:
        return HttpResponse(status=403)  # LINE signs UTF-8 text: this is not LINE's
    try:
        events = line.parse_events(body, request.headers.get("x-line-signature", ""))
    except channels.WebhookRefused:
        return HttpResponse(status=403)
    except ValueError:
        return HttpResponseBadRequest()
    for event in events:
        # A person's own talk with the account only: a link token asked for in a group chat
        # would be shown to the whole group.
        source = getattr(event, "source", None)
        if isinstance(source, UserSource) and source.user_id:
            _handle(request.municipality, line, event, source.user_id)
    return HttpResponse(status=200)


def _handle(city, line, event, user: str) -> None:
    with translation.override(i18n.DEFAULT):  # LINE does not say the user's language here
        if isinstance(event, FollowEvent) or (
                isinstance(event, MessageEvent) and isinstance(event.message, TextMessageContent)
                and any(word in event.message.text.lower() for word in LINK_WORDS)):
            _invite(city, line, user, event.reply_token)
        elif isinstance(event, AccountLinkEvent):
            _linked(city, line, event, user)
        elif isinstance(event, UnfollowEvent):
            line_link.line_user_left(city, user, "blocked")


def _invite(city, line, user: str, reply_token: str | None) -> None:
    """Reply with the link to My Page that carries a fresh link token for this LINE user."""
    if not reply_token:
        return
    try:
        token = line.issue_link_token(user)
        url = cities.public_url(city, reverse("identity:line_link")) + "?" + urlencode({"linkToken": token})
        text = _("%(city)sのお知らせをLINEで受け取るには、次のリンクを開いて、マイページで連携してください（10分間有効です）。"
                 ) % {"city": city.name}
        line.reply(reply_token, f"{text}\n{url}")
    except Exception as exc:  # noqa: BLE001 - LINE unreachable or refusing: the user can ask again
        log.warning("LINE link invitation not sent (%s)", type(exc).__name__)


def _linked(city, line, event, user: str) -> None:
    contact = None
    if event.link.result == "ok":
        contact = line_link.finish(city, event.link.nonce, user)
    if not event.reply_token:
        return
    if contact is not None:
        text = _("%(city)sのお知らせを、このLINEでお届けします。やめるときは、マイページの「通知の受け取り方」で解除できます。"
                 ) % {"city": city.name}
    else:
        text = _("連携できませんでした。もう一度「連携」と送ってください。")
    try:
        line.reply(event.reply_token, text)
    except Exception as exc:  # noqa: BLE001 - the link stands; only the confirmation is lost
        log.warning("LINE link confirmation not sent (%s)", type(exc).__name__)
