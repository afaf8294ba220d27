"""`madoguchi dispose`: apply the retention rules (run it daily, e.g. from cron)."""

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils.module_loading import import_string


class Command(BaseCommand):
    help = ("Delete abandoned drafts, unreferenced attachments, spent login codes and every "
            "other record past its retention period (MADOGUCHI_RETENTION_TASKS).")

    def handle(self, *args, **options):
        # Each app keeps its own rules; the list lives in settings so that this command does
        # not import apps above its own.
        for task in settings.MADOGUCHI_RETENTION_TASKS:
            result = import_string(task)()
            counts = result if isinstance(result, dict) else {task.rsplit(".", 1)[-1]: result}
            for name, count in counts.items():
                self.stdout.write(f"{name}: {count}")
