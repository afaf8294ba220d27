"""Read queries over the catalogue, scoped to a municipality."""

from madoguchi.catalog.loader import catalog
from madoguchi.catalog.schema import Procedure
from madoguchi.core.models import Department, Municipality


def procedures_for(municipality: Municipality) -> list[Procedure]:
    """The procedures a city offers: those whose department the city has."""
    codes = set(Department.objects.filter(municipality=municipality).values_list("code", flat=True))
    return sorted(
        (p for p in catalog().values() if p.department in codes),
        key=lambda p: (p.category, p.title),
    )


def get_procedure(municipality: Municipality, code: str) -> Procedure | None:
    procedure = catalog().get(code)
    if procedure is None:
        return None
    if not Department.objects.filter(municipality=municipality, code=procedure.department).exists():
        return None
    return procedure


def department_for(municipality: Municipality, procedure: Procedure) -> Department:
    return Department.objects.get(municipality=municipality, code=procedure.department)


def search(procedures: list[Procedure], query: str) -> list[Procedure]:
    """Plain substring search over title, summary and keywords (the Japanese-aware search
    with normalisation and synonyms replaces this in the navigator work)."""
    terms = [t for t in query.split() if t]
    if not terms:
        return procedures

    def text(p: Procedure) -> str:
        return " ".join([p.title, p.summary, p.category, *p.keywords])

    return [p for p in procedures if all(t in text(p) for t in terms)]
