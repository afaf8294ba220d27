"""A city leaves the shared deployment: a full export of its data, then a verified deletion.

What belongs to a city is found, not listed: every model with a path of foreign keys to
`core.Municipality` (`city_models`). A model added later with such a path is exported and
deleted with no change here; a test walks the registry on its own and fails when a model with a
path is neither covered nor kept with a reason (`KEPT`), and when a binary column has no rule
for how it is exported (`BINARY_COLUMNS`).

**The export** (`export_city`) is a Frictionless data package (`datapackage.json`, the Open
Knowledge Foundation's standard for tabular data, written with the `frictionless` library): one
JSON Lines file per table, each described with its schema (types, primary key, foreign keys),
its row count, size and SHA-256. JSON Lines rather than CSV: the answers are nested, and no
spreadsheet runs a `.jsonl` file's cells as formulas (the project's CSV writer would have to
alter them). Encrypted columns are decrypted with the city's own keys (`core.crypto`); files
(attachments, issued PDFs, signature images, certificates) are written as files under
`files/`, and the row names the file. Rows are read in batches (`iterator`), so a city of any
size is exported in bounded memory. `SHA256SUMS` (the coreutils format: `sha256sum -c` checks
it anywhere) lists every file; `manifest.json` holds the city, the times, each table's row
count and the SHA-256 of `SHA256SUMS`; `manifest.sig` is an HMAC of the manifest with the
deployment's secret key (Django's `Signer`), so a manifest this deployment did not write does
not let anyone delete a city. The directory is created 0700 and every file 0600. Nothing
personal is printed or logged: table names and counts only.

**The deletion** (`delete_city`) refuses unless an export of that city verifies (signature,
every checksum, no file added or missing, row counts), the city was closed before the export
began (so nothing was added after it), the city's rows still number what the export holds, and
the operator typed the deletion code (`<city code>-<first 8 hex of the manifest's SHA-256>`,
printed by the export and by `verify`). In one transaction it then deletes every row of every
model with a path to the city (children first; cycles broken by clearing their nullable
foreign keys first), the city's staff accounts that serve no other city, and the city's data
keys (crypto-shredding: a backup holding the city's encrypted rows can no longer be read once
the keys and their key-encryption key are gone), frees its hosts, keeps the `Municipality` row
closed, counts every model's rows for the city again and rolls everything back if one remains.
It writes an audit event and a signed deletion certificate (JSON).

The audit log stays: the table is append-only (a database trigger refuses DELETE) and is the
record of who saw and changed what, which public-records law (公文書管理) and the city's own
retention rules require to be kept. It holds ids and action codes, no answers; the export
carries a full copy to the city. docs/operations.md says how the record ends.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from uuid import UUID

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.db import connection, models, transaction
from django.db.models import ProtectedError, Q
from django.utils import timezone

from madoguchi.core import audit, crypto
from madoguchi.core.actors import Actor
from madoguchi.core.models import (
    CityAdministrator,
    CityHost,
    CityKey,
    Municipality,
    StaffMembership,
)

FORMAT = "madoguchi-city-export/1"
CERTIFICATE_FORMAT = "madoguchi-city-deletion/1"
BATCH = 500
FILE_BATCH = 20  # rows carrying a file: a batch holds their bytes
SIGNING_SALT = "madoguchi.administration.leaving"
MANIFEST, SIGNATURE, SUMS, DATAPACKAGE = "manifest.json", "manifest.sig", "SHA256SUMS", "datapackage.json"
USERS_RESOURCE = "auth_user"
FILES_RESOURCE = "files"

# Models with a path to the city that the deletion keeps, and why (the export carries them).
KEPT = {
    "core.AuditEvent": "append-only legal record (公文書): kept, carried in the export",  # ja-only: the legal term
    "core.AuditDay": "the audit log's daily seal: kept with the audit log it seals, carried in the export",
}

# How each binary column is exported. Encrypted columns are decrypted first.
JSON, TEXT, FILE, BASE64, OMIT = "json", "text", "file", "base64", "omit"


@dataclass(frozen=True)
class Binary:
    how: str
    encrypted: bool = True
    extension: str = "bin"


BINARY_COLUMNS: dict[str, Binary] = {
    "applications.Draft.answers": Binary(JSON),
    "applications.SubmissionVersion.answers": Binary(JSON),
    "counter.VisitForm.answers": Binary(JSON),
    "applications.Attachment.data": Binary(FILE),  # extension from content_type
    "applications.IssuedDocument.data": Binary(FILE, extension="pdf"),
    "counter.Signature.image": Binary(FILE, extension="png"),
    "applications.SubmissionSignature.certificate": Binary(FILE, extension="der"),
    "identity.CardChallenge.payload": Binary(BASE64),
    "identity.CardChallenge.certificate": Binary(BASE64),
    "applications.Message.body": Binary(TEXT),
    "register.SupportMeasure.against": Binary(JSON),
    "queueing.Reservation.contact": Binary(TEXT),
    "queueing.Ticket.contact": Binary(TEXT),
    "register.Resident.my_number": Binary(TEXT),
    "core.Municipality.logo": Binary(FILE, encrypted=False),  # extension from logo_type
    # The city's data keys are not carried: the export is already decrypted.
    "core.CityKey.wrapped": Binary(OMIT, encrypted=False),
}

# Columns not carried: secrets that open the deployment (provider API keys: the city takes new
# ones from its provider), hashes keyed with the deployment's secret, bearer tokens of links
# that die with the city's site.
OMITTED_COLUMNS = {
    "payments.ProviderSetting.secrets",
    "register.Resident.my_number_hash",
    "identity.LoginCode.code_hash",
    "identity.ApiToken.token_hash",
    "identity.CardChallenge.session_key_hash",
    "counter.CounterTablet.token_hash",
    "counter.TabletPairingCode.code_hash",
    "queueing.Ticket.token",
    "queueing.Reservation.token",
    "navigator.NavigatorPlan.token",
}

CONTENT_EXTENSIONS = {"application/pdf": "pdf", "image/png": "png", "image/jpeg": "jpg",
                      "image/svg+xml": "svg", "image/webp": "webp"}


class LeavingError(Exception):
    """The export or the deletion cannot go on; the message says why (no personal data)."""


class DeletionRefused(LeavingError):
    pass


class DeletionIncomplete(LeavingError):
    """Rows of the city remain after the deletion: everything was rolled back."""


# --- what belongs to a city ------------------------------------------------------------------


@dataclass(frozen=True)
class Owned:
    """A model whose rows belong to a city: `paths` are the lookups (one per foreign key that
    leads to the city) from the model to the city's id; a row belongs if any of them does."""

    model: type[models.Model]
    paths: tuple[str, ...]
    primary: str  # the path with the fewest nullable hops, then the fewest hops

    @property
    def label(self) -> str:
        return self.model._meta.label

    @property
    def resource(self) -> str:
        return f"{self.model._meta.app_label}_{self.model._meta.model_name}"

    def of(self, city_id: int) -> models.QuerySet:
        """The city's rows by the primary path: what is exported and deleted."""
        return self.model._base_manager.filter(**{self.primary: city_id})

    def touching(self, city_id: int) -> models.QuerySet:
        """Rows any of whose paths leads to the city: what must be gone after the deletion
        (a row pointing at the city by another path than its own would be found here)."""
        wanted = Q()
        for path in self.paths:
            wanted |= Q(**{path: city_id})
        return self.model._base_manager.filter(wanted)


def _foreign_keys(model) -> list[models.Field]:
    return [f for f in model._meta.concrete_fields
            if f.is_relation and (f.many_to_one or f.one_to_one) and f.related_model is not None]


def _registry_models() -> list[type[models.Model]]:
    return [m for m in apps.get_models(include_auto_created=True)
            if not m._meta.proxy and m._meta.managed]


def city_models(registry: Iterable[type[models.Model]] | None = None) -> list[Owned]:
    """Every model with a path of foreign keys to Municipality (Municipality itself excluded).

    For each model the best path is found first (fewest nullable hops, then fewest hops), then
    every foreign key leading to a model with a path gives one lookup."""
    candidates = [m for m in (registry if registry is not None else _registry_models())
                  if m is not Municipality]
    best: dict[type, tuple[tuple[int, int], str]] = {Municipality: ((0, 0), "")}
    changed = True
    while changed:
        changed = False
        for model in candidates:
            for fk in _foreign_keys(model):
                target = fk.related_model._meta.concrete_model
                if target is model or target not in best:
                    continue
                (nullable, hops), rest = best[target]
                rank = (nullable + int(fk.null), hops + 1)
                path = fk.name if target is Municipality else f"{fk.name}__{rest}"
                if model not in best or rank < best[model][0]:
                    best[model] = (rank, path)
                    changed = True
    owned = []
    for model in candidates:
        if model not in best:
            continue
        paths = []
        for fk in _foreign_keys(model):
            target = fk.related_model._meta.concrete_model
            if target is model or target not in best:
                continue
            paths.append(fk.name if target is Municipality else f"{fk.name}__{best[target][1]}")
        owned.append(Owned(model, tuple(paths), best[model][1]))
    return sorted(owned, key=lambda o: o.label)


def binary_rule(model, column: models.Field) -> Binary:
    """How a binary column is exported; a column without a rule stops the export (and fails
    the covering test) rather than being carried encrypted or dropped unnoticed."""
    key = f"{model._meta.label}.{column.name}"
    if key in BINARY_COLUMNS:
        return BINARY_COLUMNS[key]
    raise LeavingError(f"{key}: a binary column without an export rule (add it to BINARY_COLUMNS)")


# --- the deletion order ----------------------------------------------------------------------


@dataclass
class DeletionPlan:
    """Owned models in an order where no row is deleted before the rows pointing at it, and
    the nullable foreign keys cleared first to break the cycles (a household and its head, a
    charge and the attempt that paid it, a ticket and the one it was transferred from)."""

    order: list[Owned]
    cleared: list[tuple[Owned, str]] = field(default_factory=list)


def deletion_plan(owned: list[Owned] | None = None) -> DeletionPlan:
    owned = [o for o in (owned if owned is not None else city_models()) if o.label not in KEPT]
    by_model = {o.model: o for o in owned}
    edges: dict[type, set[tuple[type, models.Field]]] = {o.model: set() for o in owned}
    for o in owned:
        for fk in _foreign_keys(o.model):
            target = fk.related_model._meta.concrete_model
            if target in by_model:
                edges[o.model].add((target, fk))
    components = _strongly_connected(list(edges), {m: {t for t, _f in e} for m, e in edges.items()})
    component_of = {m: i for i, members in enumerate(components) for m in members}
    cleared, hard = [], {m: set() for m in edges}
    for model, out in edges.items():
        for target, fk in out:
            if component_of[target] == component_of[model] and fk.null:  # in a cycle (or to itself)
                cleared.append((by_model[model], fk.name))
            else:  # an ordering edge; a cycle of these is refused below
                hard[model].add(target)
    # Kahn: a model may go once nothing left points at it; the data keys go last.
    pointed_at = {m: 0 for m in hard}
    for model, targets in hard.items():
        for target in targets:
            if target is not model:
                pointed_at[target] += 1
    order: list[Owned] = []
    ready = sorted((m for m, n in pointed_at.items() if n == 0), key=_deletion_rank)
    while ready:
        model = ready.pop(0)
        order.append(by_model[model])
        for target in hard[model]:
            if target is model:
                continue
            pointed_at[target] -= 1
            if pointed_at[target] == 0:
                ready.append(target)
                ready.sort(key=_deletion_rank)
    if len(order) != len(owned):
        stuck = sorted(by_model[m].label for m, n in pointed_at.items() if n > 0)
        raise LeavingError(f"foreign keys that cannot be nulled form a cycle: {', '.join(stuck)}")
    return DeletionPlan(order=order, cleared=sorted(cleared, key=lambda c: (c[0].label, c[1])))


def _deletion_rank(model) -> tuple[int, str]:
    return (1 if model is CityKey else 0, model._meta.label)


def _strongly_connected(nodes, successors) -> list[set]:
    """Tarjan's algorithm (iterative), for the foreign-key graph of a few dozen models."""
    index, low, on_stack, stack, result, counter = {}, {}, set(), [], [], [0]

    def visit(root):
        work = [(root, iter(sorted(successors[root], key=lambda m: m._meta.label)))]
        index[root] = low[root] = counter[0]
        counter[0] += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            advanced = False
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter[0]
                    counter[0] += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(successors[child], key=lambda m: m._meta.label))))
                    advanced = True
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                members = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    members.add(member)
                    if member is node:
                        break
                result.append(members)

    for node in nodes:
        if node not in index:
            visit(node)
    return result


# --- export ----------------------------------------------------------------------------------


@dataclass
class ExportResult:
    directory: Path
    manifest_sha256: str
    rows: dict[str, int]
    files: int
    deletion_code: str


def deletion_code(city: Municipality, manifest_sha256: str) -> str:
    """What the operator types to delete the city: its code and the export it was checked
    against, so a deletion names both."""
    return f"{city.code}-{manifest_sha256[:8]}"


def close_city(city: Municipality, actor: Actor) -> Municipality:
    """Stop serving the city (no host answers for it) so that nothing changes after its export."""
    if city.closed_at is None:
        city.closed_at = timezone.now()
        city.save(update_fields=["closed_at"])
        audit.record(city, actor, "city_closed", "municipality", city.pk)
    return city


class _Writer:
    """The export directory: 0700, files 0600, each file's SHA-256 noted as it is written."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.sums: list[tuple[str, str]] = []

    def path(self, relative: str) -> Path:
        target = self.directory / relative
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        return target

    def write_bytes(self, relative: str, data: bytes) -> str:
        digest = hashlib.sha256(data).hexdigest()
        target = self.path(relative)
        with _private_open(target) as handle:
            handle.write(data)
        self.sums.append((relative, digest))
        return digest

    def add(self, relative: str) -> str:
        digest = _sha256_file(self.directory / relative)
        self.sums.append((relative, digest))
        return digest


def _private_open(path: Path):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    return os.fdopen(fd, "wb")


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _prepare_directory(directory: Path) -> Path:
    directory = Path(directory)
    if directory.exists() and any(directory.iterdir()):
        raise LeavingError(f"{directory} is not empty: export into a new directory")
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(directory, 0o700)
    return directory


def _city_directory(city: Municipality) -> Path | None:
    base = getattr(settings, "MADOGUCHI_MUNICIPAL_CATALOG_DIR", None)
    if not base:
        return None
    directory = Path(base) / city.slug
    return directory if directory.is_dir() else None


def _frictionless_type(column: models.Field) -> dict:
    if column.is_relation:
        return _frictionless_type(column.target_field)
    if isinstance(column, models.BooleanField):
        return {"type": "boolean"}
    if isinstance(column, (models.AutoField, models.BigAutoField, models.SmallAutoField, models.IntegerField)):
        return {"type": "integer"}
    if isinstance(column, (models.DecimalField, models.FloatField)):
        return {"type": "number"}
    if isinstance(column, models.DateTimeField):
        return {"type": "datetime"}
    if isinstance(column, models.DateField):
        return {"type": "date"}
    if isinstance(column, models.UUIDField):
        return {"type": "string", "format": "uuid"}
    if isinstance(column, models.JSONField):
        return {"type": "any"}
    return {"type": "string"}


def _cell(value):
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (UUID, Decimal)):
        return str(value)
    if isinstance(value, memoryview):
        return base64.b64encode(bytes(value)).decode()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    return value


class _Table:
    """One model's export: its columns, how each is written, its Frictionless schema."""

    def __init__(self, model, resource: str, exported: dict[type, str]):
        self.model = model
        self.resource = resource
        self.columns: list[tuple[models.Field, Binary | None]] = []
        fields, foreign_keys = [], []
        for column in model._meta.concrete_fields:
            key = f"{model._meta.label}.{column.name}"
            if key in OMITTED_COLUMNS:
                continue
            rule = None
            descriptor = {"name": column.attname, **_frictionless_type(column)}
            if isinstance(column, crypto.EncryptedTextField):
                descriptor = {"name": column.attname, "type": "string"}
            elif isinstance(column, models.BinaryField):
                rule = binary_rule(model, column)
                if rule.how == OMIT:
                    continue
                descriptor = {"name": column.attname,
                              "type": "any" if rule.how == JSON else "string"}
                if rule.how == FILE:
                    descriptor["description"] = "path of the file in this package"
            if column.is_relation:
                target = column.related_model._meta.concrete_model
                if target in exported:
                    foreign_keys.append({"fields": [column.attname],
                                         "reference": {"resource": exported[target],
                                                       "fields": [column.target_field.attname]}})
            self.columns.append((column, rule))
            fields.append(descriptor)
        self.binary = any(rule is not None and rule.how == FILE for _c, rule in self.columns)
        self.schema = {"fields": fields, "primaryKey": [model._meta.pk.attname]}
        if foreign_keys:
            self.schema["foreignKeys"] = foreign_keys

    def row(self, instance, writer: _Writer, files_index) -> dict:
        out = {}
        for column, rule in self.columns:
            value = getattr(instance, column.attname)
            if rule is None:
                out[column.attname] = _cell(value)
                continue
            data = bytes(value) if value is not None else None
            if data and rule.encrypted:
                data = _decrypt(self.model, instance.pk, column.name, data)
            if data is None or (not data and rule.how != TEXT):
                out[column.attname] = None
            elif rule.how == JSON:
                out[column.attname] = json.loads(data)
            elif rule.how == TEXT:
                out[column.attname] = data.decode()
            elif rule.how == BASE64:
                out[column.attname] = base64.b64encode(data).decode()
            else:
                relative = f"files/{self.resource}/{instance.pk}-{column.name}.{_extension(instance, rule)}"
                digest = writer.write_bytes(relative, data)
                files_index.append({"path": relative, "sha256": digest, "bytes": len(data),
                                    "resource": self.resource, "row": instance.pk,
                                    "column": column.attname})
                out[column.attname] = relative
        return out


def _decrypt(model, pk, column: str, token: bytes) -> bytes:
    try:
        return crypto.decrypt_bytes(token)
    except crypto.DecryptionError as exc:
        raise LeavingError(f"{model._meta.label} {pk}.{column}: cannot be decrypted with the "
                           "city's keys; the export stops (nothing may be deleted unread)") from exc


def _extension(instance, rule: Binary) -> str:
    for attribute in ("content_type", "logo_type"):
        found = CONTENT_EXTENSIONS.get(getattr(instance, attribute, "") or "")
        if found:
            return found
    return rule.extension


class _FilesIndex:
    """The rows of `files.jsonl`, written as they come (one line per file)."""

    def __init__(self, handle):
        self.handle = handle
        self.count = 0

    def append(self, entry: dict) -> None:
        self.handle.write(_jsonl(entry))
        self.count += 1


def _jsonl(row: dict) -> bytes:
    return (json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\n").encode()


def export_city(city: Municipality, directory: Path, actor: Actor | None = None,
                progress=None) -> ExportResult:
    """Write everything of `city` into `directory` (new or empty); see the module's docstring.

    On PostgreSQL the tables are read in one REPEATABLE READ transaction (one snapshot); the
    city should be closed first (`close_city`) so that nothing changes meanwhile."""
    actor = actor or Actor.system()
    directory = _prepare_directory(directory)
    writer = _Writer(directory)
    started = timezone.now()
    owned = city_models()
    exported = {o.model: o.resource for o in owned}
    exported[Municipality] = "core_municipality"
    user_model = get_user_model()
    exported[user_model] = USERS_RESOURCE
    tables = [(_Table(Municipality, "core_municipality", exported),
               Municipality._base_manager.filter(pk=city.pk))]
    tables += [(_Table(o.model, o.resource, exported), o.of(city.pk)) for o in owned]
    rows: dict[str, int] = {}
    resources: list[dict] = []
    with _snapshot():
        users = _users_of(city, owned, user_model)
        with _private_open(writer.path(f"data/{FILES_RESOURCE}.jsonl")) as index_handle:
            files_index = _FilesIndex(index_handle)
            for table, queryset in tables:
                rows[table.resource] = _write_table(writer, table, queryset, files_index)
                resources.append(_resource(writer, table.resource, table.schema, rows[table.resource]))
                if progress:
                    progress(table.resource, rows[table.resource])
            rows[USERS_RESOURCE] = _write_users(writer, users)
            resources.append(_resource(writer, USERS_RESOURCE, _USERS_SCHEMA, rows[USERS_RESOURCE]))
        rows[FILES_RESOURCE] = files_index.count
        resources.append(_resource(writer, FILES_RESOURCE, _FILES_SCHEMA, files_index.count))
    catalogue = _copy_catalogue(city, writer)
    _write_datapackage(writer, city, resources, started)
    manifest_sha = _seal(writer, city, rows, started, files_index.count, catalogue)
    audit.record(city, actor, "city_exported", "municipality", city.pk,
                 manifest_sha256=manifest_sha, tables=len(rows), files=files_index.count)
    return ExportResult(directory, manifest_sha, rows, files_index.count,
                        deletion_code(city, manifest_sha))


class _snapshot:
    """One consistent read of every table: REPEATABLE READ on PostgreSQL when this starts the
    transaction (SQLite's transaction is a snapshot already)."""

    def __enter__(self):
        fresh = not connection.in_atomic_block
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        if fresh and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        return self

    def __exit__(self, *exc):
        return self._atomic.__exit__(*exc)


def _write_table(writer: _Writer, table: _Table, queryset, files_index) -> int:
    relative = f"data/{table.resource}.jsonl"
    count = 0
    with _private_open(writer.path(relative)) as handle:
        chunk = FILE_BATCH if table.binary else BATCH
        for instance in queryset.order_by("pk").iterator(chunk_size=chunk):
            handle.write(_jsonl(table.row(instance, writer, files_index)))
            count += 1
    return count


_USER_COLUMNS = ("id", "username", "first_name", "last_name", "email", "is_active", "is_staff",
                 "is_superuser", "date_joined", "last_login")
_USERS_SCHEMA = {"fields": [{"name": "id", "type": "integer"}, {"name": "username", "type": "string"},
                            {"name": "first_name", "type": "string"}, {"name": "last_name", "type": "string"},
                            {"name": "email", "type": "string"}, {"name": "is_active", "type": "boolean"},
                            {"name": "is_staff", "type": "boolean"}, {"name": "is_superuser", "type": "boolean"},
                            {"name": "date_joined", "type": "datetime"}, {"name": "last_login", "type": "datetime"},
                            {"name": "departments", "type": "array"},
                            {"name": "city_administrator", "type": "boolean"}],
                 "primaryKey": ["id"]}
_FILES_SCHEMA = {"fields": [{"name": "path", "type": "string"}, {"name": "sha256", "type": "string"},
                            {"name": "bytes", "type": "integer"}, {"name": "resource", "type": "string"},
                            {"name": "row", "type": "integer"}, {"name": "column", "type": "string"}],
                 "primaryKey": ["path"]}


def _users_of(city: Municipality, owned: list[Owned], user_model) -> list[int]:
    """The city's staff (a role in one of its departments, or its administrator) and every
    user its rows name (who proposed or approved a decision, the clerk of a visit...)."""
    ids = set(StaffMembership.objects.filter(department__municipality=city).values_list("user_id", flat=True))
    ids |= set(CityAdministrator.objects.filter(municipality=city).values_list("user_id", flat=True))
    for o in owned:
        for fk in _foreign_keys(o.model):
            if fk.related_model._meta.concrete_model is user_model:
                ids |= set(o.of(city.pk).exclude(**{f"{fk.attname}__isnull": True})
                           .values_list(fk.attname, flat=True).distinct())
    return sorted(ids)


def _write_users(writer: _Writer, ids: list[int]) -> int:
    """Usernames and names of the city's staff, never their password hashes."""
    user_model = get_user_model()
    count = 0
    with _private_open(writer.path(f"data/{USERS_RESOURCE}.jsonl")) as handle:
        for start in range(0, len(ids), BATCH):
            chunk = ids[start:start + BATCH]
            roles: dict[int, list] = {}
            for user_id, code, role, city_id in (StaffMembership.objects.filter(user_id__in=chunk)
                                                 .values_list("user_id", "department__code", "role",
                                                              "department__municipality_id")):
                roles.setdefault(user_id, []).append({"department": code, "role": role, "city": city_id})
            admins = set(CityAdministrator.objects.filter(user_id__in=chunk).values_list("user_id", flat=True))
            for user in user_model._base_manager.filter(pk__in=chunk).order_by("pk"):
                row = {name: _cell(getattr(user, name, None)) for name in _USER_COLUMNS}
                row["departments"] = roles.get(user.pk, [])
                row["city_administrator"] = user.pk in admins
                handle.write(_jsonl(row))
                count += 1
    return count


def _resource(writer: _Writer, name: str, schema: dict, rows: int) -> dict:
    relative = f"data/{name}.jsonl"
    digest = writer.add(relative)
    return {"name": name, "path": relative, "format": "jsonl", "mediatype": "text/jsonl",
            "encoding": "utf-8", "hash": f"sha256:{digest}",
            "bytes": (writer.directory / relative).stat().st_size, "schema": schema,
            "description": f"{rows} rows"}


def _copy_catalogue(city: Municipality, writer: _Writer) -> int:
    """The city's own catalogue files (procedures and overrides), as they are on disk."""
    source = _city_directory(city)
    if source is None:
        return 0
    count = 0
    for path in sorted(p for p in source.rglob("*") if p.is_file()):
        relative = f"catalogue/{path.relative_to(source).as_posix()}"
        writer.write_bytes(relative, path.read_bytes())
        count += 1
    return count


def _write_datapackage(writer: _Writer, city: Municipality, resources: list[dict], started) -> None:
    from frictionless import Package

    package = Package.from_descriptor({
        "name": f"madoguchi-city-{city.slug}",
        "title": f"Madoguchi: {city.name} ({city.code})",
        "created": started.isoformat(),
        "resources": resources,
    }, basepath=str(writer.directory))
    data = json.dumps(package.to_descriptor(), ensure_ascii=False, indent=1).encode()
    writer.write_bytes(DATAPACKAGE, data)


def _signer() -> signing.Signer:
    return signing.Signer(salt=SIGNING_SALT)


def _seal(writer: _Writer, city: Municipality, rows: dict[str, int], started, files: int,
          catalogue: int) -> str:
    sums = "".join(f"{digest}  {relative}\n" for relative, digest in sorted(writer.sums)).encode()
    with _private_open(writer.path(SUMS)) as handle:
        handle.write(sums)
    manifest = {
        "format": FORMAT,
        "city": {"slug": city.slug, "code": city.code, "name": city.name,
                 "closed_at": city.closed_at.isoformat() if city.closed_at else None},
        "started_at": started.isoformat(),
        "finished_at": timezone.now().isoformat(),
        "rows": rows,
        "files": files,
        "catalogue_files": catalogue,
        "sha256sums": hashlib.sha256(sums).hexdigest(),
    }
    data = json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True).encode()
    with _private_open(writer.path(MANIFEST)) as handle:
        handle.write(data)
    digest = hashlib.sha256(data).hexdigest()
    with _private_open(writer.path(SIGNATURE)) as handle:
        handle.write(_signer().sign(digest).encode())
    return digest


# --- verify ----------------------------------------------------------------------------------


@dataclass
class Verification:
    directory: Path
    manifest: dict
    manifest_sha256: str
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems


def export_directory(path) -> Path:
    """The export's directory from its path or its manifest's."""
    path = Path(path)
    return path.parent if path.name == MANIFEST else path


def verify_export(path, deep: bool = False) -> Verification:
    """Recompute everything: the manifest's signature, every file's SHA-256 against
    `SHA256SUMS`, no file missing or added, each table's row count. With `deep`, Frictionless
    also validates every row against its schema (types, keys, references). Problems name
    files and tables, never their content."""
    directory = export_directory(path)
    problems: list[str] = []
    try:
        data = (directory / MANIFEST).read_bytes()
        manifest = json.loads(data)
    except (OSError, ValueError):
        return Verification(directory, {}, "", [f"{MANIFEST}: missing or unreadable"])
    digest = hashlib.sha256(data).hexdigest()
    try:
        signed = _signer().unsign((directory / SIGNATURE).read_text().strip())
    except (OSError, signing.BadSignature):
        signed = None
    if signed != digest:
        problems.append(f"{SIGNATURE}: the manifest was not signed by this deployment or was changed")
    if manifest.get("format") != FORMAT:
        problems.append(f"{MANIFEST}: unknown format")
    try:
        sums = (directory / SUMS).read_bytes()
    except OSError:
        return Verification(directory, manifest, digest, [*problems, f"{SUMS}: missing"])
    if hashlib.sha256(sums).hexdigest() != manifest.get("sha256sums"):
        problems.append(f"{SUMS}: does not match the manifest")
    listed = set()
    for line in sums.decode(errors="replace").splitlines():
        expected, _sep, relative = line.partition("  ")
        listed.add(relative)
        target = directory / relative
        if Path(relative).is_absolute() or ".." in Path(relative).parts or not target.is_file():
            problems.append(f"{relative}: missing")
        elif _sha256_file(target) != expected:
            problems.append(f"{relative}: checksum differs")
    present = {p.relative_to(directory).as_posix() for p in directory.rglob("*") if p.is_file()}
    for extra in sorted(present - listed - {MANIFEST, SIGNATURE, SUMS}):
        problems.append(f"{extra}: not part of the export")
    for resource, count in (manifest.get("rows") or {}).items():
        target = directory / "data" / f"{resource}.jsonl"
        if target.is_file() and _count_lines(target) != count:
            problems.append(f"data/{resource}.jsonl: {_count_lines(target)} rows, the manifest says {count}")
    if deep and not problems:
        problems += _frictionless_problems(directory, manifest.get("rows") or {})
    return Verification(directory, manifest, digest, problems)


def _count_lines(path: Path) -> int:
    count = 0
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            count += block.count(b"\n")
    return count


def _frictionless_problems(directory: Path, rows: dict[str, int]) -> list[str]:
    """Frictionless reads an empty JSON Lines file as a broken source: an empty table is
    validated as its header alone (its file's checksum was checked above)."""
    from frictionless import Package

    descriptor = json.loads((directory / DATAPACKAGE).read_bytes())
    for resource in descriptor.get("resources", []):
        if rows.get(resource.get("name")) == 0:
            for key in ("path", "hash", "bytes", "format", "mediatype", "encoding"):
                resource.pop(key, None)
            resource["data"] = [[f["name"] for f in resource["schema"]["fields"]]]
    report = Package.from_descriptor(descriptor, basepath=str(directory)).validate()
    # Only the kind of error and where: a cell's value may be personal.
    return [f"{task.name}: {error.type}" for task in report.tasks for error in task.errors][:50]


# --- delete ----------------------------------------------------------------------------------


def city_counts(city: Municipality, owned: list[Owned] | None = None, every_path: bool = False) -> dict[str, int]:
    """Rows of the city in every model with a path to it (by its primary path, or by any)."""
    owned = owned if owned is not None else city_models()
    return {o.resource: (o.touching if every_path else o.of)(city.pk).count() for o in owned}


def delete_city(city: Municipality, manifest_path, confirm: str, actor: Actor | None = None,
                certificate_path=None) -> dict:
    """Delete everything of a closed, exported city; return (and write) the certificate."""
    actor = actor or Actor.system()
    verification = verify_export(manifest_path)
    if not verification.ok:
        raise DeletionRefused("the export does not verify: " + "; ".join(verification.problems[:10]))
    manifest = verification.manifest
    named = manifest.get("city") or {}
    if (named.get("slug"), named.get("code")) != (city.slug, city.code):
        raise DeletionRefused("the export is of another city")
    if city.closed_at is None or named.get("closed_at") != city.closed_at.isoformat():
        raise DeletionRefused("the city was not closed before this export began: close it "
                              "(city_export --close) and export again")
    if confirm != deletion_code(city, verification.manifest_sha256):
        raise DeletionRefused("the confirmation code does not match this city and export "
                              "(city_export verify prints it)")
    owned = city_models()
    plan = deletion_plan(owned)
    kept = [o for o in owned if o.label in KEPT]
    with transaction.atomic():
        Municipality.objects.select_for_update().get(pk=city.pk)
        before = city_counts(city, plan.order)
        # A table the export did not know (a model added since) must be empty for the city.
        changed = {name for name, count in before.items() if manifest["rows"].get(name, 0) != count}
        if changed:
            raise DeletionRefused("the city's data changed after the export (tables: "
                                  + ", ".join(sorted(changed)) + "): export again")
        staff = _staff_user_ids(city, owned)
        for o, column in plan.cleared:
            o.of(city.pk).exclude(**{f"{column}__isnull": True}).update(**{column: None})
        deleted = {}
        for o in plan.order:
            try:
                deleted[o.resource] = _delete_rows(o, city)
            except ProtectedError as exc:  # a row outside the city points at one of its rows
                blocking = sorted({type(row)._meta.label for row in exc.protected_objects})
                raise DeletionIncomplete(f"{o.label}: rows of {', '.join(blocking)} outside the "
                                         "city still point at it (rolled back)") from None
        users = _retire_staff(staff)
        _free(city)
        remaining = {name: n for name, n in city_counts(city, plan.order, every_path=True).items() if n}
        if remaining:
            raise DeletionIncomplete("rows of the city remain after the deletion (rolled back): "
                                     + ", ".join(f"{name} {n}" for name, n in sorted(remaining.items())))
        now = timezone.now()
        audit.record(city, actor, "city_deleted", "municipality", city.pk,
                     manifest_sha256=verification.manifest_sha256, rows=sum(deleted.values()),
                     staff_users_deleted=users["deleted"], staff_users_deactivated=users["deactivated"])
        kept_counts = {o.resource: o.of(city.pk).count() for o in kept}
    body = {
        "format": CERTIFICATE_FORMAT,
        "city": {"slug": city.slug, "code": city.code, "name": city.name,
                 "closed_at": city.closed_at.isoformat()},
        "deleted_at": now.isoformat(),
        "export": {"manifest_sha256": verification.manifest_sha256,
                   "started_at": manifest.get("started_at"), "finished_at": manifest.get("finished_at")},
        "deleted": deleted,
        "verified_remaining": {name: 0 for name in deleted},
        "staff_users": users,
        "kept": {**{o.resource: {"rows": kept_counts[o.resource], "why": KEPT[o.label]} for o in kept},
                 "core_municipality": {"rows": 1, "why": "closed; its code and slug are not reused"}},
        "hosts_freed": True,
    }
    body["signature"] = _signer().sign(hashlib.sha256(_canonical(body)).hexdigest())
    if certificate_path:
        with _private_open(Path(certificate_path)) as handle:
            handle.write(json.dumps(body, ensure_ascii=False, indent=1, sort_keys=True).encode())
    return body


def _canonical(body: dict) -> bytes:
    return json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def certificate_is_genuine(body: dict) -> bool:
    """Whether a deletion certificate was written by this deployment and is unchanged."""
    rest = {k: v for k, v in body.items() if k != "signature"}
    try:
        return _signer().unsign(body.get("signature", "")) == hashlib.sha256(_canonical(rest)).hexdigest()
    except signing.BadSignature:
        return False


def _delete_rows(o: Owned, city: Municipality) -> int:
    """The city's rows of one model, a batch at a time (Django's delete: signals are sent and
    a row still pointed at by another refuses, which the order above rules out)."""
    total, last = 0, None
    while True:
        rows = o.of(city.pk).order_by("pk")
        if last is not None:  # keyset: never walk again over the rows this transaction deleted
            rows = rows.filter(pk__gt=last)
        batch = list(rows.values_list("pk", flat=True)[:BATCH])
        if not batch:
            return total
        o.model._base_manager.filter(pk__in=batch).delete()
        total += len(batch)
        last = batch[-1]


def _staff_user_ids(city: Municipality, owned: list[Owned]) -> set[int]:
    ids = set(StaffMembership.objects.filter(department__municipality=city).values_list("user_id", flat=True))
    ids |= set(CityAdministrator.objects.filter(municipality=city).values_list("user_id", flat=True))
    return ids


def _retire_staff(ids: set[int]) -> dict[str, int]:
    """The city's staff accounts that serve no other city are deleted (their names are
    personal data); one still named by another city's records is deactivated instead.
    System administrators (superusers) and staff of other cities stay."""
    user_model = get_user_model()
    still = set(StaffMembership.objects.filter(user_id__in=ids).values_list("user_id", flat=True))
    still |= set(CityAdministrator.objects.filter(user_id__in=ids).values_list("user_id", flat=True))
    counts = {"deleted": 0, "deactivated": 0, "kept_other_cities": len(still)}
    for user in user_model._base_manager.filter(pk__in=ids - still, is_superuser=False).order_by("pk"):
        try:
            with transaction.atomic():
                user.delete()
            counts["deleted"] += 1
        except ProtectedError:
            user.is_active = False
            user.set_unusable_password()
            user.save(update_fields=["is_active", "password"])
            counts["deactivated"] += 1
    return counts


def _free(city: Municipality) -> None:
    """The closed row stays (code and slug not reused, the audit log's city); its hosts and
    settings go."""
    CityHost.objects.filter(municipality=city).delete()
    Municipality.objects.filter(pk=city.pk).update(
        hostname="", public_url="", identity_config={}, channels=[], sender_email="", sender_name="",
        logo=None, logo_type="")
    # A bulk update sends no signal: drop this process's cached cities now and at the commit
    # (other processes see it within MADOGUCHI_CITY_CACHE_SECONDS, core/cities.py).
    from madoguchi.core import cities

    cities.forget()
    transaction.on_commit(cities.forget)
