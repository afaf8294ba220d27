"""A resident adds a mobile number from My Page: a code goes by SMS (through the outbox, to the
local Twilio server), is typed back, and the number becomes their SMS contact; wrong codes,
old codes, too many codes and numbers that are not mobiles are refused next to the field."""

# ruff: noqa: F811 - the shared fixtures are imported by name

import logging
import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from sms_support import NUMBER, configure_sms, sms_city, sms_server, with_number  # noqa: F401

from madoguchi.identity.models import ResidentAccount
from madoguchi.notify import services, sms_verification
from madoguchi.notify.models import Contact, ContactChallenge, OutboxMessage, OutboxStatus

from conftest import login_resident

ADD, VERIFY, RESEND = (reverse(f"identity:{name}") for name in ("phone_add", "phone_verify", "phone_resend"))


def _code(server, number: str = NUMBER) -> str:
    """The code in the newest SMS to `number` (delivering the outbox first)."""
    services.deliver_pending()
    body = server.messages_to(number)[-1]["body"]
    return re.search(r"(?<!\d)(\d{6})(?!\d)", body).group(1)


def _add(client, typed="０９０－１２３４－５６７８"):
    return client.post(ADD, {"number": typed})


def test_a_number_is_added_by_typing_the_code_sent_to_it(sms_city, sms_server, resident, resident_client):
    answer = _add(resident_client)
    assert answer.status_code == 302 and answer["Location"] == VERIFY  # no number in the URL
    page = resident_client.get(VERIFY)
    assert "…5678" in page.content.decode() and "1234" not in page.content.decode()
    code = _code(sms_server)
    (sms,) = sms_server.messages
    assert sms["to"] == NUMBER and sms["body"].endswith(f"@testserver #{code}")  # origin-bound code line
    assert "StatusCallback" in sms["form"]
    row = OutboxMessage.objects.get(channel="sms")
    assert code not in row.subject and row.body is None and row.notice_key == ""
    challenge = ContactChallenge.objects.get(person=resident.ref)
    assert code not in challenge.secret_digest
    answer = resident_client.post(VERIFY, {"code": code})
    assert answer.status_code == 302 and answer["Location"] == reverse("identity:contacts") + "#contacts-sms"
    contact = Contact.objects.get(person=resident.ref, channel="sms")
    assert (contact.address, contact.label, contact.disabled_at) == (NUMBER, "…5678", None)
    assert contact.verified_at is not None
    assert not ContactChallenge.objects.filter(person=resident.ref).exists()
    assert services.routes_for(sms_city, resident.ref, resident.email)[0][:2] == ("sms", NUMBER)


@pytest.mark.parametrize("typed", ["099-224-1111", "050-1234-5678", "090-1234", ""])
def test_a_number_that_is_not_a_mobile_is_refused_next_to_the_field_and_kept(
        sms_city, sms_server, resident_client, typed):
    answer = _add(resident_client, typed)
    assert answer.status_code == 400
    html = answer.content.decode()
    assert 'id="phone-number-error"' in html and 'aria-invalid="true"' in html
    assert f'value="{typed}"' in html
    assert not ContactChallenge.objects.exists() and not OutboxMessage.objects.exists()


def test_a_wrong_code_is_counted_and_five_wrong_tries_void_the_code(sms_city, sms_server, resident_client):
    _add(resident_client)
    code = _code(sms_server)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    for left in range(4, -1, -1):
        answer = resident_client.post(VERIFY, {"code": wrong})
        assert answer.status_code == 400 and 'id="phone-code-error"' in answer.content.decode()
        assert ContactChallenge.objects.get().attempts == 5 - left
    assert resident_client.post(VERIFY, {"code": code}).status_code == 400
    assert not Contact.objects.exists()


def test_full_width_digits_of_the_code_count(sms_city, sms_server, resident_client):
    _add(resident_client)
    code = _code(sms_server).translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    assert resident_client.post(VERIFY, {"code": f" {code} "}).status_code == 302
    assert Contact.objects.filter(channel="sms").exists()


def test_an_expired_code_is_refused(sms_city, sms_server, resident_client):
    _add(resident_client)
    code = _code(sms_server)
    ContactChallenge.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert resident_client.post(VERIFY, {"code": code}).status_code == 400
    assert not Contact.objects.exists()


def test_a_new_code_voids_the_old_one(sms_city, sms_server, resident_client):
    _add(resident_client)
    first = _code(sms_server)
    assert resident_client.post(RESEND).status_code == 302
    second = _code(sms_server)
    assert len(sms_server.messages) == 2
    if first != second:
        assert resident_client.post(VERIFY, {"code": first}).status_code == 400
    assert resident_client.post(VERIFY, {"code": second}).status_code == 302


def test_codes_are_limited_per_hour(sms_city, sms_server, resident_client):
    for _ in range(sms_verification.CODES_PER_HOUR):
        assert _add(resident_client).status_code == 302
    answer = _add(resident_client)
    assert answer.status_code == 400 and 'id="phone-number-error"' in answer.content.decode()
    assert ContactChallenge.objects.count() == sms_verification.CODES_PER_HOUR
    ContactChallenge.objects.update(created_at=timezone.now() - timedelta(minutes=61))
    assert _add(resident_client).status_code == 302


def test_one_number_gets_no_more_than_its_hourly_limit_from_many_accounts(city, sms_server, client):
    """Strangers asking codes for one number from several accounts: the channel's limit holds."""
    configure_sms(city, sms_server.base_url, hourly_limit_per_number=2)
    for n in range(4):
        login_resident(client, ResidentAccount.objects.create(municipality=city, email=f"s{n}@example.jp"))
        _add(client)
    services.deliver_pending()
    assert len(sms_server.messages_to(NUMBER)) == 2
    assert OutboxMessage.objects.filter(channel="sms", status=OutboxStatus.PENDING).count() == 2


def test_a_number_is_removed_at_any_time_and_only_by_its_owner(sms_city, resident, resident_client):
    contact = with_number(sms_city, resident)
    other = ResidentAccount.objects.create(municipality=sms_city, email="taro@example.jp")
    theirs = with_number(sms_city, other, "+818011112222")
    resident_client.post(reverse("identity:phone_remove", args=[theirs.pk]))
    assert Contact.objects.filter(pk=theirs.pk).exists()
    assert resident_client.post(reverse("identity:phone_remove", args=[10**30])).status_code == 302  # no 500
    answer = resident_client.post(reverse("identity:phone_remove", args=[contact.pk]))
    assert answer.status_code == 302
    assert not Contact.objects.filter(pk=contact.pk).exists()


def test_a_notice_queued_for_a_removed_number_goes_by_email(sms_city, resident, resident_client):
    contact = with_number(sms_city, resident)
    from sms_support import tell_message

    tell_message(sms_city, resident)
    resident_client.post(reverse("identity:phone_remove", args=[contact.pk]))
    sms, email = OutboxMessage.objects.order_by("pk")
    assert (sms.status, sms.failure, email.channel) == (OutboxStatus.FAILED, "unlinked", "email")


def test_a_disabled_number_says_why(sms_city, resident, resident_client):
    contact = with_number(sms_city, resident)
    Contact.objects.filter(pk=contact.pk).update(disabled_at=timezone.now(), disabled_reason="unreachable")
    html = resident_client.get(ADD).content.decode()
    assert 'data-channel="sms" data-state="disabled" data-failure="unreachable"' in html
    assert 'role="alert"' in html


def test_the_pages_need_a_login_and_a_city_with_sms(city, sms_server, client, resident):
    assert client.get(ADD)["Location"].startswith(reverse("identity:login"))
    login_resident(client, resident)
    assert client.get(ADD).status_code == 404  # the city has not set SMS up
    assert client.post(ADD, {"number": NUMBER}).status_code == 404


def test_the_number_is_in_no_log(sms_city, sms_server, resident_client, caplog):
    caplog.set_level(logging.DEBUG)
    _add(resident_client)
    resident_client.post(VERIFY, {"code": "000000x"})
    resident_client.post(VERIFY, {"code": _code(sms_server)})
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "1234" not in logged and "5678" not in logged
