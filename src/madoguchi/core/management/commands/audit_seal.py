"""`madoguchi audit_seal`: seal every finished, unsealed day of every city's audit log and hand
each day's digest outside the database (core/audit_chain.py, docs/operations.md).

    madoguchi audit_seal [--city SLUG …]

Run nightly by madoguchi-audit-seal.timer, after midnight Asia/Tokyo. Safe to run again or at the
same time as another run: a sealed day is never sealed again, and two runs take turns on a
city's row lock (or the second's INSERT is refused by the unique city-and-day constraint). A
digest that could not be written or mailed is tried again on the next run; the run then exits
non-zero, so that the timer's failure shows in `systemctl --failed` and the journal.
"""

from django.core.management.base import BaseCommand, CommandError

from madoguchi.core import audit_chain
from madoguchi.core.models import Municipality


class Command(BaseCommand):
    help = "Seal each finished day of the audit log into its chain and hand the digests outside."

    def add_arguments(self, parser):
        parser.add_argument("--city", action="append", default=[], metavar="SLUG",
                            help="only this city (repeatable); default: every city")

    def handle(self, *args, city: list[str], **options):
        cities = Municipality.objects.order_by("slug")
        if city:
            cities = cities.filter(slug__in=city)
            missing = set(city) - set(cities.values_list("slug", flat=True))
            if missing:
                raise CommandError(f"no such city: {', '.join(sorted(missing))}")
        failed = []
        for town in cities:
            sealed = audit_chain.seal(town)
            failed += audit_chain.hand_out(town)
            if sealed:
                self.stdout.write(f"{town.slug}: sealed {len(sealed)} days, "
                                  f"{sealed[0].day.isoformat()} to {sealed[-1].day.isoformat()}, "
                                  f"newest digest {sealed[-1].digest}")
        if failed:
            raise CommandError("digests not handed out (tried again on the next run): " + "; ".join(failed))
