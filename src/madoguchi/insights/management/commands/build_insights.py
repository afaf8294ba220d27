"""`madoguchi build_insights`: build the daily figures the KPI pages and the open data read.

Run it every night after midnight (Asia/Tokyo), e.g. from cron:

    30 1 * * *  madoguchi build_insights

By default it rebuilds yesterday and the 34 days before it for every open city, since a case
decided, a draft submitted or a charge paid later changes the figures of the day it began on.
Rebuilding a day replaces it whole, so running it twice is harmless.
"""

from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from madoguchi.core.models import Municipality
from madoguchi.insights import daily


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as error:
        raise CommandError(f"not a day (YYYY-MM-DD): {text}") from error


class Command(BaseCommand):
    help = ("Build the daily figures (insights) from the event rows: yesterday and the 34 days before it "
            "by default, for every open city.")

    def add_arguments(self, parser):
        parser.add_argument("--city", action="append", default=[], metavar="SLUG",
                            help="a city's slug (repeat for several; default: every open city)")
        when = parser.add_mutually_exclusive_group()
        when.add_argument("--day", help="one day, YYYY-MM-DD")
        when.add_argument("--from", dest="first", help="first day, YYYY-MM-DD (with --to)")
        when.add_argument("--days", type=int, help="the N days up to yesterday")
        parser.add_argument("--to", dest="last", help="last day, YYYY-MM-DD (with --from)")

    def _range(self, options) -> tuple[date, date]:
        if options["day"]:
            day = _day(options["day"])
            return day, day
        if options["first"] or options["last"]:
            if not (options["first"] and options["last"]):
                raise CommandError("--from and --to go together")
            first, last = _day(options["first"]), _day(options["last"])
            if first > last:
                raise CommandError("--from is after --to")
            return first, last
        days = options["days"] if options["days"] is not None else daily.DEFAULT_DAYS
        if days < 1:
            raise CommandError("--days is at least 1")
        return daily.default_range(timezone.localdate(), days)

    def handle(self, *args, **options):
        first, last = self._range(options)
        cities = Municipality.objects.filter(closed_at__isnull=True).order_by("slug")
        if options["city"]:
            cities = cities.filter(slug__in=options["city"])
            missing = set(options["city"]) - set(cities.values_list("slug", flat=True))
            if missing:
                raise CommandError(f"no open city: {', '.join(sorted(missing))}")
        for city in cities:
            built = daily.build_range(city, first, last)
            self.stdout.write(f"{city.slug}: {len(built)} days {first}..{last}, {sum(built.values())} rows")
