"""After MADOGUCHI_OUTBOX_RETENTION_DAYS, a delivery keeps its record (channel, status, times)
but not the address, the text or the routes still kept to fall back to (every one of them an
address and a rendered text); a delivery still to be sent keeps everything."""

import json
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from madoguchi.notify.models import OutboxMessage, OutboxStatus
from madoguchi.notify.retention import erase_recipients

ROUTES = json.dumps([{"channel": "email", "address": "hanako@example.jp", "contact": None,
                      "subject": "s", "body": "b\n", "link": ""}])


def _row(city, n, status, *, days_old, routes=ROUTES):
    row = OutboxMessage.objects.create(
        municipality=city, channel="sms", recipient="+819012345678", subject="s", body="text",
        dedupe_key=f"k{n}", notice_key=f"k{n}", person="resident:1", status=status, routes=routes)
    OutboxMessage.objects.filter(pk=row.pk).update(created_at=timezone.now() - timedelta(days=days_old))
    return row


def _raw(pk):
    with connection.cursor() as cursor:
        cursor.execute("SELECT recipient, body, routes FROM notify_outboxmessage WHERE id = %s", [pk])
        return cursor.fetchone()


@pytest.mark.parametrize("status", [OutboxStatus.SENT, OutboxStatus.DELIVERED, OutboxStatus.FAILED])
def test_a_done_delivery_past_retention_loses_address_text_and_routes(city, settings, status):
    settings.MADOGUCHI_OUTBOX_RETENTION_DAYS = 7
    old = _row(city, 1, status, days_old=8)
    assert erase_recipients()["outbox_recipients"] == 1
    assert _raw(old.pk) == (None, None, None)
    old.refresh_from_db()
    assert old.status == status and old.notice_key == "k1"  # the record stays


def test_routes_left_alone_on_a_row_whose_address_is_gone_are_erased_too(city, settings):
    settings.MADOGUCHI_OUTBOX_RETENTION_DAYS = 7
    old = _row(city, 1, OutboxStatus.SENT, days_old=8)
    OutboxMessage.objects.filter(pk=old.pk).update(recipient=None, body=None)
    erase_recipients()
    assert _raw(old.pk) == (None, None, None)


def test_recent_and_pending_deliveries_keep_everything(city, settings):
    settings.MADOGUCHI_OUTBOX_RETENTION_DAYS = 7
    recent = _row(city, 1, OutboxStatus.SENT, days_old=6)
    pending = _row(city, 2, OutboxStatus.PENDING, days_old=30)
    assert erase_recipients()["outbox_recipients"] == 0
    for row in (recent, pending):
        assert all(value is not None for value in _raw(row.pk))
        row.refresh_from_db()
        assert row.recipient == "+819012345678" and json.loads(row.routes)[0]["address"] == "hanako@example.jp"


def test_dispose_runs_it(city, settings):
    settings.MADOGUCHI_OUTBOX_RETENTION_DAYS = 7
    old = _row(city, 1, OutboxStatus.DELIVERED, days_old=8)
    call_command("dispose", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert _raw(old.pk) == (None, None, None)


def test_a_challenge_a_resident_never_finished_goes_a_day_after_it_expired(city):
    from madoguchi.notify.models import ContactChallenge

    now = timezone.now()
    stale = ContactChallenge.objects.create(municipality=city, person="resident:1", channel="sms", secret_digest="a",
                                            address="+819012345678", expires_at=now - timedelta(days=1, minutes=1))
    recent = ContactChallenge.objects.create(municipality=city, person="resident:2", channel="sms",
                                             secret_digest="b", address="+819012345679",
                                             expires_at=now - timedelta(hours=1))
    assert erase_recipients()["contact_challenges"] == 1
    assert list(ContactChallenge.objects.values_list("pk", flat=True)) == [recent.pk]
    assert stale.pk != recent.pk
