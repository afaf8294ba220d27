"""`madoguchi reconcile_payments`: one pass of the payment reconciliation job.

Polls every attempt that is not final and is due (the return page may never be visited and a
webhook may never come), expires what ran out (cancelled at the provider, so the resident can
start again), and sends the refunds approved (automatic refunds of a second payment too).
Safe to run often and from two machines at once (each attempt is claimed before it is polled).
deploy/systemd runs it every minute."""

from django.core.management.base import BaseCommand

from madoguchi.payments.services import reconcile


class Command(BaseCommand):
    help = "Poll unfinished payment attempts, expire lapsed ones and send approved refunds (one pass)."

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, default=500, help="attempts claimed per batch")

    def handle(self, *args, **options):
        counts = reconcile(limit=options["limit"])
        summary = ", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "nothing due"
        self.stdout.write(f"payments reconciled: {summary}")
