"""The streams' rules without a server: states built once per change per key however many
screens follow it, one read of a group's line for all its phones, every wait from one walk of
the line, and the phone stream's short-poll answer for single-threaded WSGI workers."""

import asyncio
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from queue_support import frames, issue, load_counters, purpose, run_in_own_loop, today_at, window

from madoguchi.queueing import events, selectors, services
from madoguchi.queueing.models import QueueChange


@pytest.fixture
def counters(city):
    load_counters(city)
    return city



def test_all_waits_agree_with_the_estimate_of_each_place_in_line(counters, staff):
    from madoguchi.core.actors import Actor

    tennyu, tenkyo = purpose(counters, "jumin", "tennyu"), purpose(counters, "jumin", "tenkyo")
    for n in range(7):
        issue(tennyu if n % 2 else tenkyo, f"w{n}", today_at(9, n))
    services.call_next(window(counters, "jumin"), Actor.staff(staff["shimin-tanto"]), today_at(9, 10))
    snapshot = selectors.Snapshot(tenkyo.group, today_at(9, 20))
    waits = events.all_waits(snapshot)
    assert len(waits) == len(snapshot.line) + 1
    assert waits == [snapshot.wait_for(k) for k in range(len(snapshot.line) + 1)]
    tenkyo.group.windows.update(is_open=False)
    assert events.all_waits(selectors.Snapshot(tenkyo.group, today_at(9, 20))) is None


def test_one_read_of_the_line_serves_every_phone_of_the_group(counters):
    tennyu = purpose(counters, "jumin", "tennyu")
    tickets = [issue(tennyu, f"p{n}") for n in range(12)]

    def queries_for(some):
        keys = [("ticket", counters.pk, t.token, "ja") for t in some]
        with CaptureQueriesContext(connection) as queries:
            built = events.build(keys, {})
        return len(queries), built

    one, _ = queries_for(tickets[:1])
    twelve, built = queries_for(tickets)
    assert twelve == one
    states = [json.loads(built[("ticket", counters.pk, t.token, "ja")][1]) for t in tickets]
    assert [s["ahead"] for s in states] == list(range(12))
    assert states[5] == events.ticket_state(tickets[5])  # the same as the page and its JSON


def test_a_ticket_of_another_city_is_not_built(counters, other_city):
    ticket = issue(purpose(counters, "jumin", "tennyu"), "mine")
    key = ("ticket", other_city.pk, ticket.token, "ja")
    assert events.build([key], {}) == {key: None}


def test_a_change_made_while_a_state_is_built_is_not_claimed_by_it(counters, staff, monkeypatch):
    """A call committed between the read of the ticket and the read of the change log: the state
    shows the ticket as it was read, so its event id must stay below the call's, or the rebuild
    the call triggers would carry the same id and never reach the phone (seen as a phone that
    kept saying お待ちください while its number was called)."""
    from madoguchi.core.actors import Actor

    tennyu = purpose(counters, "jumin", "tennyu")
    ticket = issue(tennyu, "raced")
    key = ("ticket", counters.pk, ticket.token, "ja")
    real_final = services.final_ticket
    called = []

    def final_then_call(read):
        if not called:  # the clerk calls while the hub is between its reads
            called.append(services.call_next(window(counters, "jumin"), Actor.staff(staff["shimin-tanto"])))
        return real_final(read)

    monkeypatch.setattr(services, "final_ticket", final_then_call)
    raced = events.build([key], {})[key]
    monkeypatch.setattr(services, "final_ticket", real_final)
    later = events.build([key], {})[key]
    assert json.loads(raced[1])["status"] == "issued"
    assert json.loads(later[1])["status"] == "called"
    assert later[0] > raced[0]  # so the hub publishes the call


@pytest.mark.django_db(transaction=True)
def test_a_change_builds_each_followed_state_once_however_many_screens(counters, monkeypatch):
    from django.db import connections

    monkeypatch.setitem(connections.settings["default"], "CONN_MAX_AGE", 0)
    tennyu = purpose(counters, "jumin", "tennyu")
    tickets = [issue(tennyu, f"s{n}") for n in range(3)]
    board_key = ("board", counters.pk, (tennyu.group_id,))
    keys = [board_key] + [("ticket", counters.pk, t.token, "ja") for t in tickets]
    asked = []
    real_build = events.build
    monkeypatch.setattr(events, "build", lambda wanted, lines: asked.append(sorted(wanted)) or real_build(wanted, lines))

    async def scenario():
        streams = [events.async_stream(key, None, "x") for key in keys for _ in range(10)]
        for stream in streams:
            await anext(stream)  # retry
            await anext(stream)  # the state now
        asked.clear()
        await events.run_db(issue)(tennyu, "new")
        got = [await asyncio.wait_for(anext(stream), 5) for stream in streams]
        for stream in streams:
            await stream.aclose()
        return got


    got = run_in_own_loop(scenario())
    assert asked == [sorted(keys)]  # one build of the four keys for forty screens
    latest = QueueChange.objects.latest("id").id
    assert all(frame.startswith(f"id: {latest}\nevent: x\n") for frame in got)


def test_the_phone_stream_answers_at_once_on_single_threaded_workers(counters, client, monkeypatch):
    monkeypatch.setattr(events, "STREAM_SECONDS", 3600)  # would hang the test if it held
    ticket = issue(purpose(counters, "jumin", "tennyu"), "a")
    path = f"/queue/t/{ticket.token}/events/?lang=en"
    answer = client.get(path)
    assert answer["Content-Type"].startswith("text/event-stream")
    chunks = [c.decode() for c in answer.streaming_content]
    assert chunks[0] == f"retry: {events.SHORT_RETRY_MS}\n\n"
    [frame] = frames(chunks)
    latest = QueueChange.objects.latest("id").id
    assert frame.startswith(f"id: {latest}\nevent: ticket\ndata: ")
    assert json.loads(frame.split("data: ", 1)[1]) == client.get(f"/queue/t/{ticket.token}/status.json?lang=en").json()
    again = client.get(path, HTTP_LAST_EVENT_ID=str(latest))
    assert frames([c.decode() for c in again.streaming_content]) == []
    assert client.get("/queue/t/nonexistent/events/").status_code == 404


def test_the_phone_stream_follows_a_transfer(counters, staff, client):
    from madoguchi.core.actors import Actor

    ticket = issue(purpose(counters, "jumin", "tennyu"), "moved")
    elsewhere = purpose(counters, "shomei", "juminhyo")
    moved = services.transfer(ticket, elsewhere, Actor.staff(staff["shimin-tanto"]))
    chunks = [c.decode() for c in client.get(f"/queue/t/{ticket.token}/events/").streaming_content]
    [frame] = frames(chunks)
    state = json.loads(frame.split("data: ", 1)[1])
    assert state["token"] == moved.token and state["ticket"] == moved.label
    assert int(frame.split("\n", 1)[0].removeprefix("id: ")) == QueueChange.objects.latest("id").id


def test_the_phone_page_follows_its_own_stream(counters, client):
    ticket = issue(purpose(counters, "jumin", "tennyu"), "page")
    page = client.get(f"/queue/t/{ticket.token}/?lang=en").content.decode()
    assert f'data-events-url="/queue/t/{ticket.token}/events/?lang=en"' in page
    assert f'data-token="{ticket.token}"' in page
