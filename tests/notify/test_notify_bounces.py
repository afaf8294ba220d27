"""E-mail bounces and complaints from the ESP (django-anymail's Mailgun tracking webhook, signed
as Mailgun signs it) after a real send through a local SMTP server: a permanent bounce marks the
address, its notice falls back if it can, and My Page says so; a transient one changes nothing."""

import hashlib
import hmac
import json
import secrets
import time

import pytest

from madoguchi.notify import services
from madoguchi.notify.models import Contact, OutboxMessage, OutboxStatus
from madoguchi.notify.services import deliver_pending, routes_for, tell

HOOK = "/notify/anymail/mailgun/tracking/"
KEY = "mailgun-signing-key-for-tests"


@pytest.fixture(autouse=True)
def _signing_key(settings):
    settings.MADOGUCHI_EMAIL_ESP = "mailgun"
    settings.ANYMAIL = {"MAILGUN_WEBHOOK_SIGNING_KEY": KEY}


def _signed(event_data: dict, key: str = KEY) -> str:
    """A Mailgun webhook body: the event, and HMAC-SHA256(key, timestamp + token) beside it."""
    timestamp, token = str(int(time.time())), secrets.token_hex(25)
    signature = hmac.new(key.encode(), f"{timestamp}{token}".encode(), hashlib.sha256).hexdigest()
    return json.dumps({"signature": {"timestamp": timestamp, "token": token, "signature": signature},
                       "event-data": event_data})


def _event(kind: str, recipient: str, message_id: str = "", **extra) -> dict:
    data = {"event": kind, "recipient": recipient, "timestamp": time.time(), "id": secrets.token_hex(8),
            "message": {"headers": {"message-id": message_id.strip("<>")}} if message_id else {}, **extra}
    return data


def _bounce(recipient, message_id="", severity="permanent"):
    return _event("failed", recipient, message_id, severity=severity, reason="bounce",
                  **{"delivery-status": {"code": 550, "message": "5.1.1 user unknown", "description": ""}})


def _post(client, event_data, key=KEY, host="testserver"):
    return client.post(HOOK, _signed(event_data, key), content_type="application/json", HTTP_HOST=host)


def _sent_to(city, resident, smtp, key="returned:1"):
    tell(city, "returned", key=key, person=resident.ref, email=resident.email, about="submission:1",
         email_template="status_returned", context={"submission": {"receipt_number": "R-1"}})
    deliver_pending()
    mail = OutboxMessage.objects.get(dedupe_key=key)
    assert mail.status == OutboxStatus.SENT and smtp.messages  # it really left through SMTP
    rcpt, received = smtp.messages[-1]
    assert rcpt == [resident.email] and received["Message-ID"] == mail.provider_ref
    return mail


def test_a_permanent_bounce_marks_the_address_and_my_page_says_so(client, resident_client, city, resident, smtp):
    mail = _sent_to(city, resident, smtp)
    response = _post(client, _bounce(resident.email, mail.provider_ref))
    assert response.status_code == 200
    mail.refresh_from_db()
    assert (mail.status, mail.failure) == (OutboxStatus.FAILED, "unreachable")
    assert services.email_failing(city, resident.email).disabled_reason == "unreachable"
    assert routes_for(city, resident.ref, resident.email) == []  # no more mail to it
    assert 'id="mypage-email-failing"' in resident_client.get("/mypage/").content.decode()
    page = resident_client.get("/mypage/notifications/").content.decode()
    assert 'data-channel="email" data-state="disabled"' in page
    assert 'data-channel="email" data-status="failed" data-failure="unreachable"' in page


def test_a_transient_bounce_changes_nothing(client, city, resident, smtp):
    mail = _sent_to(city, resident, smtp)
    assert _post(client, _bounce(resident.email, mail.provider_ref, severity="temporary")).status_code == 200
    mail.refresh_from_db()
    assert mail.status == OutboxStatus.SENT and mail.failure == ""
    assert services.email_failing(city, resident.email) is None


def test_a_complaint_stops_the_mail_too(client, city, resident, smtp):
    mail = _sent_to(city, resident, smtp)
    assert _post(client, _event("complained", resident.email, mail.provider_ref)).status_code == 200
    mail.refresh_from_db()
    assert mail.failure == "complained"
    assert services.email_failing(city, resident.email).disabled_reason == "complained"


def test_delivered_is_recorded(client, city, resident, smtp):
    mail = _sent_to(city, resident, smtp)
    assert _post(client, _event("delivered", resident.email, mail.provider_ref)).status_code == 200
    mail.refresh_from_db()
    assert mail.status == OutboxStatus.DELIVERED and mail.delivered_at is not None


def test_a_bounce_without_the_message_id_is_found_by_its_address(client, city, resident, smtp):
    mail = _sent_to(city, resident, smtp)
    _post(client, _bounce(resident.email.upper()))
    mail.refresh_from_db()
    assert mail.status == OutboxStatus.FAILED


def test_the_city_is_the_delivery_s_whatever_host_the_webhook_came_to(client, city, other_city, smtp):
    from madoguchi.identity.models import ResidentAccount

    there = ResidentAccount.objects.create(municipality=other_city, email="jiro@example.jp")
    mail = _sent_to(other_city, there, smtp)
    assert _post(client, _bounce(there.email, mail.provider_ref)).status_code == 200  # the demo city's host
    mail.refresh_from_db()
    assert mail.status == OutboxStatus.FAILED
    assert services.email_failing(other_city, there.email) is not None
    assert services.email_failing(city, there.email) is None


def test_the_failed_delivery_falls_back_to_the_next_route(client, city, resident, smtp):
    """A notice whose mail bounced goes on to the route after it, if one was kept."""
    mail = _sent_to(city, resident, smtp)
    mail.routes = json.dumps([{"channel": "email", "address": "second@example.jp", "contact": None,
                               "subject": "s", "body": "b\n", "link": ""}])
    mail.save(update_fields=["routes"])
    _post(client, _bounce(resident.email, mail.provider_ref))
    following = OutboxMessage.objects.get(fallback_of=mail)
    assert following.notice_key == mail.notice_key and following.status == OutboxStatus.PENDING
    deliver_pending()
    assert smtp.messages[-1][0] == ["second@example.jp"]


def test_a_forged_signature_is_refused_and_changes_nothing(client, city, resident, smtp):
    mail = _sent_to(city, resident, smtp)
    assert _post(client, _bounce(resident.email, mail.provider_ref), key="not-the-key").status_code == 400
    mail.refresh_from_db()
    assert mail.status == OutboxStatus.SENT
    assert not Contact.objects.filter(channel="email").exists()


def test_a_report_on_a_mail_we_never_sent_changes_nothing(client, city):
    assert _post(client, _bounce("stranger@example.jp", "<nothing@example.jp>")).status_code == 200
    assert not Contact.objects.exists()
