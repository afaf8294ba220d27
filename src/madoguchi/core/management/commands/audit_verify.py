"""`madoguchi audit_verify`: recompute each city's audit-log chain and name the first broken day.

    madoguchi audit_verify [--city SLUG] [--from YYYY-MM-DD] [--against FILE]

For each city (or the one given): every sealed day from its first (or from --from, trusting the
link before it) is recomputed from the events in the database; the first day whose digest or
link does not hold is named with why (an event changed, missing or added, a link broken, a day
missing from the chain). With --against, the city's digest file (or any copy of it: the mailed
digests in the same JSON lines) is compared too: a chain rewritten whole in the database, or its
newest days deleted, only shows there. Exit status 1 when any chain is broken.
"""

from datetime import date
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from madoguchi.core import audit_chain
from madoguchi.core.models import Municipality


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise CommandError(f"--from: not a day (YYYY-MM-DD): {text}") from exc


class Command(BaseCommand):
    help = "Verify the audit log's daily chain; exit 1 naming the first broken day."

    def add_arguments(self, parser):
        parser.add_argument("--city", metavar="SLUG", help="only this city; default: every city")
        parser.add_argument("--from", dest="from_day", metavar="DAY", type=_day,
                            help="start at this day (Asia/Tokyo), trusting the link before it")
        parser.add_argument("--against", type=Path, metavar="FILE",
                            help="the city's digest file handed outside (MADOGUCHI_AUDIT_DIGEST_DIR)")

    def handle(self, *args, city: str | None, from_day: date | None, against: Path | None, **options):
        if against is not None and not city:
            raise CommandError("--against compares one city's digest file: give --city too")
        cities = Municipality.objects.order_by("slug")
        if city:
            cities = cities.filter(slug=city)
            if not cities.exists():
                raise CommandError(f"no such city: {city}")
        broken = []
        for town in cities:
            try:
                result = audit_chain.verify(town, from_day=from_day, against=against)
            except (OSError, ValueError) as exc:
                raise CommandError(str(exc)) from exc
            self.stdout.write(result.explain())
            if not result.ok:
                broken.append(result.explain())
        if broken:
            raise CommandError("\n".join(broken))
