"""`madoguchi register_generate --residents N [--seed S]`: a synthetic register for demos and
benchmarks (docs/register.md). Refuses a city that already has one, or skips with --if-empty."""

import time

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from madoguchi.register.models import Resident
from madoguchi.register.seeding import generate_register

from ._city import add_municipality_argument, municipality


class Command(BaseCommand):
    help = "Generate a synthetic resident register (invented people, valid-looking 個人番号)."  # ja-only: English help naming a Japanese data item

    def add_arguments(self, parser):
        parser.add_argument("--residents", type=int, required=True)
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--if-empty", action="store_true",
                            help="do nothing when the city already has a register (for `make run`)")
        add_municipality_argument(parser)

    def handle(self, *args, residents: int, seed: int, if_empty: bool, **options):
        if residents < 1:
            raise CommandError("--residents must be at least 1")
        city = municipality(options["municipality"])
        existing = Resident.objects.filter(municipality=city).count()
        if existing:
            if if_empty:
                self.stdout.write(_("%(city)s の住民記録はすでにあります (%(n)s 人)") % {"city": city.name, "n": existing})
                return
            raise CommandError(f"{city.name} already has a register ({existing} residents)")
        started = time.perf_counter()
        result = generate_register(city, residents, seed)
        self.stdout.write(self.style.SUCCESS(
            _("%(city)s: %(residents)s 人、%(households)s 世帯を作りました (%(seconds)s 秒)")
            % {"city": city.name, "residents": result.residents, "households": result.households,
               "seconds": f"{time.perf_counter() - started:.1f}"}))
