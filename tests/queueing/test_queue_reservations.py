"""Reservations: capacity from windows and expected minutes, no double booking, change, cancel,
check-in at the kiosk, priority from the slot's start, reminders through the outbox."""

import re
from datetime import timedelta

import pytest
from django.core.management import call_command
from queue_support import issue, load_counters, purpose, today_at, window

from madoguchi.core.actors import Actor
from madoguchi.notify.models import OutboxMessage
from madoguchi.queueing import reservations, services
from madoguchi.queueing.models import Reservation, ReservationSlot
from madoguchi.queueing.services import QueueError


@pytest.fixture
def counters(city):
    load_counters(city)
    return city


def slot_at(city, code: str, starts) -> ReservationSlot:
    from madoguchi.queueing.models import CounterGroup

    group = CounterGroup.objects.get(municipality=city, code=code)
    slot, _ = ReservationSlot.objects.update_or_create(
        group=group, starts_at=starts, defaults={"ends_at": starts + timedelta(minutes=30), "windows": 1})
    return slot


def test_capacity_is_window_minutes_and_a_full_slot_is_refused(counters):
    slot = slot_at(counters, "jumin", today_at(10, days=3))
    tennyu = purpose(counters, "jumin", "tennyu")            # 20 minutes of 30
    card = purpose(counters, "jumin", "card_address")        # 8 minutes
    reservations.book(slot, tennyu, "f1")
    assert slot not in reservations.open_slots(tennyu)
    with pytest.raises(QueueError, match="いっぱい"):
        reservations.book(slot, tennyu, "f2")
    reservations.book(slot, card, "f3")                      # 28 of 30 still fits
    with pytest.raises(QueueError):
        reservations.book(slot, card, "f4")
    assert Reservation.objects.filter(slot=slot).count() == 2


def test_the_same_booking_form_sent_twice_books_once(counters):
    slot = slot_at(counters, "jumin", today_at(10, days=3))
    tennyu = purpose(counters, "jumin", "tennyu")
    first = reservations.book(slot, tennyu, "same")
    assert reservations.book(slot, tennyu, "same").pk == first.pk
    assert Reservation.objects.count() == 1


@pytest.mark.parametrize("typed, stored", [(" Ｔａｒｏ＠Example.JP", "taro@example.jp"),
                                            ("taro\x00@example.jp", None), ("t" * 300 + "@x.jp", None)])
def test_a_booking_keeps_the_address_as_every_part_keeps_it_or_refuses_it(counters, client, typed, stored):
    tennyu = purpose(counters, "jumin", "tennyu")
    free = reservations.open_slots(tennyu)
    answer = client.post(f"/queue/reserve/{tennyu.pk}/book/",
                         {"form_token": "t1", "slot": free[0].pk, "email": typed})
    if stored is None:
        assert answer.status_code == 400 and not Reservation.objects.exists()
        return
    reservation = Reservation.objects.get()
    assert OutboxMessage.objects.get(dedupe_key=f"queue-reserved:{reservation.pk}").recipient == stored


def test_booking_online_without_login_then_change_and_cancel(counters, client):
    tennyu = purpose(counters, "jumin", "tennyu")
    free = reservations.open_slots(tennyu)
    answer = client.post(f"/queue/reserve/{tennyu.pk}/book/",
                         {"form_token": "t1", "slot": free[0].pk, "email": "taro@example.jp"})
    reservation = Reservation.objects.get()
    assert answer.status_code == 302 and reservation.token in answer["Location"]
    assert b"taro@example.jp" not in bytes(reservation.contact)  # stored encrypted
    assert "taro" not in answer["Location"]
    # the address is encrypted (no look-up by it in SQL): read the row by its event
    assert OutboxMessage.objects.get(dedupe_key=f"queue-reserved:{reservation.pk}").recipient == "taro@example.jp"
    page = client.get(answer["Location"], HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert reservation.code in page and "<svg" in page
    assert free[0].label in page  # Japanese weekdays, even for a browser asking for English
    assert re.fullmatch(r"\d+月\d+日（[月火水木金]） \d\d:\d\d〜\d\d:\d\d", free[0].label)
    assert client.post(f"/queue/r/{reservation.token}/change/", {"slot": free[1].pk}).status_code == 302
    reservation.refresh_from_db()
    assert reservation.slot == free[1]
    assert client.post(f"/queue/r/{reservation.token}/cancel/").status_code == 302
    reservation.refresh_from_db()
    assert reservation.cancelled_at is not None
    assert free[1] in reservations.open_slots(tennyu)


def test_change_to_a_full_slot_is_refused(counters):
    tennyu = purpose(counters, "jumin", "tennyu")
    full = slot_at(counters, "jumin", today_at(10, days=4))
    other = slot_at(counters, "jumin", today_at(11, days=4))
    reservations.book(full, tennyu, "a")
    mine = reservations.book(other, tennyu, "b")
    with pytest.raises(QueueError):
        reservations.change(mine, full)


def test_check_in_by_code_or_qr_and_priority_from_the_slot_start(counters, staff):
    clerk = Actor.staff(staff["shimin-tanto"])
    tennyu = purpose(counters, "jumin", "tennyu")
    slot = slot_at(counters, "jumin", today_at(10))
    reservation = reservations.book(slot, tennyu, "r", email="r@example.jp", now=today_at(8))
    walk_in = issue(tennyu, "w", today_at(9, 40))
    with pytest.raises(QueueError, match="1時間前"):
        reservations.check_in(counters, reservation.code, now=today_at(8, 30))
    ticket, created = reservations.check_in(counters, f"http://x/queue/r/{reservation.token}/",
                                            now=today_at(9, 45))
    assert created and ticket.reservation == reservation
    reservation.refresh_from_db()
    assert reservation.contact is None  # checked in: no reminder, no address kept
    again, created = reservations.check_in(counters, reservation.code.lower(), now=today_at(9, 46))
    assert again.pk == ticket.pk and not created
    desk = window(counters, "jumin")
    # Before 10:00 the reserved visitor waits in the ordinary line (the walk-in came first) …
    assert services.call_next(desk, clerk, today_at(9, 50)).pk == walk_in.pk
    services.act(walk_in, "finish", clerk, today_at(9, 55))
    later = issue(tennyu, "w2", today_at(9, 56))
    services.call_next(desk, clerk, today_at(9, 57))  # checked in at 9:45, before `later`
    ticket.refresh_from_db()
    assert ticket.status == "called"
    services.act(ticket, "finish", clerk, today_at(10, 20))
    assert services.call_next(desk, clerk, today_at(10, 21)).pk == later.pk


def test_from_the_slot_start_a_reserved_visitor_goes_first(counters, staff):
    clerk = Actor.staff(staff["shimin-tanto"])
    tennyu = purpose(counters, "jumin", "tennyu")
    slot = slot_at(counters, "jumin", today_at(10))
    reservation = reservations.book(slot, tennyu, "r", now=today_at(8))
    walk_ins = [issue(tennyu, f"w{n}", today_at(9, 30 + n)) for n in range(3)]
    ticket, _ = reservations.check_in(counters, reservation.code, now=today_at(9, 50))
    assert services.call_next(window(counters, "jumin"), clerk, today_at(10, 1)).pk == ticket.pk
    assert all(w.status == "issued" for w in walk_ins)


def test_unknown_or_cancelled_reservations_are_not_checked_in(counters):
    slot = slot_at(counters, "jumin", today_at(10))
    reservation = reservations.book(slot, purpose(counters, "jumin", "tennyu"), "r", now=today_at(8))
    reservations.cancel(reservation)
    for entered in (reservation.code, "ZZZZZZZZ", ""):
        with pytest.raises(QueueError, match="見つかりません"):
            reservations.check_in(counters, entered, now=today_at(9, 50))


def test_reminders_go_once_to_tomorrows_visitors_with_an_address(counters):
    tennyu = purpose(counters, "jumin", "tennyu")
    tomorrow = slot_at(counters, "jumin", today_at(10, days=1))
    later = slot_at(counters, "jumin", today_at(10, days=2))
    reservations.book(tomorrow, tennyu, "a", email="a@example.jp")
    reservations.book(later, tennyu, "b", email="b@example.jp")
    reservations.book(slot_at(counters, "jumin", today_at(11, days=1)), tennyu, "c")  # no address
    call_command("queue_reminders", stdout=open("/dev/null", "w"))  # noqa: SIM115
    call_command("queue_reminders", stdout=open("/dev/null", "w"))  # noqa: SIM115
    reminders = OutboxMessage.objects.filter(dedupe_key__startswith="queue-remind:")
    assert [m.recipient for m in reminders] == ["a@example.jp"]
    booked = Reservation.objects.get(form_token="a")
    assert booked.code in reminders[0].subject and booked.token in reminders[0].body
    assert "?lang=" not in reminders[0].body  # booked in Japanese: plain links


def test_the_mails_of_a_booking_are_in_the_bookers_language(counters, client):
    """The language of the page the booking was made on is kept on the reservation: the
    confirmation, and the reminder sent the day before by a command, are written in it and
    their links open the reservation in it."""
    tennyu = purpose(counters, "jumin", "tennyu")
    tomorrow = slot_at(counters, "jumin", today_at(10, days=1))
    client.get("/queue/reserve/?lang=en")
    answer = client.post(f"/queue/reserve/{tennyu.pk}/book/",
                         {"form_token": "en-1", "slot": tomorrow.pk, "email": "en@example.jp"})
    assert answer.status_code == 302
    reservation = Reservation.objects.get(form_token="en-1")
    assert reservation.language == "en"
    confirmation = OutboxMessage.objects.get(dedupe_key=f"queue-reserved:{reservation.pk}")
    assert f"/queue/r/{reservation.token}/?lang=en" in confirmation.body or \
        f"{reservation.token}/?lang=en" in confirmation.body
    assert tennyu.translations["en"] in confirmation.body  # the purpose's English name
    call_command("queue_reminders", stdout=open("/dev/null", "w"))  # noqa: SIM115
    reminder = OutboxMessage.objects.get(dedupe_key__startswith=f"queue-remind:{reservation.pk}:")
    assert f"{reservation.token}/?lang=en" in reminder.body and tennyu.translations["en"] in reminder.body
