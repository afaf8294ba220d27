"""`madoguchi send_deadline_reminders`: mail residents whose procedures are due soon (run daily).

Idempotent and safe to run twice at once: each reminder has its outbox dedupe key
(applications.deadlines). It prints a count only, never an address or a procedure.
"""

from django.core.management.base import BaseCommand

from madoguchi.applications.deadlines import send_reminders


class Command(BaseCommand):
    help = ("Queue reminder e-mails for procedures due soon (MADOGUCHI_DEADLINE_REMINDER_DAYS "
            "days before the last day), each reminder once.")

    def handle(self, *args, **options):
        self.stdout.write(f"deadline reminders queued: {send_reminders()}")
