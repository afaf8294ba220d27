"""The loop of a delivery worker (`run_outbox` for mail, `run_handoffs` for the business
systems): claim one due item at a time through the app's `deliver_pending`, wait when nothing is
due, finish the item in flight on SIGTERM or Ctrl-C, and ride out a database restart.

Django has no worker loop of its own and the field's job queues (Celery, RQ, Dramatiq) would
bring a broker the deployment does not otherwise need: the outbox and the hand-offs are rows
claimed with leases in the database (notify/services.py, handoff/services.py)."""

import logging
import signal
import time
from collections.abc import Callable

from django.core.management.base import BaseCommand
from django.db import DatabaseError, connection

log = logging.getLogger(__name__)


class DeliveryCommand(BaseCommand):
    """A management command running the app's `deliver_pending(limit=…) -> int` in a loop;
    a subclass names it: `deliver = staticmethod(deliver_pending)`."""

    # The checks load every city's catalogue (seconds); a worker restarted after a crash should
    # be delivering again at once. Deployments run `madoguchi check` and the web processes do too.
    requires_system_checks = []
    worker_name = "worker"  # in the log line of a database error
    done_word = "delivered"  # what `--once` prints before the count

    deliver: Callable[..., int]

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true")
        parser.add_argument("--interval", type=float, default=2.0,
                            help="seconds to wait when nothing is due")

    def handle(self, *args, once=False, interval=2.0, **options):
        if once:
            self.stdout.write(f"{self.done_word} {self.deliver()}")
            return
        stopping = []
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stopping.append(True))
        loop(lambda: self.deliver(limit=1), interval, stopping, self.worker_name)


def loop(deliver_one: Callable[[], int], interval: float, stopping: list, name: str) -> None:
    while not stopping:
        try:
            done = deliver_one()
        except DatabaseError as exc:  # the database restarted or is busy: try again later
            log.warning("%s: %s; retrying", name, type(exc).__name__)
            connection.close()
            done = 0
        if not done:
            sleep(interval, stopping)


def sleep(seconds: float, stopping: list) -> None:
    """Sleep in short steps so that a stop request is answered within 0.1 s."""
    deadline = time.monotonic() + seconds
    while not stopping and time.monotonic() < deadline:
        time.sleep(min(0.1, seconds))
