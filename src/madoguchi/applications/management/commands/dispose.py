"""`madoguchi dispose`: apply the retention rules (run it daily, e.g. from cron)."""

from django.core.management.base import BaseCommand

from madoguchi.applications.retention import dispose


class Command(BaseCommand):
    help = "Delete abandoned drafts, unreferenced attachments and spent login codes."

    def handle(self, *args, **options):
        for name, count in dispose().items():
            self.stdout.write(f"{name}: {count}")
