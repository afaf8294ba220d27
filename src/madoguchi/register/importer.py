"""Writing a validated CSV into the register: all rows or none, idempotent by 住民票コード."""

from dataclasses import dataclass
from itertools import islice
from pathlib import Path

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import ngettext

from madoguchi.core import audit
from madoguchi.core.actors import Actor
from madoguchi.core.crypto import encrypt_bytes
from madoguchi.register import csvio
from madoguchi.register.bulk import insert
from madoguchi.register.codes import CURRENT, HEAD
from madoguchi.register.keys import kana_keys, my_number_hash
from madoguchi.register.models import Household, Movement, Resident

BATCH = 2000
_FIELDS = ("household", "relationship", "name", "kana", "birth_date", "gender", "address",
           "address_detail", "postal_code", "settled_on", "became_resident_on", "latest_reason",
           "previous_address", "status", "my_number", "my_number_hash", "kana_key",
           "surname_key", "given_key", "birth_date_precision", "settled_on_precision", "domicile",
           "domicile_head", "kind", "nationality", "residence_status", "residence_period",
           "residence_expires_on", "residence_card_number", "common_name", "moving_out_on",
           "moving_out_to")
# A change in any of these is a movement (異動) worth a history row.
_MOVE = ("household_id", "address", "address_detail", "settled_on", "latest_reason", "status")


class ImportRefused(Exception):
    """The file has bad rows; nothing was written. `errors` lists every one."""

    def __init__(self, errors: list[csvio.RowError]):
        super().__init__(ngettext("%(n)s 件の誤りがあるため、取り込みませんでした", "%(n)s 件の誤りがあるため、取り込みませんでした",
                                  len(errors)) % {"n": len(errors)})
        self.errors = errors


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int
    households: int


def import_csv(municipality, path: Path, actor: Actor | None = None,
               layout: csvio.Layout | None = None) -> ImportResult:
    """Validate the whole file, then write it in one transaction (bulk, in batches).

    `layout`: a city's 宛名システム export read through its mapping file (register.mapping);
    without it the file is the standard CSV. Either way a 市区町村コード column, when the file
    has one, must be the city's."""
    errors, _ = csvio.validate(path, layout, municipality.code)
    if errors:
        raise ImportRefused(errors)
    actor = actor or Actor.system()
    with transaction.atomic():
        result = _write(municipality, csvio.rows(path, layout, municipality.code))
        refresh_heads(municipality)
        audit.record(municipality, actor, "register_import", "register", "csv", mapped=layout is not None,
                     created=result.created, updated=result.updated, households=result.households)
    return result


def _resident(municipality, row: csvio.Row, household_id: int) -> Resident:
    whole, surname, given = kana_keys(row.kana)
    return Resident(
        municipality=municipality, code=row.code, household_id=household_id,
        relationship=row.relationship, name=row.name, kana=row.kana, birth_date=row.birth_date,
        gender=row.gender, address=row.address, address_detail=row.address_detail,
        postal_code=row.postal_code, settled_on=row.settled_on,
        became_resident_on=row.became_resident_on, latest_reason=row.latest_reason,
        previous_address=row.previous_address, status=row.status,
        my_number=encrypt_bytes(row.my_number.encode(), municipality) if row.my_number else b"",
        my_number_hash=my_number_hash(row.my_number) if row.my_number else "",
        kana_key=whole, surname_key=surname, given_key=given,
        birth_date_precision=row.birth_date_precision, settled_on_precision=row.settled_on_precision,
        domicile=row.domicile, domicile_head=row.domicile_head, kind=row.kind,
        nationality=row.nationality, residence_status=row.residence_status,
        residence_period=row.residence_period, residence_expires_on=row.residence_expires_on,
        residence_card_number=row.residence_card_number, common_name=row.common_name,
        moving_out_on=row.moving_out_on, moving_out_to=row.moving_out_to,
    )


def _movement(resident: Resident) -> Movement:
    return Movement(resident_id=resident.pk, moved_on=resident.settled_on,
                    reason=resident.latest_reason, previous_address=resident.previous_address,
                    new_address=resident.full_address)


def _write(municipality, items) -> ImportResult:
    households = dict(Household.objects.filter(municipality=municipality).values_list("number", "pk"))
    known = {code: (pk, *rest) for code, pk, *rest in Resident.objects.filter(
        municipality=municipality).values_list("code", "pk", *_MOVE).iterator(chunk_size=10000)}
    created = updated = new_households = 0
    while batch := list(islice(items, BATCH)):
        fresh = sorted({row.household for row in batch} - households.keys())
        made = [Household(municipality=municipality, number=n) for n in fresh]
        insert(made)
        households.update((household.number, household.pk) for household in made)
        new_households += len(fresh)
        to_create, to_update, moved = [], [], []
        for row in batch:
            resident = _resident(municipality, row, households[row.household])
            if row.code in known:
                resident.pk, *before = known[row.code]
                to_update.append(resident)
                if tuple(before) != tuple(getattr(resident, f) for f in _MOVE):
                    moved.append(resident)
            else:
                to_create.append(resident)
        insert(to_create)
        _update(to_update)
        insert([_movement(r) for r in (*to_create, *moved)])
        created += len(to_create)
        updated += len(to_update)
    return ImportResult(created, updated, new_households)


def _update(residents: list[Resident]) -> None:
    """One UPDATE per row through executemany: far cheaper than bulk_update's CASE chains."""
    if not residents:
        return
    columns = [Resident._meta.get_field(name) for name in _FIELDS]
    assignments = ", ".join(f"{field.column} = %s" for field in columns)
    sql = f"UPDATE {Resident._meta.db_table} SET {assignments}, updated_at = %s WHERE id = %s"  # noqa: S608
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.executemany(sql, [
            [field.get_db_prep_save(getattr(r, field.attname), connection) for field in columns]
            + [now, r.pk] for r in residents])


def refresh_heads(municipality) -> None:
    """Point every household of the city at its current 世帯主 (one statement for the city):
    one on the register today, 住民 or 転出予定 (codes.CURRENT)."""
    household, resident = Household._meta.db_table, Resident._meta.db_table
    current = ", ".join(["%s"] * len(CURRENT))
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {household} SET head_id = (SELECT r.id FROM {resident} r "  # noqa: S608
            f"WHERE r.household_id = {household}.id AND r.relationship = %s AND r.status IN ({current}) "
            f"ORDER BY r.id LIMIT 1) WHERE municipality_id = %s",
            [HEAD, *(status.value for status in CURRENT), municipality.pk])
