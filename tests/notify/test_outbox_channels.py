"""notify.tell(): a person is told once per event, on the first channel that can reach them,
the e-mail last; a delivery that fails for good falls back to the next; what providers report
afterwards (delivered, bounced) is recorded, and an address known to fail is not used again."""

from django.db import transaction

from madoguchi.notify import services
from madoguchi.notify.channels import StatusReport
from madoguchi.notify.models import ChannelSetting, Contact, OutboxMessage, OutboxStatus

PERSON = "resident:999"


def _tell(city, key="event:1", email="hanako@example.jp", person=PERSON, **kwargs):
    """Tell, commit, and run the worker's pass (a test's transaction never commits, so the
    inline mode's on-commit delivery would not run)."""
    with transaction.atomic():
        message = services.tell(city, "returned", key=key, person=person, email=email,
                                email_template="login_code", context={"code": "123456", "minutes": 10},
                                about="submission:1", link="/mypage/", **kwargs)
    services.deliver_pending()
    return message


def test_a_person_is_told_once_per_event(city, smtp):
    first = _tell(city)
    again = _tell(city)
    assert first.pk == again.pk
    assert OutboxMessage.objects.filter(notice_key="event:1").count() == 1
    first.refresh_from_db()
    assert first.status == OutboxStatus.SENT and first.channel == "email"
    assert [to for to, _ in smtp.messages] == [["hanako@example.jp"]]
    assert (first.person, first.about, first.event) == (PERSON, "submission:1", "returned")


def test_a_channel_the_city_has_not_set_up_is_passed_over(city, smtp):
    """A contact on a channel that is offered but has no enabled setting: the e-mail goes."""
    services.add_contact(city, PERSON, "sms", "+819012345678", label="…5678")
    ChannelSetting.objects.create(municipality=city, channel="sms", enabled=False)
    message = _tell(city)
    assert message.channel == "email"


def test_no_channel_no_message(city):
    city.channels = ["online", "counter"]  # the city sends no e-mail notices
    city.save(update_fields=["channels"])
    assert _tell(city) is None
    assert not OutboxMessage.objects.exists()


def _smtp_refuses(monkeypatch, code: int, text: bytes) -> None:
    """The relay answers RCPT TO with `code` (what a real one says for an unknown mailbox or
    a full one): Django's SMTP backend raises as it would."""
    import smtplib

    from django.core.mail.backends.smtp import EmailBackend

    def refuse(self, messages):
        raise smtplib.SMTPRecipientsRefused({"hanako@example.jp": (code, text)})

    monkeypatch.setattr(EmailBackend, "send_messages", refuse)


def test_an_address_refused_for_good_is_marked_and_not_used_again(city, smtp, monkeypatch):
    """550 no such user: the delivery fails with a reason, the address is remembered as failing."""
    _smtp_refuses(monkeypatch, 550, b"5.1.1 no such user")
    message = _tell(city)
    message.refresh_from_db()
    assert (message.status, message.failure) == (OutboxStatus.FAILED, "unreachable")
    assert services.email_failing(city, "HANAKO@example.jp") is not None
    assert _tell(city, key="event:2") is None  # no channel left to reach her


def test_a_temporary_refusal_is_tried_again(city, smtp, monkeypatch):
    _smtp_refuses(monkeypatch, 451, b"4.3.0 try later")
    message = _tell(city)
    message.refresh_from_db()
    assert message.status == OutboxStatus.PENDING and message.next_attempt_at > message.created_at
    assert services.email_failing(city, "hanako@example.jp") is None


def test_status_reports_mark_delivered_then_nothing_changes_it(city, smtp):
    message = _tell(city)
    message.refresh_from_db()
    services.record_status(city, "email", StatusReport(provider_ref=message.provider_ref, status="delivered"))
    message.refresh_from_db()
    assert message.status == OutboxStatus.DELIVERED and message.delivered_at is not None
    services.record_status(city, "email", StatusReport(provider_ref=message.provider_ref, status="delivered"))
    message.refresh_from_db()
    assert message.status == OutboxStatus.DELIVERED


def test_a_bounce_after_sending_fails_the_delivery_and_marks_the_address(city, smtp):
    message = _tell(city)
    services.record_status(city, "email", StatusReport(status="failed", reason="unreachable",
                                                        address="hanako@example.jp", address_dead=True))
    message.refresh_from_db()
    assert (message.status, message.failure) == (OutboxStatus.FAILED, "unreachable")
    failing = services.email_failing(city, "hanako@example.jp")
    assert failing.disabled_reason == "unreachable"
    # another city's resident with the same address is not affected
    assert Contact.objects.filter(channel="email", disabled_at__isnull=False).count() == 1


def test_a_bounce_for_an_address_never_sent_to_is_kept(city):
    services.record_status(city, "email", StatusReport(status="failed", reason="complained",
                                                        address="taro@example.jp", address_dead=True))
    assert services.email_failing(city, "taro@example.jp").disabled_reason == "complained"


def test_a_contact_seen_again_is_enabled_again_and_forgotten_with_its_person(city):
    contact = services.add_contact(city, PERSON, "sms", "+819012345678")
    Contact.objects.filter(pk=contact.pk).update(disabled_at=contact.created_at, disabled_reason="unreachable")
    again = services.add_contact(city, PERSON, "sms", "+819012345678")
    assert again.pk == contact.pk and again.disabled_at is None
    assert services.forget_person(city, PERSON) == 1
    assert not Contact.objects.filter(person=PERSON).exists()


def test_only_the_configured_esps_webhook_is_served_and_never_with_a_500(client, settings, city):
    """anymail's view for an ESP without its keys would answer a 500 to anyone who calls."""
    settings.MADOGUCHI_EMAIL_ESP = ""
    assert client.post("/notify/anymail/mailgun/tracking/", "{}", content_type="application/json").status_code == 404
    settings.MADOGUCHI_EMAIL_ESP = "mailgun"
    settings.ANYMAIL = {}  # the signing key not set
    assert client.post("/notify/anymail/mailgun/tracking/", "{}", content_type="application/json").status_code == 404
    assert client.post("/notify/anymail/sendgrid/tracking/", "[]", content_type="application/json").status_code == 404
    assert client.post("/notify/anymail/pigeon/tracking/", "{}", content_type="application/json").status_code == 404
