"""`madoguchi generate_key`: print a new encryption key for MADOGUCHI_ENCRYPTION_KEYS."""

from django.core.management.base import BaseCommand

from madoguchi.core.crypto import generate_key


class Command(BaseCommand):
    help = "Print a new Fernet key for MADOGUCHI_ENCRYPTION_KEYS (prepend it to rotate)."

    def handle(self, *args, **options):
        self.stdout.write(generate_key())
