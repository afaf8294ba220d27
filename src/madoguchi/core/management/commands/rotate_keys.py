"""`madoguchi rotate_keys`: a new data key per city, and every encrypted column re-encrypted
under it; or, with `--rewrap`, the cities' data keys wrapped again under the newest KEK.

    madoguchi rotate_keys [--city SLUG …] [--wrapper CODE] [--batch-size N]
    madoguchi rotate_keys --rewrap [--city SLUG …] [--wrapper CODE]

Rotation, for each city (every open city without --city): a new key becomes the city's primary
(wrapped like its current one, or by --wrapper); the command waits MADOGUCHI_CITY_CACHE_SECONDS
so every process encrypts under it; then every column of ENCRYPTED_COLUMNS is read in batches
of that city's rows, each batch in its own transaction with its rows locked, and each value not
under the primary key is written again under it (UPDATE of that column only: no auto_now
timestamp changes) — values under the city's older keys and values written before per-city keys
(under MADOGUCHI_ENCRYPTION_KEYS) alike. Last, the older keys are retired: they no longer
encrypt, but still decrypt, so nothing is lost if a stale process wrote with one meanwhile.

Restartable: interrupted, run it again; a city whose rotation did not finish (more than one
active key) resumes with the newest key rather than making yet another, and values already
under it are skipped without being decrypted. Running it twice rotates twice, harmlessly.

Rewrap changes no row: each data key is unwrapped and wrapped again (under the newest KEK of
its wrapper, e.g. after prepending a KEK to MADOGUCHI_ENCRYPTION_KEYS or to the city's key
file; or under --wrapper, to move a city's keys into its own file or KMS).

Only counts and key ids are printed, never data; each city's rotation or rewrap is one
AuditEvent (actor: system).
"""

import time

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.db import models, transaction

from madoguchi.core import audit, cities, crypto, keyring, keywrap
from madoguchi.core.actors import Actor
from madoguchi.core.keyring import ENCRYPTED_COLUMNS, NOT_ENCRYPTED_COLUMNS  # noqa: F401 - public names
from madoguchi.core.models import Municipality


class Command(BaseCommand):
    help = "Give each city a new data key and re-encrypt its data (or --rewrap the data keys)."

    def add_arguments(self, parser):
        parser.add_argument("--city", action="append", default=[], metavar="SLUG",
                            help="this city only (repeatable); default: every city")
        parser.add_argument("--rewrap", action="store_true",
                            help="wrap the data keys again under the newest key-encryption key")
        parser.add_argument("--wrapper", default=None,
                            help="the key-wrapping provider for the new key (or, with --rewrap, "
                                 "for every key): " + ", ".join(keywrap.codes()))
        parser.add_argument("--batch-size", type=int, default=200)
        parser.add_argument("--no-wait", action="store_true",
                            help="do not wait for the other processes to take the new key "
                                 "(nothing else is running)")

    def handle(self, *args, city: list[str], rewrap: bool, wrapper: str | None, batch_size: int,
               no_wait: bool, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1")
        if wrapper is not None and wrapper not in keywrap.codes():
            raise CommandError(f"no key wrapper {wrapper!r}; known: {', '.join(keywrap.codes())}")
        chosen = Municipality.objects.order_by("pk")
        if not city:  # a city that left has no data to rotate (name it with --city to force)
            chosen = chosen.filter(closed_at__isnull=True)
        if city:
            chosen = chosen.filter(slug__in=city)
            missing = sorted(set(city) - set(chosen.values_list("slug", flat=True)))
            if missing:
                raise CommandError(f"no city {', '.join(missing)}")
        municipalities = list(chosen.only("pk", "slug"))
        try:
            if rewrap:
                for municipality in municipalities:
                    with transaction.atomic():
                        count = keyring.rewrap(municipality, to=wrapper)
                        audit.record(municipality, Actor.system(), "keys.rewrapped", "municipality",
                                     municipality.pk, keys=count, wrapper=wrapper or "")
                    self.stdout.write(f"{municipality.slug}: re-wrapped {count} keys")
                return
            started = self._start(municipalities, wrapper)
        except keyring.KeyringError as exc:
            raise CommandError(str(exc)) from None
        if not no_wait:  # every process encrypts under the new keys before the rows are rewritten
            self.stdout.write(f"waiting {cities.cache_seconds():g} s for every process to take the new keys")
            time.sleep(cities.cache_seconds())
        total = 0
        for municipality, key_id in started:
            total += self._rotate_city(municipality, key_id, batch_size)
        self.stdout.write(self.style.SUCCESS(f"re-encrypted {total} values"))

    def _start(self, municipalities, wrapper: str | None) -> list[tuple[Municipality, str]]:
        """Each city's new primary key, or the newest of an unfinished rotation."""
        started = []
        for municipality in municipalities:
            active = keyring.active_key_ids(municipality)
            if len(active) > 1 and wrapper is None:
                key_id, note = active[0], "resuming with"
            else:
                key_id, note = keyring.add_key(municipality, wrapper), "new key"
            self.stdout.write(f"{municipality.slug}: {note} {key_id}")
            started.append((municipality, key_id))
        return started

    def _rotate_city(self, municipality: Municipality, key_id: str, batch_size: int) -> int:
        keyring.forget()  # this process takes the new key at once
        total, counts = 0, {}
        for column in ENCRYPTED_COLUMNS:
            model = apps.get_model(column.app_label, column.model)
            count = self._rotate(model, column, municipality, batch_size)
            counts[f"{model._meta.label}.{column.field}"] = count
            total += count
            self.stdout.write(f"{municipality.slug} {model._meta.label}.{column.field}: {count}")
        if keyring.primary(municipality)[0] != key_id:
            raise CommandError(f"{municipality.slug}: another key became primary during the "
                               "rotation; run rotate_keys again")
        retired = keyring.retire_older(municipality, keep=key_id)
        audit.record(municipality, Actor.system(), "keys.rotated", "municipality", municipality.pk,
                     key_id=key_id, retired=retired, values=total)
        self.stdout.write(f"{municipality.slug}: {total} values now under {key_id}; retired {retired} keys")
        return total

    def _rotate(self, model, column, municipality: Municipality, batch_size: int) -> int:
        """Re-encrypt one column of one city's rows, batch by batch (each batch committed)."""
        text = isinstance(model._meta.get_field(column.field), crypto.EncryptedTextField)
        # The stored token itself, also for an EncryptedTextField (which would decrypt it).
        raw = models.ExpressionWrapper(models.F(column.field), output_field=models.BinaryField())
        count, last_pk = 0, None
        while True:
            with transaction.atomic():
                rows = model.objects.filter(**{f"{column.city}_id": municipality.pk}).order_by("pk")
                if last_pk is not None:
                    rows = rows.filter(pk__gt=last_pk)
                batch = list(rows.select_for_update(of=("self",)).annotate(_token=raw)
                             .values_list("pk", "_token")[:batch_size])
                for pk, token in batch:
                    if not token or crypto.is_current(token, municipality):
                        continue
                    try:
                        rotated = crypto.rotate(token, municipality)
                    except crypto.DecryptionError as exc:  # names the row by its id only
                        raise CommandError(f"{municipality.slug} {model._meta.label}.{column.field} "
                                           f"row {pk}: {exc}") from None
                    model.objects.filter(pk=pk).update(
                        **{column.field: crypto.Sealed(rotated) if text else rotated})
                    count += 1
            if len(batch) < batch_size:
                return count
            last_pk = batch[-1][0]
