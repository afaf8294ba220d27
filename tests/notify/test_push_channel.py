"""Web Push through pywebpush against the local push service (tests/notify/push_server.py):
the payload arrives encrypted (aes128gcm) and reads back with the browser's key, the VAPID
token is signed and claims what push services require, and each answer of a push service
(201, 404/410, 429, 413, 5xx) ends the delivery as RFC 8030 says."""

# ruff: noqa: F811 - the shared fixtures are imported by name

import json

import pytest
from django.core.management import call_command
from django.db import transaction
from push_support import SUBJECT, push_server, push_setting  # noqa: F401

from madoguchi.notify import channels, services
from madoguchi.notify.channels.push import InvalidSubscription, subscription_from
from madoguchi.notify.models import ChannelSetting, Contact, OutboxMessage, OutboxStatus

CONTEXT = {"submission": {"receipt_number": "R-0001"}, "ticket": {"label": "A-001"}, "ahead": 2}


def _tell(city, person, key="n-1", event="message", email=None):
    """Tell in a transaction of its own: the inline outbox sends right after the commit."""
    with transaction.atomic():
        message = services.tell(city, event, key=key, person=person, email=email, context=CONTEXT,
                                link="/mypage/", about="submission:1")
    return OutboxMessage.objects.get(pk=message.pk) if message else None


@pytest.fixture
def subscribed(city, push_server, audit_log_flushable):
    push_setting(city, push_server.base_url)
    subscription = push_server.subscription("phone-1")
    contact = services.add_contact(city, "resident:1", "push", json.dumps(subscription), label="Chrome")
    return contact


def test_the_push_arrives_encrypted_and_reads_back_with_the_browsers_key(city, push_server, subscribed):
    message = _tell(city, "resident:1")
    assert message.channel == "push" and message.status == OutboxStatus.SENT
    arrived = push_server.wait_for("phone-1")
    assert message.provider_ref == arrived["location"][:128]
    shown = json.loads(arrived["payload"])
    assert set(shown) == {"title", "body", "url"}
    assert shown["title"] == message.subject and city.name in shown["title"]
    assert shown["url"].startswith("http://testserver/mypage/")
    assert shown["url"] not in shown["body"]  # the link is the notification's tap, not its text
    assert arrived["size"] <= 4096 and arrived["payload"] not in b"".join(
        r.get("payload", b"") for r in push_server.refused)


def test_the_vapid_token_claims_what_push_services_require(city, push_server, subscribed):
    _tell(city, "resident:1")
    claims = push_server.wait_for("phone-1")["claims"]
    setting = ChannelSetting.objects.get(municipality=city, channel="push")
    assert claims["aud"] == push_server.base_url  # the endpoint's origin
    assert claims["sub"] == SUBJECT
    assert claims["k"] == setting.config["vapid_public_key"]  # the pages' applicationServerKey


def test_urgency_and_time_to_live_follow_the_event(city, push_server, subscribed):
    _tell(city, "resident:1", key="near", event="queue_near")
    _tell(city, "resident:1", key="message", event="message")
    near, returned = push_server.received
    assert (near["urgency"], int(near["ttl"])) == ("high", 1800)
    assert (returned["urgency"], int(returned["ttl"])) == ("normal", 3600)  # the city's ttl


@pytest.mark.parametrize("status", [404, 410])
def test_a_gone_subscription_disables_the_contact_and_the_next_channel_is_tried(
        city, push_server, subscribed, status, mailoutbox):
    push_server.answer("phone-1", status)
    message = _tell(city, "resident:1", email="hanako@example.jp")
    assert (message.status, message.failure) == (OutboxStatus.FAILED, "expired")
    subscribed.refresh_from_db()
    assert subscribed.disabled_at is not None and subscribed.disabled_reason == "expired"
    fallback = OutboxMessage.objects.get(fallback_of=message)
    assert fallback.channel == "email" and fallback.status == OutboxStatus.SENT
    assert [m.to for m in mailoutbox] == [["hanako@example.jp"]]
    # the next notice does not try the dead subscription again
    assert _tell(city, "resident:1", key="n-2", email="hanako@example.jp").channel == "email"


def test_a_rate_limited_push_waits_as_long_as_the_service_says(city, push_server, subscribed):
    push_server.answer("phone-1", 429, retry_after=7200)
    message = _tell(city, "resident:1")
    assert message.status == OutboxStatus.PENDING and message.last_error == "TemporaryFailure"
    assert (message.next_attempt_at - message.created_at).total_seconds() >= 7200 - 5
    subscribed.refresh_from_db()
    assert subscribed.disabled_at is None


@pytest.mark.parametrize("status", [500, 503])
def test_a_push_service_error_is_tried_again(city, push_server, subscribed, status):
    push_server.answer("phone-1", status)
    message = _tell(city, "resident:1")
    assert message.status == OutboxStatus.PENDING and message.attempts == 1


@pytest.mark.parametrize("status", [400, 413])
def test_a_refused_message_fails_as_invalid_and_keeps_the_subscription(city, push_server, subscribed, status):
    push_server.answer("phone-1", status)
    message = _tell(city, "resident:1")
    assert (message.status, message.failure) == (OutboxStatus.FAILED, "invalid")
    subscribed.refresh_from_db()
    assert subscribed.disabled_at is None


def test_an_unreachable_push_service_is_tried_again(city, push_server, subscribed):
    push_server.stop()
    message = _tell(city, "resident:1")
    assert message.status == OutboxStatus.PENDING and message.attempts == 1


def test_a_key_the_subscription_was_not_made_with_is_refused(city, push_server, audit_log_flushable):
    """Key rotation: a subscription is bound to the applicationServerKey it was made with."""
    push_setting(city, push_server.base_url)
    other = push_server.subscription("old", application_server_key="B" + "A" * 86)
    services.add_contact(city, "resident:2", "push", json.dumps(other))
    contact = Contact.objects.get(person="resident:2")
    message = _tell(city, "resident:2")
    assert push_server.refused[-1]["status"] == 403
    assert (message.status, message.failure) == (OutboxStatus.FAILED, "expired")
    contact.refresh_from_db()
    assert contact.disabled_at is not None  # the resident subscribes again


# --- the city's settings -----------------------------------------------------------------

def test_check_config_wants_a_real_contact_and_matching_keys(city, push_server):
    setting = push_setting(city, push_server.base_url)
    assert channels.channel_for(city, "push") is not None
    for subject in ("", "it@city.example.jp", "mailto:", "http://city.example.jp/", "mailto:nobody"):
        setting.config["subject"] = subject
        setting.save()
        assert channels.channel_class("push")(setting).check_config(), subject
        assert channels.channel_for(city, "push") is None
    setting.config["subject"] = "https://city.example.jp/contact"
    setting.save()
    assert channels.channel_class("push")(setting).check_config() == []
    other = push_setting(city, push_server.base_url)  # a new pair: the old public key no longer fits
    other.config["vapid_public_key"] = setting.config["vapid_public_key"]
    assert any("public key" in p for p in channels.channel_class("push")(other).check_config())


def test_push_keys_makes_a_pair_for_the_city(city, capsys):
    call_command("push_keys", "--city", "demo", "--subject", "mailto:it@city.demo.example.jp")
    setting = ChannelSetting.objects.get(municipality=city, channel="push")
    assert channels.channel_class("push")(setting).check_config() == []
    assert setting.config["vapid_public_key"] in capsys.readouterr().out
    assert "PRIVATE" not in setting.config.get("vapid_public_key", "")
    first = setting.config["vapid_public_key"]
    with pytest.raises(Exception, match="already"):
        call_command("push_keys", "--city", "demo", "--subject", "mailto:it@city.demo.example.jp")
    call_command("push_keys", "--city", "demo", "--subject", "mailto:it@city.demo.example.jp", "--if-missing")
    setting.refresh_from_db()
    assert setting.config["vapid_public_key"] == first
    call_command("push_keys", "--city", "demo", "--subject", "mailto:it@city.demo.example.jp", "--rotate")
    setting.refresh_from_db()
    assert setting.config["vapid_public_key"] != first


def test_rotating_the_keys_disables_every_subscription_of_the_city(city, push_server, audit_log_flushable):
    """A subscription is bound to the key it was made with: after a rotation the residents
    see in My Page that they must subscribe again (and notices go by their other channels)."""
    push_setting(city, push_server.base_url)
    contact = services.add_contact(city, "resident:1", "push", json.dumps(push_server.subscription("a")))
    call_command("push_keys", "--city", "demo", "--subject", SUBJECT, "--rotate")
    contact.refresh_from_db()
    assert (contact.disabled_at is not None, contact.disabled_reason) == (True, "expired")


def test_push_keys_refuses_a_subject_push_services_refuse(city):
    with pytest.raises(Exception, match="mailto"):
        call_command("push_keys", "--city", "demo", "--subject", "it@city.demo.example.jp")


# --- what a browser may send as a subscription ---------------------------------------------

def test_a_subscription_is_kept_in_one_canonical_form(push_server):
    sent = push_server.subscription("a")
    kept = json.loads(subscription_from(json.dumps({**sent, "extra": 1}), [push_server.base_url]))
    assert kept == {"endpoint": sent["endpoint"], "keys": sent["keys"]}


@pytest.mark.parametrize("endpoint", [
    "http://push.example.com/x", "https://127.0.0.1/x", "https://[::1]/x", "https://localhost/x",
    "https://push.example.com:8443/x", "https://user:pw@push.example.com/x", "ftp://push.example.com/",
    "https://x.internal/y", "", None, 5, "https://" + "a" * 3000 + ".com/"])
def test_only_public_https_push_services_are_accepted(push_server, endpoint):
    sent = {**push_server.subscription("a"), "endpoint": endpoint}
    with pytest.raises(InvalidSubscription):
        subscription_from(json.dumps(sent))


def test_the_citys_test_origins_are_accepted_and_only_they(push_server):
    sent = push_server.subscription("a")
    assert subscription_from(json.dumps(sent), [push_server.base_url])
    with pytest.raises(InvalidSubscription):
        subscription_from(json.dumps(sent), ["http://127.0.0.1:1"])
    real = {**sent, "endpoint": "https://fcm.googleapis.com/fcm/send/abc"}
    assert subscription_from(json.dumps(real))


@pytest.mark.parametrize("keys", [
    {}, {"p256dh": "AAAA", "auth": "AAAAAAAAAAAAAAAAAAAAAA"},
    {"p256dh": "BA" + "A" * 85, "auth": "AAAAAAAAAAAAAAAAAAAAAA"},  # not on the curve
    {"auth": "AAAAAAAAAAAAAAAAAAAAAA"}, {"p256dh": None, "auth": None}, {"p256dh": "!!", "auth": "??"}])
def test_keys_that_are_not_a_browsers_are_refused(push_server, keys):
    sent = {**push_server.subscription("a"), "keys": keys}
    with pytest.raises(InvalidSubscription):
        subscription_from(json.dumps(sent), [push_server.base_url])


@pytest.mark.parametrize("raw", ["", "{", "[]", "null", '"x"', '{"endpoint": "https://a.example/"}',
                                 "x" * 5000, b"\xff\xfe"])
def test_what_is_not_a_subscription_is_refused_with_a_reason(raw):
    with pytest.raises(InvalidSubscription) as refused:
        subscription_from(raw)
    assert str(refused.value)
