"""`madoguchi city_delete <slug> --export-manifest <path> --confirm <code>`: delete everything
of a closed city whose export verifies, verify that nothing of it remains, and write a signed
deletion certificate (`--certificate`, default beside the export: <dir>.deletion-certificate.json).

Refuses, changing nothing, when the export does not verify, is of another city, was made before
the city was closed, no longer matches the city's rows, or the code is not the one `city_export`
printed. Prints counts only. See administration/leaving.py and docs/operations.md (leaving).
"""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from madoguchi.administration import leaving
from madoguchi.core.actors import Actor
from madoguchi.core.models import Municipality


class Command(BaseCommand):
    help = "Delete a closed city's data after a verified export, and certify it."

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("--export-manifest", required=True, help="the export's manifest.json (or its directory)")
        parser.add_argument("--confirm", required=True, help="the deletion code city_export printed")
        parser.add_argument("--certificate", help="where to write the deletion certificate (JSON)")

    def handle(self, *args, slug, export_manifest, confirm, certificate, **options):
        city = Municipality.objects.filter(slug=slug).first()
        if city is None:
            raise CommandError(f"no city {slug!r}")
        directory = leaving.export_directory(export_manifest)
        target = Path(certificate) if certificate else directory.with_name(directory.name + ".deletion-certificate.json")
        if target.exists():
            raise CommandError(f"{target} exists already")
        try:
            body = leaving.delete_city(city, export_manifest, confirm.strip(), Actor.system(), target)
        except leaving.LeavingError as exc:
            raise CommandError(str(exc)) from exc
        for name, count in sorted(body["deleted"].items()):
            self.stdout.write(f"{name}: {count}")
        self.stdout.write(f"staff users: {json.dumps(body['staff_users'], sort_keys=True)}")
        self.stdout.write(self.style.SUCCESS(f"deleted and verified; certificate: {target}"))
