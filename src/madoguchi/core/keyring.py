"""A key ring per city: each city's rows are encrypted with its own data keys (`CityKey`).

Envelope encryption. A data key is a random Fernet key of one city, stored wrapped by a
key-wrapping provider (core/keywrap.py: the deployment's settings, a KEK file per city, or the
city's KMS/HSM). The city's newest key that is not retired is its *primary*: it encrypts. Every
key of the city, retired or not, decrypts what names it (core/crypto.py puts the key id in each
token). Exposing one city's data key, or one city's KEK file, exposes that city's rows only.

Life of a key: a city gets its first key when it is created (`madoguchi city create` calls
`create_first_key`) or, for a city made before, on its first encryption; `rotate_keys --city`
adds a new primary, re-encrypts the city's rows and then retires the older keys (kept: a
retired key still decrypts, so an interrupted rotation loses nothing); `rotate_keys --rewrap`
wraps the keys again under the newest KEK; `destroy_keys` (a city that left, after its export)
deletes them, which makes whatever copy of its rows remains — a backup — unreadable.

Race-safety: making a key locks the city's row (`SELECT … FOR NO KEY UPDATE` on PostgreSQL,
which leaves inserts referencing the city alone; SQLite runs one write transaction at a time,
BEGIN IMMEDIATE), then looks again, so two processes making a city's first key at once end with
one key.

Per-process cache, with the freshness rule of core/cities.py: an entry is used at most
MADOGUCHI_CITY_CACHE_SECONDS after it was read, and a change of a CityKey saved in this process
drops everything at once (and again on commit). So encrypting makes no query and unwraps nothing
once the city's primary key is read, and a key made by `rotate_keys` in another process is used
by every process within that bound (the command waits that long before rewriting rows).

One more rule, because a key is often read or made inside the transaction of the request that
needs it: an entry read inside a transaction counts only once that transaction commits. Until
then it serves that same transaction (it is recognised by its on-commit hook, which Django drops
when the transaction or the savepoint that read it rolls back) and nothing else; so a first key
whose transaction rolled back is never used to encrypt later rows, which would name a key that
does not exist. Written by hand for that reason: Django's cache framework cannot tie an entry to
a transaction, and it would pickle a Fernet key on every read.
"""

import secrets
import threading
import time
from dataclasses import dataclass
from typing import NamedTuple

from cryptography.fernet import Fernet
from django.core.signals import setting_changed
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.models.signals import post_delete, post_migrate, post_save
from django.dispatch import receiver
from django.utils import timezone

from madoguchi.core import keywrap
from madoguchi.core.models import CityKey, Municipality


class DecryptionError(Exception):
    """Stored data cannot be read with any key (core/crypto.py re-exports it)."""


class KeyringError(Exception):
    """A city's key cannot be made or used (its wrapper is not configured). Plain message,
    naming the city, the key id and what to fix; never data."""


class KeyUnavailable(KeyringError, DecryptionError):
    """The key exists but cannot be unwrapped: its KEK is missing, withheld or wrong."""


class UnknownKey(DecryptionError):
    """A token names a key that does not exist (deleted with a city that left, or never made)."""


class EncryptedColumn(NamedTuple):
    """A column written with core/crypto.py, and the ORM path from its row to the city."""

    app_label: str
    model: str
    field: str
    city: str  # e.g. "submission__municipality"


# Every column written with madoguchi.core.crypto (a test fails when one is missing), with the
# way to its city: rotate_keys re-encrypts a city's rows by it, a city's export reads by it.
ENCRYPTED_COLUMNS = [
    EncryptedColumn("applications", "Draft", "answers", "municipality"),
    EncryptedColumn("applications", "SubmissionVersion", "answers", "submission__municipality"),
    EncryptedColumn("applications", "Attachment", "data", "municipality"),
    EncryptedColumn("applications", "Message", "body", "submission__municipality"),
    EncryptedColumn("applications", "IssuedDocument", "data", "submission__municipality"),
    EncryptedColumn("applications", "SubmissionSignature", "certificate", "version__submission__municipality"),
    EncryptedColumn("identity", "CardChallenge", "payload", "municipality"),
    EncryptedColumn("identity", "CardChallenge", "certificate", "municipality"),
    EncryptedColumn("queueing", "Reservation", "contact", "municipality"),
    EncryptedColumn("queueing", "Ticket", "contact", "municipality"),
    EncryptedColumn("register", "Resident", "my_number", "municipality"),
    EncryptedColumn("counter", "VisitForm", "answers", "visit__municipality"),
    EncryptedColumn("counter", "Signature", "image", "visit__municipality"),
    EncryptedColumn("applications", "SubmissionEvent", "note", "submission__municipality"),
    EncryptedColumn("casework", "Decision", "reason", "submission__municipality"),
    EncryptedColumn("casework", "Decision", "approver_comment", "submission__municipality"),
    EncryptedColumn("casework", "Decision", "content", "submission__municipality"),
    EncryptedColumn("handoff", "Handoff", "decision", "municipality"),
    EncryptedColumn("notify", "OutboxMessage", "recipient", "municipality"),
    EncryptedColumn("notify", "OutboxMessage", "body", "municipality"),
    EncryptedColumn("notify", "OutboxMessage", "routes", "municipality"),
    EncryptedColumn("notify", "ChannelSetting", "secrets", "municipality"),
    EncryptedColumn("notify", "Contact", "address", "municipality"),
    EncryptedColumn("notify", "ContactChallenge", "address", "municipality"),
    EncryptedColumn("payments", "ProviderSetting", "secrets", "municipality"),
    EncryptedColumn("feedback", "SurveyAnswer", "comment", "municipality"),
    EncryptedColumn("register", "SupportMeasure", "against", "municipality"),
    EncryptedColumn("applications", "ProtectionHold", "note", "submission__municipality"),
]

# Binary columns that no data key encrypts: a city's logo is public, and a data key is stored
# wrapped by its KEK (re-wrapped by `rotate_keys --rewrap`).
NOT_ENCRYPTED_COLUMNS = [
    ("core", "Municipality", "logo"),
    ("core", "CityKey", "wrapped"),
]

MAX_KEYS = 1024  # plain keys kept per process (a few per city)

_clock = time.monotonic  # tests move it forward to stand for time passing
_lock = threading.Lock()
_making = threading.local()  # set while _make_key saves a key
_generation = 0


@dataclass
class _Entry:
    expires: float
    key_id: str
    fernet: Fernet
    connection: object | None = None  # set while the transaction that read it is open
    confirm: object | None = None  # its on-commit hook


_primaries: dict[int, _Entry] = {}  # city pk → its primary key
_by_id: dict[str, _Entry] = {}  # key id → any key


def _pk(municipality) -> int:
    return int(getattr(municipality, "pk", municipality))


def _cache_seconds() -> float:
    from madoguchi.core import cities

    return cities.cache_seconds()


def _usable(entry: _Entry | None) -> bool:
    if entry is None or entry.expires <= _clock():
        return False
    if entry.connection is None:
        return True
    here = connections[DEFAULT_DB_ALIAS]
    return entry.connection is here and any(hook is entry.confirm for _, hook, _ in here.run_on_commit)


def _remember(table: dict, key, entry: _Entry, generation: int) -> _Entry:
    """Keep `entry`; while the current transaction is open it serves that transaction only."""
    connection = connections[DEFAULT_DB_ALIAS]
    if connection.in_atomic_block:
        entry.connection = connection

        def confirm():
            entry.connection = None

        entry.confirm = confirm
        transaction.on_commit(confirm)
    with _lock:
        if generation == _generation:
            if len(table) >= MAX_KEYS:
                table.clear()
            table[key] = entry
    return entry


def _unwrap(city_id: int, slug: str, key_id: str, wrapped: bytes, wrapper_code: str) -> Fernet:
    try:
        return Fernet(_plain(city_id, slug, key_id, wrapped, wrapper_code))
    except ValueError:  # a wrapper that handed back something else than a Fernet key
        raise KeyUnavailable(f"data key {key_id} of city {slug}: wrapper {wrapper_code!r} "
                             "did not return a Fernet key") from None


def _plain(city_id: int, slug: str, key_id: str, wrapped: bytes, wrapper_code: str) -> bytes:
    context = keywrap.KeyContext(city_id, slug, key_id)
    try:
        return keywrap.wrapper(wrapper_code).unwrap(context, bytes(wrapped))
    except keywrap.UnknownWrapper:
        raise KeyUnavailable(f"data key {key_id} of city {slug}: no key wrapper {wrapper_code!r} is "
                             "registered (MADOGUCHI_KEY_WRAPPER_MODULES)") from None
    except keywrap.WrapperError as exc:
        raise KeyUnavailable(str(exc)) from None


_KEY_COLUMNS = ("key_id", "wrapped", "wrapper", "municipality_id", "municipality__slug")


def _primary_row(city_id: int):
    return (CityKey.objects.filter(municipality_id=city_id, retired_at__isnull=True)
            .order_by("-created_at", "-pk").values_list(*_KEY_COLUMNS).first())


def primary(municipality) -> tuple[str, Fernet]:
    """The city's key that encrypts now: (key id, Fernet). Makes the city's first key if it has
    none. No query once read (see the module's note on freshness)."""
    city_id = _pk(municipality)
    entry = _primaries.get(city_id)
    if not _usable(entry):
        generation = _generation
        row = _primary_row(city_id)
        if row is None:
            key_id, data_key = _make_key(city_id, None, first_only=True)
            fernet = Fernet(data_key)
            generation = _generation  # saving the key dropped the cache: keep what was made
        else:
            key_id, wrapped, wrapper_code, _, slug = row
            fernet = _unwrap(city_id, slug, key_id, wrapped, wrapper_code)
        entry = _remember(_primaries, city_id, _Entry(_clock() + _cache_seconds(), key_id, fernet), generation)
    return entry.key_id, entry.fernet


def key(key_id: str) -> Fernet:
    """Any key by its id, for decrypting. UnknownKey when there is none, KeyUnavailable when it
    cannot be unwrapped."""
    entry = _by_id.get(key_id)
    if not _usable(entry):
        generation = _generation
        row = CityKey.objects.filter(key_id=key_id).values_list(*_KEY_COLUMNS).first()
        if row is None:
            raise UnknownKey(f"no data key {key_id} (deleted, or never made)")
        _, wrapped, wrapper_code, city_id, slug = row
        fernet = _unwrap(city_id, slug, key_id, wrapped, wrapper_code)
        entry = _remember(_by_id, key_id, _Entry(_clock() + _cache_seconds(), key_id, fernet), generation)
    return entry.fernet


def _make_key(city_id: int, wrapper_code: str | None, *, first_only: bool, actor=None) -> tuple[str, bytes]:
    """Make a data key for the city under the lock on its row. With `first_only`, a city that
    already has an active key gets that key back instead (data key None: read it with primary)."""
    with transaction.atomic():
        slug = (Municipality.objects.select_for_update(no_key=True).filter(pk=city_id)
                .values_list("slug", flat=True).first())
        if slug is None:
            raise KeyringError(f"no city {city_id}")
        current = (CityKey.objects.filter(municipality_id=city_id, retired_at__isnull=True)
                   .order_by("-created_at", "-pk").values_list("key_id", "wrapped", "wrapper").first())
        if current is not None and first_only:
            key_id, wrapped, code = current
            return key_id, _plain(city_id, slug, key_id, wrapped, code)
        code = wrapper_code or (current[2] if current else keywrap.default_code())
        key_id = secrets.token_hex(8)
        data_key = Fernet.generate_key()
        try:
            wrapped = keywrap.wrapper(code).wrap(keywrap.KeyContext(city_id, slug, key_id), data_key)
        except keywrap.UnknownWrapper:
            raise KeyringError(f"no key wrapper {code!r}; known: {', '.join(keywrap.codes())}") from None
        except keywrap.WrapperError as exc:
            raise KeyringError(f"city {slug}: {exc}") from None
        _making.active = True
        try:
            CityKey.objects.create(municipality_id=city_id, key_id=key_id, wrapped=wrapped, wrapper=code)
        finally:
            _making.active = False
        if actor is not None:
            from madoguchi.core import audit

            audit.record(Municipality(pk=city_id), actor, "keys.created", "citykey", key_id,
                         wrapper=code, first=first_only)
    return key_id, data_key


def create_first_key(municipality, wrapper: str | None = None, actor=None) -> str:
    """The city's first data key (for `madoguchi city create`), wrapped by `wrapper` (a code of
    keywrap's registry; None: MADOGUCHI_KEY_WRAPPER). Idempotent: a city that has a key gets
    its primary key's id back. KeyringError, with a plain message, when the wrapper cannot wrap
    (e.g. "file" without the city's KEK file)."""
    return _make_key(_pk(municipality), wrapper, first_only=True, actor=actor)[0]


def add_key(municipality, wrapper: str | None = None, actor=None) -> str:
    """A new primary key for the city (the start of a rotation); the older keys stay active
    until `retire_older` (rotate_keys calls it once the rows are re-encrypted)."""
    return _make_key(_pk(municipality), wrapper, first_only=False, actor=actor)[0]


def active_key_ids(municipality) -> list[str]:
    """The city's keys that are not retired, newest (the primary) first."""
    return list(CityKey.objects.filter(municipality_id=_pk(municipality), retired_at__isnull=True)
                .order_by("-created_at", "-pk").values_list("key_id", flat=True))


def retire_older(municipality, keep: str) -> int:
    """Retire every active key of the city but `keep` (they still decrypt)."""
    return (CityKey.objects.filter(municipality_id=_pk(municipality), retired_at__isnull=True)
            .exclude(key_id=keep).update(retired_at=timezone.now()))


def rewrap(municipality, to: str | None = None) -> int:
    """Wrap each of the city's keys again: under its wrapper's newest KEK, or moved to wrapper
    `to` (e.g. from "settings" to the city's own "file"). The plain keys do not change, so no
    row is rewritten. Returns how many keys were re-wrapped."""
    city_id = _pk(municipality)
    count = 0
    with transaction.atomic():
        slug = (Municipality.objects.select_for_update(no_key=True).filter(pk=city_id)
                .values_list("slug", flat=True).get())
        for row in CityKey.objects.select_for_update().filter(municipality_id=city_id).order_by("pk"):
            context = keywrap.KeyContext(city_id, slug, row.key_id)
            plain = _plain(city_id, slug, row.key_id, row.wrapped, row.wrapper)
            code = to or row.wrapper
            try:
                wrapped = keywrap.wrapper(code).wrap(context, plain)
            except keywrap.UnknownWrapper:
                raise KeyringError(f"no key wrapper {code!r}; known: {', '.join(keywrap.codes())}") from None
            except keywrap.WrapperError as exc:
                raise KeyringError(f"city {slug}: {exc}") from None
            CityKey.objects.filter(pk=row.pk).update(wrapped=wrapped, wrapper=code)
            count += 1
    forget()
    return count


def check_city(municipality) -> list[str]:
    """What stops the city's keys from being used, as plain sentences (empty: every key
    unwraps). Reads the database and the KEKs afresh, not the cache."""
    city_id = _pk(municipality)
    problems = []
    for key_id, wrapped, code, _, slug in CityKey.objects.filter(municipality_id=city_id).values_list(*_KEY_COLUMNS):
        try:
            _unwrap(city_id, slug, key_id, wrapped, code)
        except KeyUnavailable as exc:
            problems.append(str(exc))
    return problems


def destroy_keys(municipality, actor) -> int:
    """Delete every data key of the city (a city that left, once its export is verified): its
    rows, and every copy of them in backups, can no longer be decrypted. Audited."""
    from madoguchi.core import audit

    city_id = _pk(municipality)
    with transaction.atomic():
        ids = list(CityKey.objects.filter(municipality_id=city_id).values_list("key_id", flat=True))
        CityKey.objects.filter(municipality_id=city_id).delete()
        audit.record(Municipality(pk=city_id), actor, "keys.destroyed", "municipality", city_id,
                     keys=len(ids))
    forget()
    return len(ids)


def forget() -> None:
    """Drop every key this process holds."""
    global _generation
    with _lock:
        _generation += 1
        _primaries.clear()
        _by_id.clear()


@receiver(post_save, sender=CityKey, dispatch_uid="keyring-key-saved")
@receiver(post_delete, sender=CityKey, dispatch_uid="keyring-key-deleted")
def _changed(sender, using=None, **kwargs) -> None:
    forget()
    if not getattr(_making, "active", False):
        # A key saved elsewhere: drop again on commit what was read meanwhile. A key made here
        # is remembered by its maker, pending until the commit, so the first request after it
        # makes no query.
        transaction.on_commit(forget, using=using)


@receiver(post_migrate, dispatch_uid="keyring-migrated")
def _migrated(**kwargs) -> None:
    forget()  # also sent after a flush (a test database emptied): no key survives it


@receiver(setting_changed, dispatch_uid="keyring-setting-changed")
def _setting_changed(setting, **kwargs) -> None:
    if setting in {"MADOGUCHI_ENCRYPTION_KEYS", "MADOGUCHI_CITY_KEK_DIR", "MADOGUCHI_KEY_WRAPPER_MODULES"}:
        forget()
