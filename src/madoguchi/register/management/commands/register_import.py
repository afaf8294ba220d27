"""`madoguchi register_import FILE [--mapping MAPPING.yaml]`: load a register CSV, or a city's own
export through its mapping file; all rows or none (docs/register.md)."""

import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from madoguchi.register.importer import ImportRefused, import_csv
from madoguchi.register.mapping import MappingError
from madoguchi.register.mapping import load as load_mapping

from ._city import add_municipality_argument, municipality


class Command(BaseCommand):
    help = ("Import residents from a 住民記録 CSV (UTF-8, Japanese headers), or from the city's own "  # ja-only: English help naming a Japanese data item
            "export read through its mapping file (--mapping). Idempotent by 住民票コード.")  # ja-only: English help naming a Japanese data item

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--mapping", type=Path, default=None,
                            help="the city's mapping file (YAML) for its own system's export")
        add_municipality_argument(parser)

    def handle(self, *args, file: Path, mapping: Path | None = None, **options):
        if not file.is_file():
            raise CommandError(_("%(file)s が見つかりません") % {"file": file})
        layout = None
        if mapping is not None:
            if not mapping.is_file():
                raise CommandError(_("%(file)s が見つかりません") % {"file": mapping})
            try:
                layout = load_mapping(mapping)
            except MappingError as wrong:
                for problem in wrong.problems:
                    self.stderr.write(problem)
                raise CommandError(str(wrong)) from None
        city = municipality(options["municipality"])
        started = time.perf_counter()
        try:
            result = import_csv(city, file, layout=layout)
        except ImportRefused as refused:
            for error in refused.errors:
                self.stderr.write(str(error))
            raise CommandError(str(refused)) from None
        self.stdout.write(self.style.SUCCESS(
            _("取り込みました: 新規 %(created)s 人、更新 %(updated)s 人、新しい世帯 %(households)s (%(seconds)s 秒)")
            % {"created": result.created, "updated": result.updated, "households": result.households,
               "seconds": f"{time.perf_counter() - started:.1f}"}))
