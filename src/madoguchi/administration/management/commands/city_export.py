"""`madoguchi city_export <slug> --out <dir> [--close]`: everything of one city, decrypted, as a
checksummed data package; `madoguchi city_export verify <dir> [--deep]` checks one again.

Prints table names, row counts, the manifest's SHA-256 and the deletion code, never data.
See administration/leaving.py and docs/operations.md (leaving).
"""

from django.core.management.base import BaseCommand, CommandError

from madoguchi.administration import leaving
from madoguchi.core.actors import Actor
from madoguchi.core.models import Municipality


class Command(BaseCommand):
    help = "Export one city's data (or `verify <dir>`: check an export's signature and checksums)."

    def add_arguments(self, parser):
        parser.add_argument("target", help="the city's slug, or `verify`")
        parser.add_argument("directory", nargs="?", help="with verify: the export's directory or manifest")
        parser.add_argument("--out", help="a new (or empty) directory; created 0700")
        parser.add_argument("--close", action="store_true",
                            help="close the city first (its hosts stop serving it); needed before a deletion")
        parser.add_argument("--deep", action="store_true",
                            help="with verify: also validate every row against its schema (Frictionless)")

    def handle(self, *args, target, directory, out, close, deep, **options):
        if target == "verify":
            if not directory:
                raise CommandError("verify needs the export's directory")
            return self._verify(directory, deep)
        if directory:
            raise CommandError("unexpected argument; use --out <dir>")
        if not out:
            raise CommandError("--out <dir> is required")
        city = Municipality.objects.filter(slug=target).first()
        if city is None:
            raise CommandError(f"no city {target!r}")
        actor = Actor.system()
        if close:
            leaving.close_city(city, actor)
        try:
            result = leaving.export_city(city, out, actor,
                                         progress=lambda name, n: self.stdout.write(f"{name}: {n}"))
        except leaving.LeavingError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"files: {result.files}")
        self.stdout.write(f"manifest sha256: {result.manifest_sha256}")
        if city.closed_at is None:
            self.stdout.write(self.style.WARNING(
                "the city is still open: a deletion needs an export made after --close"))
        else:
            self.stdout.write(f"deletion code: {result.deletion_code}")
        self.stdout.write(self.style.SUCCESS(f"exported to {result.directory}"))

    def _verify(self, directory, deep: bool):
        verification = leaving.verify_export(directory, deep=deep)
        for problem in verification.problems:
            self.stderr.write(problem)
        if not verification.ok:
            raise CommandError(f"the export does not verify ({len(verification.problems)} problems)")
        city = verification.manifest.get("city") or {}
        self.stdout.write(f"manifest sha256: {verification.manifest_sha256}")
        if city.get("closed_at"):
            self.stdout.write(f"deletion code: {city.get('code')}-{verification.manifest_sha256[:8]}")
        self.stdout.write(self.style.SUCCESS("the export verifies"))
