"""A city's own changes to its catalogue, saved through the administration pages.

What the pages change is what a city's `overrides.yaml` can say about one procedure (the
window, the fee note, the fee lines, the payment's 歳入科目 code; withdrawn or offered), kept
as one `ProcedureOverride` row per city and procedure, checked by the loader's validator
(`loader.check_override`) before it is written, and audited: one AuditEvent per change, with
the row before and after. The row holds only what differs from the city's files, so a value
set back to the file's drops out of the row, and a row left with nothing is deleted.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import IntegrityError, transaction

from madoguchi.catalog import loader
from madoguchi.catalog.models import ProcedureOverride
from madoguchi.catalog.schema import Channel, FeeRules, Procedure
from madoguchi.core import audit, cities
from madoguchi.core.actors import Actor
from madoguchi.core.models import Municipality

# The fields the pages change (any other field of an override stays a matter for the files).
MANAGED = ("window", "fee_note", "fees", "payment")


class Source:
    """Where the procedure as the city offers it comes from (the list page shows it)."""

    NATIONAL = "national"  # the national file, unchanged
    CITY_FILE = "city_file"  # the city's own file or its overrides.yaml
    CITY_PAGE = "city_page"  # changed through the pages (over whichever of the above)


@dataclass(frozen=True)
class Entry:
    """One procedure of the city's catalogue as the administration pages see it."""

    code: str
    procedure: Procedure  # as the city offers it (or, when withdrawn, as it would)
    files: Procedure  # as the city's files give it
    source: str
    changed_by_page: bool
    withdrawn: bool
    offered: bool  # the city has the department that handles it (or it is done elsewhere)
    broken: str  # a saved change that no longer applies, and why ("" when none)


def _snapshot(row: ProcedureOverride | None) -> dict | None:
    return None if row is None else {"data": row.data, "withdrawn": row.withdrawn}


def _source(code: str, files: Procedure, changed: bool) -> str:
    if changed:
        return Source.CITY_PAGE
    return Source.NATIONAL if loader.catalog().get(code) is files else Source.CITY_FILE


def entries(municipality: Municipality) -> list[Entry]:
    """Every procedure of the city's files (national and its own), withdrawn ones included,
    in the catalogue's order (category, title)."""
    files = loader.files_for(municipality.slug)
    offered = loader.catalog_for(municipality.slug, language="ja")
    broken = loader.broken_overrides(municipality.slug)
    rows = {r.procedure_code: r for r in ProcedureOverride.objects.filter(municipality=municipality)}
    departments = set(cities.departments_of(municipality))
    found = []
    for code, base in files.items():
        row = rows.get(code)
        changed = row is not None and bool(row.data) and code not in broken
        found.append(Entry(
            code=code, procedure=offered.get(code, base), files=base, source=_source(code, base, changed),
            changed_by_page=changed, withdrawn=row is not None and row.withdrawn,
            offered=base.channel == Channel.ELSEWHERE or base.department in departments,
            broken=broken.get(code, "")))
    return sorted(found, key=lambda e: (e.procedure.category, e.procedure.title))


def entry(municipality: Municipality, code: str) -> Entry | None:
    """One procedure of the city's files, or None (not in its catalogue)."""
    return next((e for e in entries(municipality) if e.code == code), None)


def _same(files: Procedure, key: str, value) -> bool:
    """Whether the page's value for `key` is what the files already say."""
    if key == "payment":
        return value == {"revenue_code": files.payment.revenue_code}
    if key == "fees":
        if value is None:
            return files.fee_rules is None
        try:
            return files.fees is not None and FeeRules.model_validate(value) == files.fees
        except ValueError:
            return False  # invalid: kept, so the validator says why
    return getattr(files, key) == value


def _save(municipality: Municipality, code: str, actor: Actor, user, action: str, change) -> ProcedureOverride | None:
    """Apply `change(row)` to the city's row for `code` (made when missing), check it, write it
    (or delete it when it holds nothing), and audit it. loader.OverrideError when refused:
    nothing is written."""
    files = loader.files_for(municipality.slug)
    if code not in files:
        raise loader.OverrideError(code, [loader.Problem("", "not in the catalogue")])
    try:
        return _save_once(municipality, code, actor, user, action, change, files)
    except IntegrityError:  # two first saves of one procedure at once: the second sees the first's row
        return _save_once(municipality, code, actor, user, action, change, files)


def _save_once(municipality, code, actor, user, action, change, files) -> ProcedureOverride | None:
    with transaction.atomic():
        row = ProcedureOverride.objects.select_for_update().filter(
            municipality=municipality, procedure_code=code).first()
        before = _snapshot(row)
        if row is None:
            row = ProcedureOverride(municipality=municipality, procedure_code=code)
        change(row, files[code])
        row.updated_by = user if getattr(user, "pk", None) else None
        if not row.data and not row.withdrawn:
            if row.pk is not None:
                row.delete()
            row = None
        else:
            row.save()  # checked by the loader's validator first
        after = _snapshot(row)
        if before != after:
            audit.record(municipality, actor, action, "procedure", code, before=before, after=after)
    return row


def change(municipality: Municipality, code: str, values: dict, actor: Actor, user=None) -> ProcedureOverride | None:
    """Set the managed fields in `values` (a subset of MANAGED, as an override entry states
    them: `fees` a whole fee block or None for no fee, `payment` {"revenue_code": …})."""
    unknown = set(values) - set(MANAGED)
    if unknown:
        raise ValueError(f"the pages do not change {', '.join(sorted(unknown))}")

    def apply(row: ProcedureOverride, files: Procedure) -> None:
        data = dict(row.data)
        for key, value in values.items():
            if _same(files, key, value):
                data.pop(key, None)
            else:
                data[key] = value
        row.data = data

    return _save(municipality, code, actor, user, "city.procedure_override", apply)


def withdraw(municipality: Municipality, code: str, actor: Actor, user=None) -> ProcedureOverride | None:
    """The city stops offering the procedure (old records stay readable: procedure_of_record)."""
    return _save(municipality, code, actor, user, "city.procedure_withdraw",
                 lambda row, files: setattr(row, "withdrawn", True))


def reinstate(municipality: Municipality, code: str, actor: Actor, user=None) -> ProcedureOverride | None:
    """The city offers a procedure it withdrew through the pages again, with its saved changes."""
    return _save(municipality, code, actor, user, "city.procedure_reinstate",
                 lambda row, files: setattr(row, "withdrawn", False))


def reset(municipality: Municipality, code: str, actor: Actor, user=None) -> ProcedureOverride | None:
    """Drop the changes saved through the pages: the procedure is as the city's files say."""
    return _save(municipality, code, actor, user, "city.procedure_reset",
                 lambda row, files: setattr(row, "data", {}))
