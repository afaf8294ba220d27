"""`madoguchi run_outbox`: a worker that delivers queued notifications (several may run)."""

import time

from django.core.management.base import BaseCommand

from madoguchi.notify.services import deliver_pending


class Command(BaseCommand):
    help = "Deliver queued notifications; with --once, one pass and exit."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true")
        parser.add_argument("--interval", type=float, default=2.0)

    def handle(self, *args, once=False, interval=2.0, **options):
        while True:
            sent = deliver_pending()
            if once:
                self.stdout.write(f"sent {sent}")
                return
            if not sent:
                time.sleep(interval)
