"""The LINE channel against the local LINE server (tests/notify/line_server.py): pushes carry
the short text and the link, every attempt of a delivery the same X-Line-Retry-Key (so an
answer lost on the way never sends twice), 429 and 5xx wait and retry, a blocked or unknown
user disables the contact and the notice falls back to e-mail, and a city's wrong token
keeps the contact."""

import uuid
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.utils import timezone
from line_server import LocalLine, configure_city

from madoguchi.notify import channels
from madoguchi.notify.channels.line import Line, retry_key
from madoguchi.notify.models import ChannelSetting, Contact, OutboxMessage, OutboxStatus
from madoguchi.notify.services import add_contact, deliver_pending, tell

RECEIPT = "R-2026-000123"


@pytest.fixture
def line(city):
    city.channels = []
    city.save()
    with LocalLine() as server:
        configure_city(city, server)
        yield server


@pytest.fixture
def linked(city, resident, line):
    """The resident's LINE account, linked earlier."""
    user = line.befriend()
    return add_contact(city, resident.ref, "line", user, label="LINE"), user


def _tell(city, resident, key="returned:1", **extra):
    return tell(city, "returned", key=key, person=resident.ref, email=resident.email,
                email_template="status_returned", about="submission:1", link="/mypage/submissions/abc/",
                context={"submission": SimpleNamespace(receipt_number=RECEIPT, procedure_name="児童手当")},
                **extra)


def _later(minutes: int = 60):
    return timezone.now() + timedelta(minutes=minutes)


def test_a_notice_is_pushed_to_the_linked_user_with_its_link_and_the_deliverys_retry_key(city, resident, line, linked):
    contact, user = linked
    message = _tell(city, resident)
    assert message.channel == "line"
    assert deliver_pending() == 1
    (push,) = line.pushes_to(user)
    assert push["retry_key"] == str(uuid.UUID(message.mail_id.hex))
    (text,) = [m["text"] for m in push["messages"]]
    assert text.rstrip().endswith("http://testserver/mypage/submissions/abc/")
    assert city.name in text
    message.refresh_from_db()
    # LINE reports nothing after accepting: accepted is delivered, matched by its request id.
    assert (message.status, message.provider_ref) == (OutboxStatus.DELIVERED, push["request_id"])
    assert message.body is None


def test_the_default_text_names_nothing_personal_and_the_opt_in_adds_the_receipt_number(city, resident, line, linked):
    contact, user = linked
    _tell(city, resident, key="returned:plain")
    Contact.objects.filter(pk=contact.pk).update(detail=True)
    _tell(city, resident, key="returned:detail")
    deliver_pending()
    plain, detailed = (p["messages"][0]["text"] for p in line.pushes_to(user))
    for personal in (RECEIPT, "児童手当", resident.email, "hanako"):
        assert personal not in plain
    assert RECEIPT in detailed


def test_an_answer_lost_on_the_way_is_retried_with_the_same_key_and_never_sent_twice(city, resident, line, linked):
    contact, user = linked
    line.lose_answers(1)  # LINE took the push, the connection broke before its answer
    message = _tell(city, resident)
    assert deliver_pending() == 0
    message.refresh_from_db()
    assert message.status == OutboxStatus.PENDING and message.attempts == 1
    first = line.pushes_to(user)[0]["request_id"]

    assert deliver_pending(now=_later()) == 1
    assert len(line.pushes_to(user)) == 1  # the retry was answered 409: accepted before
    assert line.requests[-1] == ("POST", "/v2/bot/message/push", 409)
    message.refresh_from_db()
    assert (message.status, message.provider_ref) == (OutboxStatus.DELIVERED, first)


def test_too_many_requests_waits_as_long_as_line_says_then_sends_once(city, resident, line, linked):
    contact, user = linked
    line.rate_limit(1, retry_after=600)
    message = _tell(city, resident)
    assert deliver_pending() == 0
    message.refresh_from_db()
    assert message.status == OutboxStatus.PENDING
    assert message.next_attempt_at >= timezone.now() + timedelta(seconds=590)
    assert line.pushes_to(user) == []

    assert deliver_pending(now=_later(11)) == 1
    assert len(line.pushes_to(user)) == 1


def test_a_server_error_is_tried_again_later_with_the_same_key(city, resident, line, linked):
    contact, user = linked
    line.fail(2, 503)
    message = _tell(city, resident)
    assert deliver_pending() == 0
    message.refresh_from_db()
    assert message.status == OutboxStatus.PENDING and message.next_attempt_at > timezone.now()
    assert deliver_pending(now=_later()) == 1  # the second attempt fails too, the third goes
    message.refresh_from_db()
    assert (message.status, message.attempts) == (OutboxStatus.DELIVERED, 3)
    assert len(line.pushes_to(user)) == 1


def test_a_user_who_blocked_the_account_disables_the_contact_and_the_notice_goes_by_mail(
        city, resident, line, linked, smtp):
    contact, user = linked
    line.block_quietly(user)  # its unfollow webhook never arrived
    message = _tell(city, resident)
    deliver_pending()
    deliver_pending()
    message.refresh_from_db()
    assert (message.status, message.failure) == (OutboxStatus.FAILED, "blocked")
    contact.refresh_from_db()
    assert contact.disabled_at is not None and contact.disabled_reason == "blocked"
    fallback = OutboxMessage.objects.get(fallback_of=message)
    assert (fallback.channel, fallback.status) == ("email", OutboxStatus.SENT)
    assert [rcpt for rcpt, _mail in smtp.messages] == [[resident.email]]
    assert line.pushes_to(user) == []


def test_an_id_line_does_not_know_is_unlinked_for_good(city, resident, line):
    contact = add_contact(city, resident.ref, "line", LocalLine.new_user(), label="LINE")
    message = _tell(city, resident)
    deliver_pending()
    message.refresh_from_db()
    assert (message.status, message.failure) == (OutboxStatus.FAILED, "unlinked")
    contact.refresh_from_db()
    assert contact.disabled_reason == "unlinked"
    assert OutboxMessage.objects.get(fallback_of=message).channel == "email"


@pytest.mark.parametrize("fault", ["refused", "wrong token"])
def test_the_citys_token_refused_falls_back_but_keeps_the_residents_contact(city, resident, line, linked, fault):
    contact, user = linked
    if fault == "refused":
        line.refuse_token()
    else:
        setting = ChannelSetting.objects.get(municipality=city, channel="line")
        setting.set_secrets({**setting.secret_values, "channel_access_token": "not-the-token"})
        setting.save()
    message = _tell(city, resident)
    deliver_pending()
    message.refresh_from_db()
    assert (message.status, message.failure) == (OutboxStatus.FAILED, "not_configured")
    contact.refresh_from_db()
    assert contact.disabled_at is None
    assert OutboxMessage.objects.get(fallback_of=message).channel == "email"


def test_check_config_names_what_is_missing(city):
    setting = ChannelSetting.objects.create(municipality=city, channel="line", enabled=True,
                                            config={"api_base": "ftp://x"})
    problems = Line(setting).check_config()
    assert any("channel_access_token" in p for p in problems)
    assert any("channel_secret" in p for p in problems)
    assert any("add_friend_url" in p for p in problems)
    assert any("api_base" in p for p in problems)
    assert channels.channel_for(city, "line") is None
    setting.config = {"add_friend_url": "https://lin.ee/abc"}
    setting.set_secrets({"channel_access_token": "t", "channel_secret": "s"})
    setting.save()
    assert Line(setting).check_config() == []
    assert isinstance(channels.channel_for(city, "line"), Line)


def test_a_key_that_is_not_a_uuid_still_gives_one_stable_uuid():
    assert retry_key("abc") == retry_key("abc") != retry_key("abd")
    assert str(uuid.UUID(retry_key("abc"))) == retry_key("abc")
    assert retry_key(uuid.UUID(int=5).hex) == str(uuid.UUID(int=5))


def test_the_demo_is_configured_with_the_channel_command(city):
    """The line `make run` uses to point デモ市's LINE at the local LINE server."""
    from django.core.management import call_command

    city.channels = []
    city.save()
    base = "http://127.0.0.1:8014"
    call_command("channel", "set", "demo", "line", "--config", f"api_base={base}",
                 "--config", f"dialog_base={base}", "--config", f"add_friend_url={base}/friend",
                 "--config", "basic_id=@madoguchi-demo",
                 "--secret", "channel_access_token=local-line-channel-access-token",
                 "--secret", "channel_secret=local-line-channel-secret", "--enable", stdout=open("/dev/null", "w"))  # noqa: SIM115
    line = channels.channel_for(city, "line")
    assert isinstance(line, Line) and line.api_base == base and line.dialog_origin == base


def test_the_monthly_message_limit_goes_by_mail_at_once(city, resident, line, linked):
    contact, user = linked
    line.monthly_limit_reached = True
    message = _tell(city, resident)
    deliver_pending()
    message.refresh_from_db()
    assert (message.status, message.failure, message.attempts) == (OutboxStatus.FAILED, "rate_limited", 1)
    contact.refresh_from_db()
    assert contact.disabled_at is None
    assert OutboxMessage.objects.get(fallback_of=message).channel == "email"
