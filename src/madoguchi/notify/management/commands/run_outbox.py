"""`madoguchi run_outbox`: the loop that delivers queued notifications (several may run).

It is needed in both outbox modes: with `worker` it sends everything, with `inline` it retries
what the request's own attempt did not send (a failed relay, or a process killed between the
commit and the send). Each mail is claimed, sent and marked on its own (notify.services), so
`kill -9` repeats at most the one mail in flight. SIGTERM and Ctrl-C finish that mail first.
"""

import logging
import signal
import time

from django.core.management.base import BaseCommand
from django.db import DatabaseError, connection

from madoguchi.notify.services import deliver_pending

log = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Deliver queued notifications; with --once, one pass and exit."
    # The checks load every city's catalogue (seconds); a worker restarted after a crash should
    # be sending again at once. Deployments run `madoguchi check` and the web processes do too.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true")
        parser.add_argument("--interval", type=float, default=2.0,
                            help="seconds to wait when nothing is due")

    def handle(self, *args, once=False, interval=2.0, **options):
        if once:
            self.stdout.write(f"sent {deliver_pending()}")
            return
        stopping = []
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stopping.append(True))
        while not stopping:
            try:
                sent = deliver_pending(limit=1)
            except DatabaseError as exc:  # the database restarted or is busy: try again later
                log.warning("outbox worker: %s; retrying", type(exc).__name__)
                connection.close()
                sent = 0
            if not sent:
                self._sleep(interval, stopping)

    @staticmethod
    def _sleep(seconds: float, stopping: list) -> None:
        """Sleep in short steps so that a stop request is answered within 0.1 s."""
        deadline = time.monotonic() + seconds
        while not stopping and time.monotonic() < deadline:
            time.sleep(min(0.1, seconds))
