"""Numbering, idempotent issue, calling rules, transfer, absent and the ticket's state table."""

import re

import pytest
from queue_support import group, issue, load_counters, purpose, today_at, window

from madoguchi.core.actors import Actor
from madoguchi.core.models import AuditEvent
from madoguchi.queueing import services
from madoguchi.queueing.models import QueueChange, Ticket, TicketStatus
from madoguchi.queueing.services import QueueError


@pytest.fixture
def counters(city):
    load_counters(city)
    return city


@pytest.fixture
def clerk(staff):
    return Actor.staff(staff["shimin-tanto"])


def test_numbers_run_per_group_and_start_again_each_day(counters):
    tennyu, juminhyo = purpose(counters, "jumin", "tennyu"), purpose(counters, "shomei", "juminhyo")
    first, second = issue(tennyu, "k1", today_at(9)), issue(tennyu, "k2", today_at(9, 1))
    other = issue(juminhyo, "k3", today_at(9, 2))
    tomorrow = issue(tennyu, "k4", today_at(9, days=1))
    assert (first.number, second.number, other.number, tomorrow.number) == (1, 2, 1, 1)
    assert (first.label, other.label) == ("A-001", "B-001")


def test_a_double_click_on_the_kiosk_issues_one_ticket(counters, client):
    page = client.get("/queue/kiosk/").content.decode()
    token = re.search(r'name="form_token" value="([^"]+)"', page).group(1)
    tennyu = purpose(counters, "jumin", "tennyu")
    answers = [client.post("/queue/kiosk/issue/", {"form_token": token, "purpose": tennyu.pk}) for _ in range(2)]
    assert answers[0]["Location"] == answers[1]["Location"]
    assert Ticket.objects.count() == 1
    assert client.get(answers[0]["Location"]).status_code == 200


def test_the_kiosk_refuses_a_purpose_of_another_city(counters, other_city, client):
    assert client.post("/queue/kiosk/issue/", {"form_token": "x", "purpose": 999999}).status_code == 400
    assert Ticket.objects.count() == 0


def test_call_next_takes_the_oldest_and_a_window_serves_one_at_a_time(counters, clerk):
    tennyu = purpose(counters, "jumin", "tennyu")
    first, second = issue(tennyu, "a", today_at(9)), issue(tennyu, "b", today_at(9, 5))
    desk = window(counters, "jumin")
    called = services.call_next(desk, clerk, today_at(9, 10))
    assert called.pk == first.pk and called.status == TicketStatus.CALLED and called.window == desk
    with pytest.raises(QueueError, match="受付中"):
        services.call_next(desk, clerk, today_at(9, 11))
    services.act(called, "start", clerk, today_at(9, 12))
    services.act(called, "finish", clerk, today_at(9, 30))
    assert services.call_next(desk, clerk, today_at(9, 31)).pk == second.pk
    called.refresh_from_db()
    assert (called.called_at, called.started_at, called.finished_at) == (today_at(9, 10), today_at(9, 12), today_at(9, 30))
    assert QueueChange.objects.filter(ticket=called).count() == 4  # issue, call, start, finish
    assert AuditEvent.objects.filter(action="queue.call", target_id=str(called.pk)).exists()


def test_two_windows_never_call_the_same_ticket(counters, clerk):
    tennyu = purpose(counters, "jumin", "tennyu")
    issue(tennyu, "a", today_at(9))
    assert services.call_next(window(counters, "jumin", 0), clerk, today_at(9, 1)) is not None
    assert services.call_next(window(counters, "jumin", 1), clerk, today_at(9, 1)) is None


def test_recall_absent_and_calling_an_absent_visitor_back(counters, clerk):
    ticket = issue(purpose(counters, "jumin", "tenkyo"), "a", today_at(9))
    desk = window(counters, "jumin")
    services.call_ticket(desk, ticket, clerk, today_at(9, 1))
    services.act(ticket, "recall", clerk, today_at(9, 3))
    ticket.refresh_from_db()
    assert ticket.call_count == 2 and ticket.called_at == today_at(9, 3)
    services.act(ticket, "absent", clerk, today_at(9, 6))
    assert services.call_next(desk, clerk, today_at(9, 7)) is None  # absent tickets are not in the line
    again = services.call_ticket(desk, ticket, clerk, today_at(9, 20))
    assert again.status == TicketStatus.CALLED and again.call_count == 3


def test_the_state_table_refuses_what_makes_no_sense(counters, clerk):
    ticket = issue(purpose(counters, "jumin", "tenkyo"), "a", today_at(9))
    for action in ("finish", "start", "absent", "recall"):
        with pytest.raises(QueueError):
            services.act(ticket, action, clerk, today_at(9, 1))
    with pytest.raises(QueueError, match="この窓口の番号札ではありません"):
        services.call_ticket(window(counters, "shomei"), ticket, clerk, today_at(9, 1))


def test_transfer_gives_a_number_in_the_other_group_ahead_of_walk_ins(counters, clerk, client):
    tennyu, kokuho = purpose(counters, "jumin", "tennyu"), purpose(counters, "kokuho", "kokuho")
    walk_in = issue(kokuho, "w", today_at(9))
    visitor = issue(tennyu, "v", today_at(9, 1))
    services.call_next(window(counters, "jumin"), clerk, today_at(9, 2))
    moved = services.transfer(visitor, kokuho, clerk, today_at(9, 20))
    visitor.refresh_from_db()
    assert visitor.status == TicketStatus.TRANSFERRED and visitor.finished_at == today_at(9, 20)
    assert moved.group == group(counters, "kokuho") and moved.label == "C-002"
    assert services.call_next(window(counters, "kokuho"), clerk, today_at(9, 21)).pk == moved.pk
    assert walk_in.status == TicketStatus.ISSUED
    # The visitor's phone follows them to the new number.
    answer = client.get(f"/queue/t/{visitor.token}/")
    assert answer.status_code == 302 and moved.token in answer["Location"]


def test_transfer_within_the_same_group_is_refused(counters, clerk):
    ticket = issue(purpose(counters, "jumin", "tennyu"), "v", today_at(9))
    with pytest.raises(QueueError):
        services.transfer(ticket, purpose(counters, "jumin", "tenkyo"), clerk, today_at(9, 1))
