"""Read queries over the catalogue, scoped to a municipality."""

from madoguchi.catalog.i18n import localized
from madoguchi.catalog.loader import catalog, catalog_for
from madoguchi.catalog.schema import Channel, Procedure
from madoguchi.catalog.search import search as search_procedures
from madoguchi.core import cities
from madoguchi.core.models import Department, Municipality


def _offered(procedure: Procedure, departments: set[str]) -> bool:
    """A city offers what one of its departments handles; what another office does is
    listed everywhere (the navigator names it)."""
    return procedure.channel == Channel.ELSEWHERE or procedure.department in departments


def _departments(municipality: Municipality) -> set[str]:
    """The codes of the city's departments, from the per-process copy (core/cities.py)."""
    return set(cities.departments_of(municipality))


def procedures_for(municipality: Municipality, language: str | None = None) -> list[Procedure]:
    """The procedures a city offers, with its own overrides and local procedures, in
    `language` (the active one by default; "ja" for what is stored or staff-facing)."""
    codes = _departments(municipality)
    return sorted(
        (p for p in catalog_for(municipality.slug, language).values() if _offered(p, codes)),
        key=lambda p: (p.category, p.title),
    )


def get_procedure(municipality: Municipality, code: str, language: str | None = None) -> Procedure | None:
    procedure = catalog_for(municipality.slug, language).get(code)
    if procedure is None or not _offered(procedure, _departments(municipality)):
        return None
    return procedure


def procedure_of_record(municipality: Municipality, code: str,
                        language: str | None = None) -> Procedure | None:
    """The definition a stored draft or submission was made with, even when the city has
    since withdrawn the procedure or closed its department (old records stay readable).
    In `language` (the active one by default): pass "ja" for what is stored or legal."""
    found = catalog_for(municipality.slug, language).get(code)
    if found is None and (base := catalog().get(code)) is not None:
        found = localized(base, language)
    return found


def department_for(municipality: Municipality, procedure: Procedure) -> Department:
    """The department that handles the procedure in this city, without a query while the
    per-process copy is fresh; Department.DoesNotExist when the city has none for it."""
    return cities.department(municipality, procedure.department)


def search(procedures: list[Procedure], query: str) -> list[Procedure]:
    """The catalogue page's and the API's search: Japanese-aware, best match first."""
    return search_procedures(procedures, query)
