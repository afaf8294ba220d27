"""The city's LINE webhook: only requests signed with the city's channel secret are read (403
otherwise, 400 for a signed body of the wrong shape, never a 500); a follow or 「連携」 is
answered with the link to My Page carrying a fresh link token; an unfollow removes the contact
and moves what was queued for it to the next channel."""

# ruff: noqa: F811 - the shared fixture is imported by name

import json

import pytest
from django.test import Client
from line_server import CHANNEL_SECRET
from line_support import line, post_webhook  # noqa: F401 - the fixture

from madoguchi.notify.models import ChannelSetting, Contact, OutboxMessage, OutboxStatus
from madoguchi.notify.services import add_contact, tell


def _body(line, *events) -> bytes:
    return json.dumps({"destination": line.bot_user_id, "events": list(events)}).encode()


def test_a_request_not_signed_with_the_citys_secret_is_refused_and_does_nothing(city, line):
    client, user = Client(), line.befriend()
    body = _body(line, line._event("follow", user, reply=True, follow={"isUnblocked": False}))
    assert post_webhook(client, body, None).status_code == 403
    assert post_webhook(client, body, "").status_code == 403
    assert post_webhook(client, body, line.sign(body, secret="another-channel")).status_code == 403
    assert post_webhook(client, body, line.sign(b'{"events": []}')).status_code == 403
    assert post_webhook(client, b"\xff\xfe" + body, line.sign(body)).status_code == 403
    assert line.requests == [] and line.messages_for(user) == []


@pytest.mark.parametrize("body", [b"not json", b"{}", b"[]", b'{"events": "x"}', b'{"events": [1]}',
                                  b'{"events": [{"type": "accountLink"}]}',
                                  b'{"events": [{"type": "follow", "source": {"type": "user"}}]}'])
def test_a_signed_body_of_another_shape_is_never_a_server_error(city, line, body):
    status = post_webhook(Client(), body, line.sign(body)).status_code
    assert status in (200, 400)


def test_lines_verify_request_without_events_is_answered(city, line):
    assert line.deliver([]) == 200


def test_a_city_without_line_has_no_webhook(city, line):
    ChannelSetting.objects.filter(municipality=city, channel="line").update(enabled=False)
    body = _body(line)
    assert post_webhook(Client(), body, line.sign(body)).status_code == 404


def test_a_follow_is_answered_with_the_link_to_my_page_carrying_a_link_token(city, line):
    user, status = line.follow()
    assert status == 200
    link = line.link_for(user)
    assert link.startswith("http://testserver/mypage/notifications/line/link/?linkToken=")
    token = link.rsplit("=", 1)[1]
    assert line.link_tokens[token].user == user
    assert [r["to"] for r in line.replies] == [user]  # a reply: no push, no message allowance used


def test_asking_for_the_link_again_in_the_talk_sends_a_new_one_and_small_talk_nothing(city, line):
    user = line.befriend()
    assert line.say(user, "こんにちは") == 200
    assert line.messages_for(user) == []
    assert line.say(user, "連携") == 200
    assert "linkToken=" in line.link_for(user)


def test_a_link_token_line_refuses_still_answers_200(city, line):
    line.fail(1, 500)
    user, status = line.follow()
    assert status == 200
    assert line.messages_for(user) == []


def test_an_unfollow_removes_the_contact_and_what_was_queued_for_it_goes_by_mail(city, resident, line):
    user = line.befriend()
    contact = add_contact(city, resident.ref, "line", user, label="LINE")
    message = tell(city, "returned", key="returned:9", person=resident.ref, email=resident.email,
                   email_template="status_returned", context={"submission": {"receipt_number": "R-1"}})
    assert message.channel == "line" and message.status == OutboxStatus.PENDING

    assert line.unfollow(user) == 200
    assert not Contact.objects.filter(pk=contact.pk).exists()
    message.refresh_from_db()
    assert (message.status, message.failure) == (OutboxStatus.FAILED, "blocked")
    assert OutboxMessage.objects.get(fallback_of=message).channel == "email"


def test_the_webhook_reads_the_secret_of_its_own_city(city, other_city, line):
    """Another city's secret does not sign this city's webhook (LINE ids are per provider)."""
    assert line.channel_secret == CHANNEL_SECRET
    setting = ChannelSetting.objects.get(municipality=city, channel="line")
    setting.set_secrets({**setting.secret_values, "channel_secret": "this-citys-own"})
    setting.save()
    user = line.befriend()
    assert line.say(user, "連携") == 403


def test_asking_for_the_link_in_a_group_chat_is_not_answered(city, line):
    user = line.befriend()
    event = line._event("message", user, reply=True, message={
        "type": "text", "id": "1", "quoteToken": "q", "text": "連携"})
    event["source"] = {"type": "group", "groupId": "C" + "0" * 32, "userId": user}
    assert line.deliver([event]) == 200
    assert line.messages_for(user) == [] and line.link_tokens == {}
