"""`madoguchi queue_reminders`: mail tomorrow's reserved visitors (run once a day, e.g. from cron)."""

from django.core.management.base import BaseCommand

from madoguchi.queueing.reservations import remind


class Command(BaseCommand):
    help = "Queue reminder e-mails for tomorrow's reservations (each reservation once)."

    def handle(self, *args, **options):
        self.stdout.write(f"reminders queued: {remind()}")
