"""The DX plan's KPI targets a city enters (/staff/insights/targets/): read by every reader of
the figures, changed by the city's administrator or a department's 管理者 (`Role.ADMIN`); each
change is one audit event with the values before and after."""

from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction

from madoguchi.core import audit
from madoguchi.core.actors import Actor
from madoguchi.core.models import Municipality, Role
from madoguchi.core.roles import administers_or_holds
from madoguchi.insights.measures import Kpi
from madoguchi.insights.models import Target


def may_set_targets(user, city: Municipality) -> bool:
    """The city's administrator, or a 管理者 of one of its departments; an analyst reads only."""
    return administers_or_holds(user, city, (Role.ADMIN,))


def _values(target: Target | None) -> dict | None:
    if target is None:
        return None
    return {"value": str(target.value), "baseline": None if target.baseline is None else str(target.baseline),
            "source": target.source}


@transaction.atomic
def set_target(city: Municipality, actor: Actor, *, kpi: str, year: int, value: Decimal,
               baseline: Decimal | None = None, source: str = "") -> Target:
    """Create or replace the target of `kpi` for fiscal `year`."""
    before = Target.objects.select_for_update().filter(municipality=city, kpi=kpi, year=year).first()
    was = _values(before)
    target, _created = Target.objects.update_or_create(
        municipality=city, kpi=kpi, year=year,
        defaults={"value": value, "baseline": baseline, "source": source or ""})
    target.refresh_from_db()  # the values as stored (two decimals), as the page shows them
    audit.record(city, actor, "insights.target_set", "target", target.pk, kpi=kpi, year=year,
                 before=was, after=_values(target))
    return target


@transaction.atomic
def remove_target(city: Municipality, actor: Actor, *, kpi: str, year: int) -> None:
    target = Target.objects.select_for_update().filter(municipality=city, kpi=kpi, year=year).first()
    if target is None:
        return
    audit.record(city, actor, "insights.target_remove", "target", target.pk, kpi=kpi, year=year,
                 before=_values(target), after=None)
    target.delete()


@dataclass(frozen=True)
class TargetRow:
    kpi: str
    label: str
    target: Target


def targets_of(city: Municipality) -> list[TargetRow]:
    """The city's targets, newest fiscal year first, in KPI order within a year."""
    order = {kpi: i for i, kpi in enumerate(Kpi.values)}
    found = Target.objects.filter(municipality=city)
    return [TargetRow(kpi=t.kpi, label=str(Kpi(t.kpi).label), target=t)
            for t in sorted(found, key=lambda t: (-t.year, order.get(t.kpi, 99)))]
