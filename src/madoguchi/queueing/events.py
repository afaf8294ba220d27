"""Server-sent events for the waiting-room display and the phone status page.

Every queue change is a `QueueChange` row; its id is the event id. A client that reconnects
sends Last-Event-ID and is sent the current state at once if anything changed meanwhile, so a
dropped connection loses nothing (each event carries the whole board or ticket state, not a delta).

Under ASGI (uvicorn) a stream holds nothing while it waits: no thread and no database
connection. Per process there is ONE `Hub` (per event loop) with
- one change watcher: woken by PostgreSQL `LISTEN madoguchi_queue` on one dedicated psycopg
  connection (a trigger on `queueing_queuechange` sends `NOTIFY` when a change commits, from
  whichever process made it: a gunicorn page worker, a command, another uvicorn worker), or
  polling the change log every POLL_SECONDS on SQLite;
- one database worker thread: every query of the streams (the first state of a new screen,
  the states rebuilt after a change) runs there, batched, and its connection is closed as soon
  as no query waits, so the streams hold at most one short-lived connection per process beside
  the listener's;
- the states of every followed key (a display's groups, a phone's ticket and language) built
  once per change and fanned out to every screen showing that key.
The Django request that opens a stream ran its middleware in a thread of its own; when the
stream starts, that thread's connection is closed and the thread let go (`_release_request`).

Under WSGI (runserver, the test server, gunicorn threads) each stream is a generator polling in
its own thread, which is fine for a few screens; where workers are single-threaded (gunicorn
sync) a stream answers at once and the browser polls through the same protocol. Either stream
ends after STREAM_SECONDS so nothing is held for ever; EventSource reconnects by itself and
resumes from its last id.
"""

import asyncio
import contextlib
import heapq
import json
import logging
import threading
import time
import weakref
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

from asgiref.sync import SyncToAsync, sync_to_async
from django.conf import settings as django_settings
from django.db import connections
from django.db.models import Max
from django.utils import translation

from madoguchi.queueing import estimate, selectors, services, texts
from madoguchi.queueing.models import CounterGroup, QueueChange, Ticket

log = logging.getLogger(__name__)
CHANNEL = "madoguchi_queue"  # the NOTIFY channel of migration 0002's trigger
POLL_SECONDS = 0.25          # the change log's poll without LISTEN (SQLite, listener down)
SAFETY_POLL_SECONDS = 30     # with LISTEN: a cheap look anyway, in case a notice was lost
LISTEN_RETRY_SECONDS = 2
IDLE_SECONDS = 5             # a hub without screens stops watching after this long
SNAPSHOT_SECONDS = 5         # a group's line is reused for new phones this long if unchanged
HEARTBEAT_SECONDS = 15
STREAM_SECONDS = 300
RETRY_MS = 2000
SHORT_RETRY_MS = 1000

_open_lock = threading.Lock()
open_streams = 0  # streams being served by this process (WSGI generators and ASGI clients)


def _count(delta: int) -> None:
    global open_streams
    with _open_lock:
        open_streams += delta


def _dumps(data: dict) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def frame(event_id: int, data: str, event: str = "board") -> str:
    return f"id: {event_id}\nevent: {event}\ndata: {data}\n\n"


# --- what a screen shows ------------------------------------------------------------------------

def latest_id(municipality_id: int, group_ids: tuple[int, ...]) -> int:
    changes = QueueChange.objects.filter(municipality_id=municipality_id, group_id__in=group_ids)
    last = changes.order_by("-id").values_list("id", flat=True).first()
    return last or 0


def board_json(municipality_id: int, group_ids: tuple[int, ...]) -> str:
    groups = CounterGroup.objects.filter(municipality_id=municipality_id, pk__in=group_ids)
    municipality = groups[0].municipality if groups else None
    return _dumps(selectors.board(municipality, groups))


def group_ids(municipality_id: int, codes: list[str]) -> tuple[int, ...]:
    """The display's groups: those named in `codes`, or every group of the city."""
    groups = CounterGroup.objects.filter(municipality_id=municipality_id)
    if codes:
        groups = groups.filter(code__in=codes)
    return tuple(sorted(groups.values_list("pk", flat=True)))


def all_waits(snapshot: selectors.Snapshot) -> list[float] | None:
    """Every waiting ticket's wait in one pass: waits[k] is `snapshot.wait_for(k)`.

    `estimate.wait_minutes` hands the windows out along the line; the wait of the k-th visitor
    is the state after the first k hand-outs, so one walk gives them all (a thousand phones in
    one group cost one walk, not a thousand)."""
    if snapshot.windows_open == 0:
        return None
    busy = sorted(snapshot._remaining())[:snapshot.windows_open]
    free_at = busy + [0.0] * (snapshot.windows_open - len(busy))
    heapq.heapify(free_at)
    waits = [free_at[0]]
    for ticket in snapshot.line:
        start = heapq.heappop(free_at)
        heapq.heappush(free_at, start + snapshot.minutes.get(ticket.purpose_id, ticket.purpose.expected_minutes))
        waits.append(free_at[0])
    return waits


class Line:
    """A group's snapshot with every waiting ticket's position and wait worked out once, read by
    every phone following a ticket of the group."""

    def __init__(self, group: CounterGroup):
        self.snapshot = selectors.Snapshot(group)
        self.positions = {ticket.pk: index for index, ticket in enumerate(self.snapshot.line)}
        self.waits = all_waits(self.snapshot)
        self.built = time.monotonic()

    def state(self, current: Ticket, lang: str) -> dict:
        """What the visitor's phone shows for `current` (the ticket after any transfer)."""
        ahead = self.positions.get(current.pk)
        wait = None if ahead is None or self.waits is None else self.waits[ahead]
        with translation.override(lang):
            group, label = str(texts.name(current.group, lang)), str(current.get_status_display())
        state = {
            "ticket": current.label, "group": group, "status": current.status,
            "status_label": label, "ahead": ahead,
            "estimated_wait_minutes": None if wait is None else estimate.round_up(wait),
            "window": current.window.number if current.window and current.status in selectors.ACTIVE else None,
            "token": current.token,
        }
        return {**state, **texts.state_texts(state, lang)}


def ticket_state(ticket: Ticket, lang: str = "ja") -> dict:
    """What the phone shows, recomputed from the line (the page, its JSON, the WSGI stream)."""
    current = services.final_ticket(ticket)
    return Line(current.group).state(current, lang)


def ticket_event_id(ticket: Ticket) -> int:
    """The newest change of the groups the ticket's state depends on (its own, and the group it
    was transferred to)."""
    current = services.final_ticket(ticket)
    groups = {ticket.group_id, current.group_id}
    return QueueChange.objects.filter(group_id__in=groups).aggregate(last=Max("id"))["last"] or 0


# Keys of what a screen follows: ("board", municipality id, group ids) for a display,
# ("ticket", municipality id, token, lang) for a phone. A built state is
# (event id, JSON, the group ids it depends on), or None for a ticket that does not exist.

def build(keys: list[tuple], lines: dict[int, tuple[int, Line]]) -> dict[tuple, tuple | None]:
    """Build the states of `keys` in one go (one database session, in the hub's worker).

    `lines` caches each group's Line with the change id it was built at: phones of the same
    group arriving together (a QR scanned by a whole waiting room) share one read of the line."""
    built: dict[tuple, tuple | None] = {}
    tickets_wanted = [key for key in keys if key[0] == "ticket"]
    for key in keys:
        if key[0] == "board":
            _, municipality_id, ids = key
            built[key] = (latest_id(municipality_id, ids), board_json(municipality_id, ids), frozenset(ids))
    if not tickets_wanted:
        return built
    # Read first: every change up to `floor` is in what is read next. A change committed
    # between the reads below (a call between the ticket's read and the change log's) may be
    # missing from the state, so the state claims no id above `floor`; the rebuild that change
    # triggers then carries a higher id and is sent (a board reads its id first, likewise).
    floor = QueueChange.objects.order_by("-id").values_list("id", flat=True).first() or 0
    tickets = {t.token: t for t in Ticket.objects.select_related("group", "window")
               .filter(token__in={key[2] for key in tickets_wanted})}
    currents = {token: services.final_ticket(ticket) for token, ticket in tickets.items()}
    watched = {token: frozenset({tickets[token].group_id, current.group_id}) for token, current in currents.items()}
    every_group = set().union(*watched.values()) if watched else set()
    newest = dict(QueueChange.objects.filter(group_id__in=every_group).order_by()
                  .values("group_id").annotate(last=Max("id")).values_list("group_id", "last"))
    for current in currents.values():
        cached = lines.get(current.group_id)
        version = newest.get(current.group_id, 0)
        if cached is None or cached[0] != version or time.monotonic() - cached[1].built > SNAPSHOT_SECONDS:
            lines[current.group_id] = (version, Line(current.group))
    for key in tickets_wanted:
        _, municipality_id, token, lang = key
        ticket = tickets.get(token)
        if ticket is None or ticket.municipality_id != municipality_id:
            built[key] = None
            continue
        current = currents[token]
        state = lines[current.group_id][1].state(current, lang)
        version = min(max(newest.get(g, 0) for g in watched[token]), floor)
        built[key] = (version, _dumps(state), watched[token])
    return built


def changes_since(after: int | None) -> tuple[int, set[int]]:
    """The newest change id, and the groups changed after `after` (nothing when `after` is None)."""
    if after is None:
        return QueueChange.objects.order_by("-id").values_list("id", flat=True).first() or 0, set()
    rows = list(QueueChange.objects.filter(id__gt=after).order_by()
                .values("group_id").annotate(last=Max("id")).values_list("group_id", "last"))
    return max((last for _, last in rows), default=after), {group for group, _ in rows}


# --- the database worker -------------------------------------------------------------------------

_db_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="queue-streams-db")
_db_lock = threading.Lock()
_db_waiting = 0


def run_db(function):
    """Run `function` in the streams' one database thread; its connection is closed as soon as
    no other call waits, so thousands of idle screens hold no database session."""
    async def call(*args, **kwargs):
        global _db_waiting
        with _db_lock:
            _db_waiting += 1

        def run():
            global _db_waiting
            try:
                return function(*args, **kwargs)
            finally:
                with _db_lock:
                    _db_waiting -= 1
                    idle = _db_waiting == 0
                if idle:
                    connections.close_all()

        return await sync_to_async(run, thread_sensitive=False, executor=_db_executor)()

    return call


def _close_thread_connections() -> None:
    for connection in connections.all(initialized_only=True):
        connection.close()


async def _release_request() -> None:
    """Let go of what the Django request behind a stream holds once the stream has started.

    Django's ASGI handler serves each request inside an asgiref ThreadSensitiveContext: the
    first sync call of the request (the request_started signal, sync-only middleware) creates a
    one-thread executor for it, and the thread lives, idle, until the response has been sent,
    with any connection that the middleware opened in it. For a stream that is minutes, which
    is what made 4,000 screens cost 4,000 threads. Here the connection is closed in that thread
    and the executor shut down (its thread ends at once, being idle); the few sync calls at the
    end of the request (request_finished) get a fresh executor then, which Django's context
    shuts down as usual. There is no public asgiref call for this, hence the two attributes.
    """
    executors = getattr(SyncToAsync, "context_to_thread_executor", None)
    marker = getattr(SyncToAsync, "thread_sensitive_context", None)
    if executors is None or marker is None:  # another asgiref: the stream works, holding a thread
        return
    context = marker.get(None)
    if context is None or context not in executors:
        return
    await sync_to_async(_close_thread_connections)()
    executor = executors.pop(context, None)
    if executor is not None:
        executor.shutdown(wait=False)


# --- the hub ---------------------------------------------------------------------------------------

def _listen_params() -> dict | None:
    """Connection parameters for the listener: MADOGUCHI_LISTEN_DATABASE_URL where DATABASE_URL
    is a transaction-mode pool (LISTEN needs a session), else Django's own; None when not
    PostgreSQL."""
    settings = django_settings.MADOGUCHI_LISTEN_DATABASE or connections["default"].settings_dict
    if not settings["ENGINE"].endswith("postgresql"):
        return None
    params = {"dbname": settings["NAME"], "user": settings["USER"], "password": settings["PASSWORD"],
              "host": settings["HOST"], "port": settings["PORT"]}
    for name, value in (settings.get("OPTIONS") or {}).items():
        if isinstance(value, str | int) and name not in {"isolation_level", "server_side_binding", "pool",
                                                           "assume_role", "prepare_threshold"}:
            params[name] = value
    return {name: value for name, value in params.items() if value not in ("", None)}


class Hub:
    """The process's screens: one watcher, one database worker, states built once per change."""

    def __init__(self):
        self.subscribers: dict[tuple, set[asyncio.Queue]] = {}
        self.states: dict[tuple, tuple] = {}
        self.lines: dict[int, tuple[int, Line]] = {}
        self.wanted: dict[tuple, list[asyncio.Future]] = {}
        self.last_id: int | None = None
        self.ready: asyncio.Event | None = None
        self.wake: asyncio.Event | None = None
        self.listening = False
        self.watcher: asyncio.Task | None = None
        self.builder: asyncio.Task | None = None
        self.listener: asyncio.Task | None = None

    def _start(self) -> None:
        if self.watcher is None or self.watcher.done():
            self.ready, self.wake = asyncio.Event(), asyncio.Event()
            self.watcher = asyncio.get_running_loop().create_task(self._watch())

    def subscribe(self, key: tuple) -> asyncio.Queue:
        self._start()
        queue = asyncio.Queue(maxsize=4)
        self.subscribers.setdefault(key, set()).add(queue)
        return queue

    def unsubscribe(self, key: tuple, queue: asyncio.Queue) -> None:
        queues = self.subscribers.get(key, set())
        queues.discard(queue)
        if not queues:
            self.subscribers.pop(key, None)
            self.states.pop(key, None)  # kept fresh only while someone follows it

    async def current(self, key: tuple) -> tuple | None:
        """The state of `key` now: from the cache (kept fresh by the watcher), or built in the
        next batch together with every other key asked for meanwhile."""
        self._start()
        await self.ready.wait()
        if key in self.states:
            return self.states[key]
        future = asyncio.get_running_loop().create_future()
        self.wanted.setdefault(key, []).append(future)
        self._build_soon()
        return await future

    def _build_soon(self) -> None:
        if self.builder is None or self.builder.done():
            self.builder = asyncio.get_running_loop().create_task(self._build_wanted())

    async def _build_wanted(self) -> None:
        while self.wanted:
            batch, self.wanted = self.wanted, {}
            try:
                built = await run_db(build)(list(batch), self.lines)
            except Exception as exc:  # noqa: BLE001 - a database hiccup must not stop every screen
                log.warning("queue streams: building states failed (%s)", type(exc).__name__)
                for futures in batch.values():
                    for future in futures:
                        if not future.done():
                            future.set_exception(exc)
                await asyncio.sleep(POLL_SECONDS)
                continue
            for key, futures in batch.items():
                state = built.get(key)
                before = self.states.get(key)
                if state is not None:
                    self.states[key] = state
                else:
                    self.states.pop(key, None)
                if before is not None and (state is None or state[0] > before[0]):
                    self._publish(key, state)
                for future in futures:
                    if not future.done():
                        future.set_result(state)

    def _publish(self, key: tuple, state: tuple | None) -> None:
        for queue in list(self.subscribers.get(key, ())):
            if queue.full():
                queue.get_nowait()  # a slow screen only needs the newest state
            queue.put_nowait(state)

    async def _watch(self) -> None:
        """Wait for a change (a NOTIFY, or the poll's interval), then rebuild what it touched."""
        params = _listen_params()
        if params is not None:
            self.listener = asyncio.get_running_loop().create_task(self._listen(params))
        idle_since = None
        try:
            while True:
                try:
                    if self.last_id is None:
                        self.last_id, _ = await run_db(changes_since)(None)
                        self.ready.set()
                    else:
                        await self._catch_up()
                except Exception as exc:  # noqa: BLE001 - a database hiccup must not stop every screen
                    log.warning("queue streams: reading changes failed (%s); retrying", type(exc).__name__)
                if self.subscribers or self.wanted:
                    idle_since = None
                elif idle_since is None:
                    idle_since = time.monotonic()
                elif time.monotonic() - idle_since > IDLE_SECONDS:
                    return
                interval = SAFETY_POLL_SECONDS if self.listening else POLL_SECONDS
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.wake.wait(), min(interval, IDLE_SECONDS))
                self.wake.clear()
        finally:
            if self.listener is not None:
                self.listener.cancel()
                self.listener = None
            self.listening = False
            self.last_id = None
            self.states.clear()
            self.lines.clear()

    async def _catch_up(self) -> None:
        newest, changed = await run_db(changes_since)(self.last_id)
        if not changed:
            return
        self.last_id = newest
        for group_id in changed:
            self.lines.pop(group_id, None)
        for key, state in list(self.states.items()):
            if state[2] & changed:
                if key in self.subscribers:
                    self.wanted.setdefault(key, [])
                else:
                    del self.states[key]
        self._build_soon()

    async def _listen(self, params: dict) -> None:
        """One dedicated connection per process doing LISTEN; each notice wakes the watcher.
        Not Django's connection: it stays open for the process's life, outside any request."""
        import psycopg

        while True:
            try:
                async with await psycopg.AsyncConnection.connect(
                        autocommit=True, application_name="madoguchi-queue-listener", **params) as conn:
                    await conn.execute(f"LISTEN {CHANNEL}")
                    self.listening = True
                    self.wake.set()  # catch up with anything missed while not listening
                    async for _ in conn.notifies():
                        self.wake.set()
            except (psycopg.Error, OSError) as exc:
                log.warning("queue streams: listener lost (%s); polling meanwhile", type(exc).__name__)
            self.listening = False
            self.wake.set()
            await asyncio.sleep(LISTEN_RETRY_SECONDS)


_hubs: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Hub]" = weakref.WeakKeyDictionary()


def hub() -> Hub:
    """The hub of the running event loop (one per server process; tests run loops of their own)."""
    loop = asyncio.get_running_loop()
    if loop not in _hubs:
        _hubs[loop] = Hub()
    return _hubs[loop]


async def async_stream(key: tuple, last_seen: int | None, event: str = "board") -> AsyncIterator[str]:
    """One screen following `key` through the process's hub (ASGI)."""
    await _release_request()
    the_hub = hub()
    queue = the_hub.subscribe(key)
    _count(1)
    try:
        yield f"retry: {RETRY_MS}\n\n"
        state = await the_hub.current(key)
        if state is None:
            return
        if last_seen is None or state[0] > last_seen:
            last_seen = state[0]
            yield frame(state[0], state[1], event)
        deadline = time.monotonic() + STREAM_SECONDS
        while (left := deadline - time.monotonic()) > 0:
            try:
                state = await asyncio.wait_for(queue.get(), min(HEARTBEAT_SECONDS, left))
            except TimeoutError:
                if time.monotonic() < deadline:
                    yield ": keep-alive\n\n"
                continue
            if state is None:  # the ticket is gone (the day's tickets were removed)
                return
            if state[0] > last_seen:
                last_seen = state[0]
                yield frame(state[0], state[1], event)
    finally:
        the_hub.unsubscribe(key, queue)
        _count(-1)


def sync_stream(latest: Callable[[], int], build_data: Callable[[], str], last_seen: int | None,
                hold: bool = True, event: str = "board") -> Iterator[str]:
    """One client, polling in its own thread (WSGI).

    A server whose workers are single-threaded (gunicorn's sync workers) must not be held by a
    screen: with `hold=False` the stream sends what changed since Last-Event-ID and ends, and
    the browser comes back after SHORT_RETRY_MS — polling through the same protocol.
    """
    yield f"retry: {RETRY_MS if hold else SHORT_RETRY_MS}\n\n"
    started = beat = time.monotonic()
    _count(1)
    try:
        while True:
            current = latest()
            if last_seen is None or current > last_seen:
                last_seen = current
                beat = time.monotonic()
                yield frame(current, build_data(), event)
            elif time.monotonic() - beat > HEARTBEAT_SECONDS:
                beat = time.monotonic()
                yield ": keep-alive\n\n"
            if not hold or time.monotonic() - started >= STREAM_SECONDS:
                return
            time.sleep(POLL_SECONDS)
    finally:
        # The connection is this request's: Django closes it when the streaming response is
        # closed (request_finished), as for any request.
        _count(-1)
