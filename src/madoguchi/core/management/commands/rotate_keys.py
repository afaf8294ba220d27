"""`madoguchi rotate_keys`: re-encrypt every encrypted column under the newest key.

Rotation: prepend a new key to MADOGUCHI_ENCRYPTION_KEYS, run this command, then drop the
old key. Rows are rewritten in batches, each batch in its own transaction, with UPDATE
statements that touch only the encrypted column (no auto_now timestamps change). Only
counts are printed, never data. Running it twice is harmless.
"""

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from madoguchi.core import crypto

# (app label, model, field): every column written with madoguchi.core.crypto.
ENCRYPTED_COLUMNS = [
    ("applications", "Draft", "answers"),
    ("applications", "SubmissionVersion", "answers"),
    ("applications", "Attachment", "data"),
    ("applications", "Message", "body"),
    ("applications", "IssuedDocument", "data"),
    ("applications", "SubmissionSignature", "certificate"),
    ("identity", "CardChallenge", "payload"),
    ("identity", "CardChallenge", "certificate"),
    ("queueing", "Reservation", "contact"),
    ("queueing", "Ticket", "contact"),
    ("register", "Resident", "my_number"),
    ("counter", "VisitForm", "answers"),
    ("counter", "Signature", "image"),
    ("applications", "SubmissionEvent", "note"),
    ("casework", "Decision", "reason"),
    ("casework", "Decision", "approver_comment"),
    ("notify", "OutboxMessage", "recipient"),
    ("notify", "OutboxMessage", "body"),
    ("payments", "ProviderSetting", "secrets"),
]

# Binary columns that are not data keys encrypt: a city's logo is public, and a city's data key
# is stored wrapped by the key-wrapping provider (core/crypto.py), rewrapped by its own command.
NOT_ENCRYPTED_COLUMNS = [
    ("core", "Municipality", "logo"),
    ("core", "CityKey", "wrapped"),
]


class Command(BaseCommand):
    help = "Re-encrypt all encrypted data under the first key of MADOGUCHI_ENCRYPTION_KEYS."

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=200)

    def handle(self, *args, batch_size: int, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1")
        if not settings.MADOGUCHI_ENCRYPTION_KEYS:
            raise CommandError("MADOGUCHI_ENCRYPTION_KEYS is empty")
        total = 0
        for app_label, model_name, field in ENCRYPTED_COLUMNS:
            model = apps.get_model(app_label, model_name)
            # An EncryptedTextField reads as text and encrypts on write under the first key.
            text = isinstance(model._meta.get_field(field), crypto.EncryptedTextField)
            count = self._rotate(model, field, batch_size, text)
            total += count
            self.stdout.write(f"{model._meta.label}.{field}: {count}")
        self.stdout.write(self.style.SUCCESS(f"re-encrypted {total} values"))

    def _rotate(self, model, field: str, batch_size: int, text: bool) -> int:
        count, last_pk = 0, None
        while True:
            with transaction.atomic():
                rows = model.objects.order_by("pk")
                if last_pk is not None:
                    rows = rows.filter(pk__gt=last_pk)
                batch = list(rows.select_for_update().values_list("pk", field)[:batch_size])
                for pk, token in batch:
                    if text and token is not None:  # decrypted on read, encrypted on write
                        model.objects.filter(pk=pk).update(**{field: token})
                        count += 1
                    elif token:
                        model.objects.filter(pk=pk).update(**{field: crypto.rotate(token)})
                        count += 1
            if len(batch) < batch_size:
                return count
            last_pk = batch[-1][0]
