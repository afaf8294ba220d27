"""E-mail addresses of past tickets and reservations are erased by the daily `madoguchi dispose`;
the visits themselves stay for the figures."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from queue_support import issue, load_counters, purpose, today_at

from madoguchi.core.crypto import encrypt_bytes
from madoguchi.queueing import reservations
from madoguchi.queueing.models import Reservation, ReservationSlot, Ticket


@pytest.fixture
def counters(city):
    load_counters(city)
    return city


def _slot(group, starts) -> ReservationSlot:
    slot, _ = ReservationSlot.objects.update_or_create(
        group=group, starts_at=starts, defaults={"ends_at": starts + timedelta(minutes=30), "windows": 1})
    return slot


def test_contacts_of_past_days_are_erased_and_todays_are_kept(counters, capsys):
    tennyu = purpose(counters, "jumin", "tennyu")
    yesterday = issue(tennyu, "old", now=today_at(10, days=-1))
    today = issue(tennyu, "new")
    Ticket.objects.filter(pk__in=[yesterday.pk, today.pk]).update(contact=encrypt_bytes(b"a@example.jp", today.municipality_id))
    past_slot = _slot(tennyu.group, today_at(9, days=-2))
    future_slot = _slot(tennyu.group, today_at(9, days=2))
    past = reservations.book(past_slot, tennyu, "p1", email="a@example.jp",
                             now=today_at(8, days=-3))
    future = reservations.book(future_slot, tennyu, "f1", email="b@example.jp")

    call_command("dispose")

    assert "reservation_contacts: 1" in capsys.readouterr().out
    for row, erased in ((yesterday, True), (today, False), (past, True), (future, False)):
        row.refresh_from_db()
        assert (row.contact is None) is erased
    assert Ticket.objects.count() == 2 and Reservation.objects.count() == 2
