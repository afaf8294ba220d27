"""`madoguchi seal_test_ca --city demo [--city town]`: the test LGPKI (core/seal_ca.py) and a
test seal (職責証明書 for the mayor) for each demo city, written under MADOGUCHI_VAR_DIR/seal-ca
and set as the city's seal_config. `make run` calls it; it is idempotent (a city whose seal from
this CA is in place keeps it).

Only cities with a test code (99…, core/cityconfig.is_test_code) get a test seal: a real city's
notices are sealed with its LGPKI certificate (docs/notices.md), never with this CA's.
"""

import json
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from madoguchi.core import cityconfig, onboarding
from madoguchi.core.actors import Actor
from madoguchi.core.models import Municipality
from madoguchi.core.seal_ca import SealTestCA


def default_directory() -> Path:
    return Path(settings.MADOGUCHI_SEAL_CA_DIR)


class Command(BaseCommand):
    help = "Create the test LGPKI if missing and give each named (test) city a test seal."

    def add_arguments(self, parser):
        parser.add_argument("--city", action="append", dest="cities", default=[], metavar="SLUG",
                            help="a city (test code 99…) to seal its notices with a test seal; repeat for more")
        parser.add_argument("--directory", help="where the test CA lives (default: MADOGUCHI_VAR_DIR/seal-ca)")
        parser.add_argument("--renew", action="store_true", help="issue a new seal even when one is in place")

    def handle(self, *args, cities, directory=None, renew=False, **options):
        folder = Path(directory) if directory else default_directory()
        ca = SealTestCA.open(folder)
        for slug in cities:
            city = Municipality.objects.filter(slug=slug).first()
            if city is None:
                raise CommandError(f"no city with the slug {slug!r} (madoguchi city list)")
            if not cityconfig.is_test_code(city.code):
                raise CommandError(f"{slug} has a real code ({city.code}): load its LGPKI seal (docs/notices.md)")
            current = city.seal_config or {}
            if not renew and str(current.get("pkcs12", "")).startswith(str(ca.directory / "seals")) \
                    and Path(current["pkcs12"]).exists():
                self.stdout.write(f"{slug}: test seal in place")
                continue
            files = ca.write_seal(slug, city.name)
            data = cityconfig.form_data(city)
            data["seal_config"] = json.dumps(files.config())
            form = cityconfig.CityForm(data=data, instance=city)
            if not form.is_valid():
                raise CommandError("; ".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items()))
            try:
                onboarding.update_city(form, Actor.system())
            except ValidationError as exc:
                raise CommandError(" ".join(exc.messages)) from exc
            self.stdout.write(f"{slug}: test seal issued ({files.pkcs12})")
        self.stdout.write(f"test LGPKI root: {ca.root_path} (trust it: MADOGUCHI_SEAL_TRUST_ROOTS)")
