"""Server-sent events for the waiting-room display and the phone status page.

Every queue change is a `QueueChange` row; its id is the event id. A client that reconnects
sends Last-Event-ID and is sent the current board at once if anything changed meanwhile, so a
dropped connection loses nothing (each event carries the whole board, not a delta).

Under ASGI (uvicorn) one `Hub` per process polls the change log in ONE loop and fans each new
board out to every connected client: the database sees one query per poll, not one per client,
and a board is built once per set of groups, however many screens show it. Under WSGI
(runserver, the test server, gunicorn threads) each stream is a generator polling in its own
thread, which is fine for a few screens; where workers are single-threaded (gunicorn sync) a
stream answers at once and the browser polls through the same protocol. Either stream ends
after STREAM_SECONDS so a worker is never held for ever; EventSource reconnects by itself and
resumes from its last id.
"""

import asyncio
import json
import logging
import threading
import time
from collections.abc import AsyncIterator, Iterator

from asgiref.sync import sync_to_async
from django.db import close_old_connections

from madoguchi.queueing import selectors
from madoguchi.queueing.models import CounterGroup, QueueChange

log = logging.getLogger(__name__)
POLL_SECONDS = 0.25
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


def latest_id(municipality_id: int, group_ids: tuple[int, ...]) -> int:
    changes = QueueChange.objects.filter(municipality_id=municipality_id, group_id__in=group_ids)
    last = changes.order_by("-id").values_list("id", flat=True).first()
    return last or 0


def board_json(municipality_id: int, group_ids: tuple[int, ...]) -> str:
    groups = CounterGroup.objects.filter(municipality_id=municipality_id, pk__in=group_ids)
    municipality = groups[0].municipality if groups else None
    return json.dumps(selectors.board(municipality, groups), ensure_ascii=False, separators=(",", ":"))


def frame(event_id: int, data: str) -> str:
    return f"id: {event_id}\nevent: board\ndata: {data}\n\n"


def sync_stream(municipality_id: int, group_ids: tuple[int, ...], last_seen: int | None,
                hold: bool = True) -> Iterator[str]:
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
            current = latest_id(municipality_id, group_ids)
            if last_seen is None or current > last_seen:
                last_seen = current
                beat = time.monotonic()
                yield frame(current, board_json(municipality_id, group_ids))
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


def _changed_groups(after: int, upto: int) -> set[tuple[int, int]]:
    return set(QueueChange.objects.filter(id__gt=after, id__lte=upto)
               .values_list("municipality_id", "group_id").distinct())


def _max_id() -> int:
    return QueueChange.objects.order_by("-id").values_list("id", flat=True).first() or 0


def _db(function):
    """Run a query in a worker thread, then let Django close that thread's connection as it
    would after a request (CONN_MAX_AGE), so idle pool threads hold no database sessions."""
    def run(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        finally:
            close_old_connections()

    return sync_to_async(run, thread_sensitive=False)


class Hub:
    """One polling loop per process (per event loop) fanning boards out to subscribers."""

    def __init__(self):
        self.subscribers: dict[tuple, set[asyncio.Queue]] = {}
        self.boards: dict[tuple, tuple[int, str]] = {}
        self.checked: dict[tuple, float] = {}
        self.last_id: int | None = None
        self.task: asyncio.Task | None = None

    def subscribe(self, key: tuple) -> asyncio.Queue:
        queue = asyncio.Queue(maxsize=4)
        self.subscribers.setdefault(key, set()).add(queue)
        if self.task is None or self.task.done():
            self.task = asyncio.get_running_loop().create_task(self._run())
        return queue

    def unsubscribe(self, key: tuple, queue: asyncio.Queue) -> None:
        queues = self.subscribers.get(key, set())
        queues.discard(queue)
        if not queues:
            self.subscribers.pop(key, None)

    async def board(self, key: tuple, fresh: bool = False) -> tuple[int, str]:
        """The current board for `key`, built once per change however many clients ask; a board
        checked less than a second ago is trusted (the poll pushes anything newer anyway)."""
        if self.last_id is None:  # the hub starts from what the first screen is shown
            self.last_id = await _db(_max_id)()
        cached = self.boards.get(key)
        if cached and not fresh and time.monotonic() - self.checked.get(key, 0) < 1:
            return cached
        current = await _db(latest_id)(*key)
        self.checked[key] = time.monotonic()
        if not cached or cached[0] < current:
            self.boards[key] = (current, await _db(board_json)(*key))
        return self.boards[key]

    async def _run(self) -> None:
        while self.subscribers:
            try:
                await self._poll()
            except Exception as exc:  # noqa: BLE001 - a database hiccup must not stop every screen
                log.warning("queue event hub: poll failed (%s); retrying", type(exc).__name__)
            await asyncio.sleep(POLL_SECONDS)

    async def _poll(self) -> None:
        """One query for the newest change; boards only for the screens whose groups changed."""
        newest = await _db(_max_id)()
        if self.last_id is None:
            self.last_id = newest
        if newest <= self.last_id:
            return
        changed = await _db(_changed_groups)(self.last_id, newest)
        self.last_id = newest
        for key in list(self.subscribers):
            municipality_id, group_ids = key
            if not any((municipality_id, g) in changed for g in group_ids):
                continue
            event = await self.board(key, fresh=True)
            for queue in list(self.subscribers.get(key, ())):
                if queue.full():
                    queue.get_nowait()  # a slow screen only needs the newest board
                queue.put_nowait(event)


_hubs: dict[int, Hub] = {}


def hub() -> Hub:
    loop = asyncio.get_running_loop()
    return _hubs.setdefault(id(loop), Hub())


async def async_stream(municipality_id: int, group_ids: tuple[int, ...],
                       last_seen: int | None) -> AsyncIterator[str]:
    """One client of the process's hub (ASGI)."""
    key = (municipality_id, group_ids)
    the_hub = hub()
    queue = the_hub.subscribe(key)
    _count(1)
    try:
        yield f"retry: {RETRY_MS}\n\n"
        event_id, data = await the_hub.board(key)
        if last_seen is None or event_id > last_seen:
            last_seen = event_id
            yield frame(event_id, data)
        deadline = time.monotonic() + STREAM_SECONDS
        while time.monotonic() < deadline:
            try:
                event_id, data = await asyncio.wait_for(queue.get(), HEARTBEAT_SECONDS)
            except TimeoutError:
                # Quiet for a while: make sure nothing was missed (the hub starting up), then
                # keep the connection alive through proxies.
                event_id, data = await the_hub.board(key)
                if event_id <= last_seen:
                    yield ": keep-alive\n\n"
                    continue
            if event_id > last_seen:
                last_seen = event_id
                yield frame(event_id, data)
    finally:
        the_hub.unsubscribe(key, queue)
        _count(-1)
