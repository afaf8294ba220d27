"""`madoguchi generate_key`: print a new key for MADOGUCHI_ENCRYPTION_KEYS, or put a new
key-encryption key first in a city's KEK file (the `file` key wrapper, core/keywrap.py)."""

from django.core.management.base import BaseCommand, CommandError

from madoguchi.core import keywrap
from madoguchi.core.crypto import generate_key


class Command(BaseCommand):
    help = ("Print a new Fernet key for MADOGUCHI_ENCRYPTION_KEYS (prepend it to rotate), or with "
            "--city-kek SLUG add one to MADOGUCHI_CITY_KEK_DIR/SLUG.key (mode 0600), newest first.")

    def add_arguments(self, parser):
        parser.add_argument("--city-kek", metavar="SLUG", default=None,
                            help="write a new key-encryption key into this city's KEK file "
                                 "instead of printing it (the older keys stay after it)")

    def handle(self, *args, city_kek: str | None, **options):
        if city_kek is None:
            self.stdout.write(generate_key())
            return
        try:
            path = keywrap.registry["file"].add_key(city_kek)
        except keywrap.WrapperError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"new key-encryption key first in {path}; then "
                          f"`madoguchi rotate_keys --rewrap --city {city_kek}`")
