"""`madoguchi register_generate --residents N [--seed S]`: a synthetic register for demos and
benchmarks (docs/register.md). Refuses a city that already has one, or skips with --if-empty."""

import time

from django.core.management.base import BaseCommand, CommandError

from madoguchi.register.models import Resident
from madoguchi.register.seeding import generate_register

from ._city import add_municipality_argument, municipality


class Command(BaseCommand):
    help = "Generate a synthetic resident register (invented people, valid-looking 個人番号)."

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
                self.stdout.write(f"{city.name} の住民記録はすでにあります ({existing} 人)")
                return
            raise CommandError(f"{city.name} already has a register ({existing} residents)")
        started = time.perf_counter()
        result = generate_register(city, residents, seed)
        self.stdout.write(self.style.SUCCESS(
            f"{city.name}: {result.residents} 人、{result.households} 世帯を作りました "
            f"({time.perf_counter() - started:.1f} 秒)"))
