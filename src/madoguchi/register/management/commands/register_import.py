"""`madoguchi register_import FILE`: load a register CSV; all rows or none (docs/register.md)."""

import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from madoguchi.register.importer import ImportRefused, import_csv

from ._city import add_municipality_argument, municipality


class Command(BaseCommand):
    help = "Import residents from a 住民記録 CSV (UTF-8, Japanese headers). Idempotent by 住民票コード."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        add_municipality_argument(parser)

    def handle(self, *args, file: Path, **options):
        if not file.is_file():
            raise CommandError(f"{file} が見つかりません")
        city = municipality(options["municipality"])
        started = time.perf_counter()
        try:
            result = import_csv(city, file)
        except ImportRefused as refused:
            for error in refused.errors:
                self.stderr.write(str(error))
            raise CommandError(str(refused)) from None
        self.stdout.write(self.style.SUCCESS(
            f"取り込みました: 新規 {result.created} 人、更新 {result.updated} 人、"
            f"新しい世帯 {result.households} ({time.perf_counter() - started:.1f} 秒)"))
