"""The display and phone streams under a real ASGI server (uvicorn): every open screen gets each
call, a stream holds no thread and (on PostgreSQL) no database connection while it waits, a
change made in one process reaches the streams of every other, and the protocol's edges
(unknown ticket, Last-Event-ID, heartbeat, the stream's end)."""

import asyncio
import threading
import time

import pytest
from asgi_server import in_processes, in_thread
from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import translation
from queue_support import issue, load_counters, purpose, run_in_own_loop, window
from sse_client import open_stream

from madoguchi.core.actors import Actor
from madoguchi.queueing import events, services, texts
from madoguchi.queueing.models import QueueChange, Ticket

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("audit_log_flushable")]
postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="LISTEN/NOTIFY and pg_stat_activity are PostgreSQL's (run with DATABASE_URL=postgres://…); "
           "on SQLite the streams poll the change log, which the other tests here cover")




@pytest.fixture
def counters(city):
    load_counters(city)
    return city


@pytest.fixture
def clerk(counters):
    return Actor.staff(get_user_model().objects.get(username="shimin-tanto"))


@pytest.fixture
def server():
    with in_thread() as (port, uvicorn_server):
        yield port


@pytest.fixture(autouse=True)
def _stream_limits(monkeypatch):
    monkeypatch.setattr(events, "STREAM_SECONDS", 60)


async def in_worker(function, *args):
    """Run Django code from the test's loop in a thread, closing that thread's connection after
    (so that the sessions counted are the server's and the test database can be dropped)."""
    def run():
        try:
            return function(*args)
        finally:
            connection.close()

    return await asyncio.to_thread(run)


def own_backend() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def _sessions(test_backend: int) -> list[tuple[int, str, str]]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pid, application_name, state FROM pg_stat_activity "
                       "WHERE datname = current_database() AND pid <> pg_backend_pid() AND pid <> %s",
                       [test_backend])
        return cursor.fetchall()


def server_connections(test_backend: int, before: frozenset[int] = frozenset()) -> list[tuple[str, str]]:
    """Sessions on the test database other than the test's own (its main thread's, and the one
    asking) and those already there before the server started (`before`): the server's."""
    return [(name, state) for pid, name, state in _sessions(test_backend) if pid not in before]


def settled_connections(test_backend: int, most: int,
                        before: frozenset[int] = frozenset()) -> list[tuple[str, str]]:
    """The server's sessions once at most `most` remain, or as they are after 5 s: a session the
    server closed stays in pg_stat_activity a moment, longer on a busy machine (a fixed pause
    made this test depend on the machine's load)."""
    deadline = time.monotonic() + 5
    held = server_connections(test_backend, before)
    while len(held) > most and time.monotonic() < deadline:
        time.sleep(0.05)
        held = server_connections(test_backend, before)
    return held


def no_sessions_left(test_backend: int) -> frozenset[int]:
    """Wait (a few seconds at most) until sessions of servers from earlier tests have gone: a
    backend leaves pg_stat_activity a moment after its client closed the connection. Returns
    those still there then (an earlier test's thread in this process may keep one for as long
    as the run lasts), which the caller leaves out of the server's count: in the whole suite
    one such session made the count one too many."""
    deadline = time.monotonic() + 10
    while _sessions(test_backend) and time.monotonic() < deadline:
        time.sleep(0.1)
    left = frozenset(pid for pid, _name, _state in _sessions(test_backend))
    connection.close()
    return left


def tickets_waiting(counters, n: int) -> list[Ticket]:
    tennyu = purpose(counters, "jumin", "tennyu")
    return [issue(tennyu, f"phone-{i}") for i in range(n)]


async def open_screens(port: int, tickets: list[Ticket], displays: int):
    screens = [await open_stream(port, "/queue/display/events/?groups=jumin") for _ in range(displays)]
    screens += [await open_stream(port, f"/queue/t/{t.token}/events/") for t in tickets]
    assert {s.status for s in screens} == {200}
    first = await asyncio.gather(*(asyncio.wait_for(s.next_event(), 20) for s in screens))
    return screens, first


def test_every_open_screen_gets_the_call_and_no_stream_holds_a_thread(counters, clerk, server):
    tickets = tickets_waiting(counters, 50)
    first_window = window(counters, "jumin")
    threads_before = threading.active_count()

    async def scenario():
        screens, first = await open_screens(server, tickets, 50)
        threads_open = threading.active_count()
        await in_worker(services.call_next, first_window, clerk)
        got = await asyncio.gather(*(asyncio.wait_for(s.next_event(), 10) for s in screens))
        for s in screens:
            await s.close()
        return first, threads_open, got

    first, threads_open, got = run_in_own_loop(scenario())
    assert [e.event for e in first] == ["board"] * 50 + ["ticket"] * 50
    # 100 streams open: at most the hub's database thread and the test's loop were added.
    assert threads_open - threads_before <= 3
    call = QueueChange.objects.latest("id")
    assert {e.id for e in got} == {call.id}
    assert all(e.json()["calls"][0]["ticket"] == tickets[0].label for e in got[:50])
    assert all(e.json()["calls"][0]["status"] == "called" for e in got[:50])
    called, *waiting = [e.json() for e in got[50:]]
    assert (called["status"], called["window"]) == ("called", first_window.number)
    assert [state["ahead"] for state in waiting] == list(range(49))


@postgresql_only
def test_on_postgresql_open_streams_hold_only_the_listener(counters, clerk, server):
    tickets = tickets_waiting(counters, 50)
    first_window = window(counters, "jumin")
    test_backend = own_backend()

    async def scenario():
        before = await in_worker(no_sessions_left, test_backend)
        screens, _ = await open_screens(server, tickets, 50)
        await asyncio.sleep(0.5)  # the hub's database thread closes its connection when idle
        held = await in_worker(settled_connections, test_backend, 2, before)
        await in_worker(services.call_next, first_window, clerk)
        got = await asyncio.gather(*(asyncio.wait_for(s.next_event(), 10) for s in screens))
        held_after = await in_worker(server_connections, test_backend, before)
        for s in screens:
            await s.close()
        return held, got, held_after

    held, got, held_after = run_in_own_loop(scenario())
    assert len(held) <= 2 and ("madoguchi-queue-listener", "idle") in held, held
    assert len(held_after) <= 2
    # Delivered by NOTIFY: the safety poll of a listening hub comes only every 30 s.
    assert events.SAFETY_POLL_SECONDS >= 30
    assert {e.id for e in got} == {QueueChange.objects.latest("id").id}


@postgresql_only
def test_a_change_in_one_process_reaches_streams_in_every_server_process(counters, clerk):
    tickets = tickets_waiting(counters, 10)
    first_window = window(counters, "jumin")
    test_backend = own_backend()
    settings = connection.settings_dict
    url = f"postgres://{settings['USER']}@{settings['HOST']}:{settings['PORT']}/{settings['NAME']}"

    with in_processes(url, workers=2) as (port, process):
        async def scenario():
            before = await in_worker(no_sessions_left, test_backend)
            screens, _ = await open_screens(port, tickets, 30)
            await asyncio.sleep(0.5)
            held = await in_worker(settled_connections, test_backend, 2, before)
            await in_worker(services.call_next, first_window, clerk)
            got = await asyncio.gather(*(asyncio.wait_for(s.next_event(), 10) for s in screens))
            for s in screens:
                await s.close()
            return held, got

        held, got = run_in_own_loop(scenario())
    # Two server processes: one listener each (if both got screens), nothing else held.
    listeners = [name for name, _ in held if name == "madoguchi-queue-listener"]
    assert 1 <= len(listeners) <= 2 and len(held) <= 2, held
    assert {e.id for e in got} == {QueueChange.objects.latest("id").id}


@postgresql_only
def test_the_notice_is_sent_when_the_change_commits(counters):
    import psycopg
    from django.db import transaction

    settings = connection.settings_dict
    with psycopg.connect(dbname=settings["NAME"], user=settings["USER"], host=settings["HOST"],
                         port=settings["PORT"], autocommit=True) as listener:
        listener.execute(f"LISTEN {events.CHANNEL}")
        tennyu = purpose(counters, "jumin", "tennyu")
        with transaction.atomic():
            ticket = issue(tennyu, "notify")
            assert list(listener.notifies(timeout=0.5)) == []  # not before the commit
        notices = list(listener.notifies(timeout=2, stop_after=1))
    change = QueueChange.objects.get(ticket=ticket)
    assert [(n.channel, n.payload) for n in notices] == [(events.CHANNEL, f"{tennyu.group_id}:{change.id}")]


def test_an_unknown_ticket_or_group_is_not_found(counters, server):
    async def scenario():
        unknown = await open_stream(server, "/queue/t/no-such-token/events/")
        no_group = await open_stream(server, "/queue/display/events/?groups=nosuch")
        await unknown.close()
        await no_group.close()
        return unknown.status, no_group.status

    assert run_in_own_loop(scenario()) == (404, 404)


def test_a_reconnect_resumes_after_its_last_event_id(counters, server, monkeypatch):
    ticket = tickets_waiting(counters, 1)[0]
    latest = QueueChange.objects.latest("id").id
    monkeypatch.setattr(events, "STREAM_SECONDS", 1)
    path = f"/queue/t/{ticket.token}/events/"

    async def scenario():
        current = await open_stream(server, path, last_event_id=latest)
        older = await open_stream(server, path, last_event_id=latest - 1)
        got = (await current.next_event(), await older.next_event())
        await current.close()
        await older.close()
        return got

    nothing_new, missed = run_in_own_loop(scenario())
    assert nothing_new is None  # the stream ended (STREAM_SECONDS) without sending it again
    assert (missed.id, missed.event, missed.json()["token"]) == (latest, "ticket", ticket.token)


def test_a_quiet_stream_sends_heartbeats_and_ends_after_its_time(counters, server, monkeypatch):
    ticket = tickets_waiting(counters, 1)[0]
    monkeypatch.setattr(events, "HEARTBEAT_SECONDS", 0.2)
    monkeypatch.setattr(events, "STREAM_SECONDS", 1.5)

    async def scenario():
        stream = await open_stream(server, f"/queue/t/{ticket.token}/events/?lang=en")
        started = time.monotonic()
        first = await stream.next_event()
        end = await asyncio.wait_for(stream.next_event(), 10)
        lasted = time.monotonic() - started
        await stream.close()
        return stream, first, end, lasted

    stream, first, end, lasted = run_in_own_loop(scenario())
    assert stream.retry == events.RETRY_MS
    assert first.event == "ticket"
    assert (first.json()["status"], first.json()["ahead"]) == ("issued", 0)
    with translation.override("en"):  # the language asked for
        assert first.json()["ahead_text"] == texts.people(0)
        assert first.json()["group"] == ticket.group.name_in("en") != ticket.group.name
    assert end is None and stream.ended
    assert stream.comments.count("keep-alive") >= 3
    assert lasted < 10  # it ended by itself rather than by the test's timeout
