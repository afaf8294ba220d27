"""`madoguchi register_export FILE`: write the city's register as CSV (docs/register.md)."""

from pathlib import Path

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from madoguchi.core import audit
from madoguchi.core.actors import Actor
from madoguchi.register import csvio
from madoguchi.register.models import Resident

from ._city import add_municipality_argument, municipality


class Command(BaseCommand):
    help = "Export the register as a 住民記録 CSV. The file holds personal data: keep it safe."  # ja-only: English help naming a Japanese data item

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--without-my-number", action="store_true",
                            help="leave the 個人番号 column empty")  # ja-only: English help naming a Japanese data item
        add_municipality_argument(parser)

    def handle(self, *args, file: Path, without_my_number: bool, **options):
        city = municipality(options["municipality"])
        residents = (Resident.objects.filter(municipality=city).select_related("household")
                     .order_by("household__number", "code").iterator(chunk_size=5000))
        count = csvio.write(file, residents, with_my_number=not without_my_number)
        audit.record(city, Actor.system(), "register_export", "register", "csv",
                     residents=count, my_number=not without_my_number)
        self.stdout.write(self.style.SUCCESS(_("%(n)s 人を書き出しました") % {"n": count}))
