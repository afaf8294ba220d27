"""`madoguchi test_ca`: make sure the demo's test CA (standing in for J-LIS) exists, and publish
fresh CRLs. `make run` calls it; never point a production deployment at this CA."""

from django.conf import settings
from django.core.management.base import BaseCommand

from madoguchi.identity.jpki.ca import TestCA


class Command(BaseCommand):
    help = "Create the test CA in MADOGUCHI_JPKI_DIR if missing and write its CRLs."

    def handle(self, *args, **options):
        directory = settings.MADOGUCHI_JPKI_DIR
        if (directory / "state.json").exists():
            ca = TestCA.load(directory)
        else:
            ca = TestCA.create(directory)
            self.stdout.write(f"created the test CA in {directory}")
        ca.write_crls()
        self.stdout.write("test CA ready; CRLs written")
