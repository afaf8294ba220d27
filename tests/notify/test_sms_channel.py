"""The SMS channel against the local Twilio server: what is sent, how Twilio's errors end a
delivery, the per-number limit, and the signed status callbacks (delivered, undelivered →
the next channel, e-mail)."""

# ruff: noqa: F811 - the shared fixtures are imported by name

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st
from sms_server import ACCOUNT_SID, AUTH_TOKEN, twilio_signature
from sms_support import (  # noqa: F401 - fixtures
    HOOK,
    NUMBER,
    SENDER,
    configure_sms,
    replay,
    sms_city,
    sms_server,
    tell_message,
    with_number,
)

from madoguchi.notify import channels, services
from madoguchi.notify.channels.sms import MAX_SEGMENTS, Sms, segments, sms_text
from madoguchi.notify.models import ChannelSetting, Contact, OutboxMessage, OutboxStatus


def _deliveries(city):
    return list(OutboxMessage.objects.filter(municipality=city).order_by("pk"))


# --- settings -----------------------------------------------------------------------------------

def test_incomplete_settings_are_named_and_the_channel_is_not_offered(city):
    configure_sms(city, "http://127.0.0.1:9", secrets={}, **{"from": "", "hourly_limit_per_number": 0})
    problems = Sms(ChannelSetting.objects.get(municipality=city, channel="sms")).check_config()
    assert [p.split(":")[0] for p in problems] == [
        "secrets.account_sid", "secrets.auth_token", "config.from", "config.hourly_limit_per_number"]
    assert channels.channel_for(city, "sms") is None


@pytest.mark.parametrize("sender", ["+15005550006", "MG" + "a" * 32, "DemoCity"])
def test_a_number_a_sender_id_or_a_messaging_service_is_a_sender(city, sender):
    configure_sms(city, "http://127.0.0.1:9", **{"from": sender})
    assert isinstance(channels.channel_for(city, "sms"), Sms)


def test_the_status_callback_defaults_to_the_city_hook(city):
    setting = configure_sms(city, "http://127.0.0.1:9")
    setting.config.pop("status_callback")
    assert Sms(setting).status_callback(city).endswith("/notify/hooks/sms/")


# --- what is sent ---------------------------------------------------------------------------

def test_a_notice_goes_by_sms_with_its_title_and_link_and_a_status_callback(sms_city, sms_server, resident):
    with_number(sms_city, resident)
    tell_message(sms_city, resident)
    assert services.deliver_pending() == 1
    (sent,) = sms_server.messages
    form = sent["form"]
    assert (form["To"], form["From"], form["StatusCallback"]) == (NUMBER, SENDER, HOOK)
    assert form["Body"].endswith("\nhttp://testserver/mypage/")
    assert "R-0001" not in form["Body"]  # nothing personal without the resident's opt-in
    assert segments(form["Body"]) == 1 and sent["num_segments"] == "1"
    (row,) = _deliveries(sms_city)
    assert (row.channel, row.status, row.provider_ref) == ("sms", OutboxStatus.SENT, sent["sid"])
    assert row.body is None  # the text is not kept once sent
    assert mail.outbox == []


def test_a_messaging_service_is_named_instead_of_a_number(city, sms_server, resident):
    service = "MG" + "b" * 32
    configure_sms(city, sms_server.base_url, **{"from": service})
    with_number(city, resident)
    tell_message(city, resident)
    services.deliver_pending()
    (sent,) = sms_server.messages
    assert sent["form"]["MessagingServiceSid"] == service and "From" not in sent["form"]
    assert sent["status"] == "accepted"


def test_a_long_title_is_cut_and_the_link_stays_whole():
    url = "https://city.example.lg.jp/mypage/submissions/12345/?lang=ja"
    text = sms_text("お知らせ" * 200, "", url)
    assert text.endswith("…\n" + url)
    assert segments(text) == MAX_SEGMENTS
    assert segments(sms_text("デモ市からお知らせがあります", "", "https://city.example.lg.jp/mypage/?lang=ja")) == 1


@given(title=st.text(min_size=1, max_size=400).filter(str.strip),
       path=st.text("abcdefghijklmnopqrstuvwxyz0123456789/-", max_size=120))
def test_any_title_fits_in_a_few_segments_with_the_link_whole(title, path):
    url = f"https://city.example.lg.jp/{path}"
    text = sms_text(title, "", url)
    assert text.endswith("\n" + url)
    assert segments(text) <= MAX_SEGMENTS


def test_a_message_without_a_link_is_its_text():
    assert sms_text("確認コード", "コード 123456\n@city.example #123456\n", "") == "コード 123456\n@city.example #123456"


# --- Twilio's errors --------------------------------------------------------------------------

@pytest.mark.parametrize(("code", "reason"), [(21211, "unreachable"), (21614, "unreachable"), (21610, "blocked")])
def test_a_number_twilio_refuses_is_disabled_and_the_notice_falls_back_to_email(
        sms_city, sms_server, resident, code, reason):
    contact = with_number(sms_city, resident)
    sms_server.invalid[NUMBER] = code
    tell_message(sms_city, resident)
    services.deliver_pending()
    sms, email = _deliveries(sms_city)
    assert (sms.status, sms.failure) == (OutboxStatus.FAILED, reason)
    assert (email.channel, email.status, email.fallback_of_id) == ("email", OutboxStatus.SENT, sms.pk)
    contact.refresh_from_db()
    assert contact.disabled_at is not None and contact.disabled_reason == reason
    assert [m.to for m in mail.outbox] == [[resident.email]]


def test_too_many_requests_is_tried_again_after_a_pause(sms_city, sms_server, resident):
    with_number(sms_city, resident)
    sms_server.throttle(1)
    tell_message(sms_city, resident)
    before = timezone.now()
    assert services.deliver_pending() == 0
    (row,) = _deliveries(sms_city)
    assert row.status == OutboxStatus.PENDING and row.next_attempt_at >= before + timedelta(seconds=60)
    assert sms_server.requests[-1]["status"] == 429
    assert services.deliver_pending(now=row.next_attempt_at) == 1
    assert len(sms_server.messages) == 1


@pytest.mark.parametrize("status", [500, 503])
def test_a_server_error_is_tried_again(sms_city, sms_server, resident, status):
    with_number(sms_city, resident)
    sms_server.fail_next.append(status)
    tell_message(sms_city, resident)
    services.deliver_pending()
    (row,) = _deliveries(sms_city)
    assert (row.status, row.last_error) == (OutboxStatus.PENDING, "TemporaryFailure")
    assert services.deliver_pending(now=row.next_attempt_at) == 1


def test_an_unreachable_provider_is_tried_again(city, resident):
    configure_sms(city, "http://127.0.0.1:9")  # nothing listens on the discard port
    with_number(city, resident)
    tell_message(city, resident)
    services.deliver_pending()
    (row,) = _deliveries(city)
    assert (row.status, row.attempts) == (OutboxStatus.PENDING, 1)


def test_wrong_credentials_fall_back_to_email_at_once(city, sms_server, resident):
    configure_sms(city, sms_server.base_url, secrets={"account_sid": ACCOUNT_SID, "auth_token": "wrong"})
    contact = with_number(city, resident)
    tell_message(city, resident)
    services.deliver_pending()
    sms, email = _deliveries(city)
    assert (sms.failure, email.status) == ("not_configured", OutboxStatus.SENT)
    assert sms_server.requests[-1]["status"] == 401
    contact.refresh_from_db()
    assert contact.disabled_at is None  # the number is not at fault


# --- the per-number limit ----------------------------------------------------------------------

def test_more_than_the_hourly_limit_to_one_number_waits_for_the_oldest_to_age(city, sms_server, resident):
    configure_sms(city, sms_server.base_url, hourly_limit_per_number=2)
    with_number(city, resident)
    for n in range(3):
        tell_message(city, resident, key=f"notice:{n}")
    assert services.deliver_pending() == 2
    first, _second, third = _deliveries(city)
    assert third.status == OutboxStatus.PENDING and third.last_error == "TemporaryFailure"
    assert abs((third.next_attempt_at - (first.sent_at + timedelta(hours=1))).total_seconds()) < 5
    assert len(sms_server.messages) == 2
    OutboxMessage.objects.filter(pk=first.pk).update(sent_at=timezone.now() - timedelta(minutes=61))
    assert services.deliver_pending(now=third.next_attempt_at) == 1
    assert len(sms_server.messages_to(NUMBER)) == 3


def test_the_limit_counts_one_number_not_the_city(city, sms_server, resident, django_user_model):
    from madoguchi.identity.models import ResidentAccount

    configure_sms(city, sms_server.base_url, hourly_limit_per_number=1)
    other = ResidentAccount.objects.create(municipality=city, email="taro@example.jp")
    with_number(city, resident)
    with_number(city, other, "+818012345678")
    tell_message(city, resident, key="a")
    tell_message(city, other, key="b")
    assert services.deliver_pending() == 2


# --- status callbacks ------------------------------------------------------------------------

def _sent_notice(city, server, resident, client):
    with_number(city, resident)
    tell_message(city, resident)
    services.deliver_pending()
    sent_cb, final_cb = server.pending
    assert replay(client, sent_cb).status_code == 204  # "sent": nothing final yet
    return final_cb


def test_delivered_is_recorded(sms_city, sms_server, resident, client):
    final = _sent_notice(sms_city, sms_server, resident, client)
    assert final["params"]["MessageStatus"] == "delivered"
    assert replay(client, final).status_code == 204
    (row,) = _deliveries(sms_city)
    assert row.status == OutboxStatus.DELIVERED and row.delivered_at is not None and row.routes is None
    assert replay(client, final).status_code == 204  # a repeat changes nothing
    assert mail.outbox == []


@pytest.mark.parametrize("tamper", [
    {"signature": "bad"},
    {"signature": ""},
    {"params": {"MessageStatus": "undelivered", "ErrorCode": "30005"}},
    {"params": {"AccountSid": "AC" + "f" * 32}, "resign": True},
])
def test_a_callback_not_signed_by_the_city_account_is_refused(sms_city, sms_server, resident, client, tamper):
    final = _sent_notice(sms_city, sms_server, resident, client)
    callback = {**final, "params": {**final["params"], **tamper.get("params", {})}}
    if "signature" in tamper:
        callback["signature"] = tamper["signature"]
    if tamper.get("resign"):  # rightly signed, but by another account's token
        callback["signature"] = twilio_signature("another-token", HOOK, callback["params"])
    assert replay(client, callback).status_code == 403
    (row,) = _deliveries(sms_city)
    assert row.status == OutboxStatus.SENT


def test_the_signature_covers_the_url_as_twilio_called_it(sms_city, sms_server, resident, client):
    final = _sent_notice(sms_city, sms_server, resident, client)
    elsewhere = twilio_signature(AUTH_TOKEN, "http://proxy.internal/notify/hooks/sms/", final["params"])
    assert replay(client, {**final, "signature": elsewhere}).status_code == 403


@pytest.mark.parametrize(("error", "reason", "dead"), [
    (30003, "unreachable", False), (30005, "unreachable", True), (30006, "unreachable", True),
    (30007, "blocked", False), (30008, "unreachable", False)])
def test_undelivered_falls_back_to_email(sms_city, sms_server, resident, client, smtp, error, reason, dead):
    sms_server.undelivered[NUMBER] = error
    final = _sent_notice(sms_city, sms_server, resident, client)
    assert final["params"]["ErrorCode"] == str(error)
    assert replay(client, final).status_code == 204
    sms, email = _deliveries(sms_city)
    assert (sms.status, sms.failure) == (OutboxStatus.FAILED, reason)
    assert (email.channel, email.fallback_of_id, email.notice_key) == ("email", sms.pk, sms.notice_key)
    services.deliver_pending()  # the fallback (inline mode sends it after the hook's commit)
    email.refresh_from_db()
    assert email.status == OutboxStatus.SENT
    assert [rcpt for rcpt, _ in smtp.messages] == [[resident.email]]
    contact = Contact.objects.get(person=resident.ref, channel="sms")
    assert (contact.disabled_at is not None) is dead


def test_a_callback_for_a_city_without_sms_is_not_found(city, client):
    assert client.post("/notify/hooks/sms/", data={"MessageSid": "SM1"}).status_code == 404


def test_the_demo_lines_set_sms_up(city, sms_server):
    """`madoguchi channel set` as `make run` does it (the lines asked of the Makefile)."""
    from django.core.management import call_command

    city.channels = []
    city.save(update_fields=["channels"])
    call_command("channel", "set", "demo", "sms", "--config", f"api_base={sms_server.base_url}",
                 "--config", f"from={SENDER}", "--config", f"status_callback={HOOK}",
                 "--secret", f"account_sid={ACCOUNT_SID}", "--secret", f"auth_token={AUTH_TOKEN}", "--enable",
                 stdout=open("/dev/null", "w"))  # noqa: SIM115
    channel = channels.channel_for(city, "sms")
    assert isinstance(channel, Sms) and channel.check_config() == []
    assert channel.hourly_limit == 20
