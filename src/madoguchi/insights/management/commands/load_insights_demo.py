"""`madoguchi load_insights_demo`: a year of a city's synthetic history and its figures, so the
KPI pages, the public dashboard and the open data of a demo have a year to show
(insights/demo.py says what the year holds).

    madoguchi load_insights_demo --city demo [--seed 2026] [--days 365] [--if-empty]

Run after the other demo loaders (the departments, staff and counters it spreads the history
over). The history is loaded once: with `--if-empty` a city that has it is left as it is (what
`make run` does every time); without, such a city is refused, since loading twice would count
every case twice.
"""

import time

from django.core.management.base import BaseCommand, CommandError

from madoguchi.core.models import Municipality
from madoguchi.insights import demo


class Command(BaseCommand):
    help = "Load a year of synthetic history into a demo city and build its insights figures."

    def add_arguments(self, parser):
        parser.add_argument("--city", default="demo", help="the city's slug (default: demo)")
        parser.add_argument("--seed", type=int, default=2026, help="the same seed gives the same history")
        parser.add_argument("--days", type=int, default=365, help="days of history, ending yesterday")
        parser.add_argument("--if-empty", action="store_true",
                            help="do nothing when the city already has the history")

    def handle(self, *args, **options):
        city = Municipality.objects.filter(slug=options["city"]).first()
        if city is None:
            raise CommandError("run `madoguchi load_demo` first: the municipality does not exist")
        if options["days"] < 1:
            raise CommandError("--days must be at least 1")
        if demo.loaded(city):
            if options["if_empty"]:
                self.stdout.write(f"{city.name} already has its insights history (--if-empty): nothing to do")
                return
            raise CommandError(f"{city.name} already has its insights history; --if-empty leaves it")
        started = time.perf_counter()
        try:
            result = demo.load(city, seed=options["seed"], days=options["days"])
        except LookupError as exc:
            raise CommandError(f"cannot make a history for {city.name}: {exc}") from exc
        rows = ", ".join(f"{n:,} {name.replace('_', ' ')}" for name, n in result.rows.items())
        self.stdout.write(self.style.SUCCESS(
            f"insights history for {city.name}, {result.first} to {result.last}: {rows}; "
            f"{result.figures:,} figure rows built ({time.perf_counter() - started:.1f} s)"))
