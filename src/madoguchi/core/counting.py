"""Counting the rows of a big list without reading them all.

`SELECT COUNT(*)` reads every matching row: on ten million cases or tens of millions of audit
events that is the slowest part of showing a list, and nobody needs to know that there are
3,481,207 rather than about 3.5 million. So a list counts exactly up to a threshold (reading
at most threshold + 1 rows, through the list's own index) and past it asks PostgreSQL's planner
for its estimate, from the statistics it keeps anyway (`EXPLAIN (FORMAT JSON)`: the same
estimate the planner uses to choose its plan; PostgreSQL has no cheaper exact count). Other
databases (SQLite, for development) have no such estimate, so past the threshold they say
"at least" the threshold.
"""

import json
from dataclasses import dataclass
from enum import StrEnum

from django.db import connections
from django.db.models import QuerySet

EXACT_UP_TO = 10_000


class Exactness(StrEnum):
    EXACT = "exact"
    ABOUT = "about"  # the planner's estimate, rounded
    AT_LEAST = "at_least"  # more than the threshold, on a database without estimates


@dataclass(frozen=True)
class Count:
    value: int
    exactness: Exactness

    @property
    def exact(self) -> bool:
        return self.exactness is Exactness.EXACT


def count(queryset: QuerySet, exact_up_to: int | None = None) -> Count:
    """Exact when at most `exact_up_to` (default EXACT_UP_TO) rows match, otherwise estimated
    (or "at least")."""
    exact_up_to = EXACT_UP_TO if exact_up_to is None else exact_up_to
    capped = queryset.order_by()[: exact_up_to + 1].count()
    if capped <= exact_up_to:
        return Count(capped, Exactness.EXACT)
    estimate = planner_estimate(queryset)
    if estimate is None:
        return Count(exact_up_to, Exactness.AT_LEAST)
    # The estimate can be below what was just counted (stale statistics): never say fewer.
    return Count(_two_figures(max(estimate, exact_up_to + 1)), Exactness.ABOUT)


def planner_estimate(queryset: QuerySet) -> int | None:
    """PostgreSQL's estimate of the rows `queryset` matches; None on other databases."""
    if connections[queryset.db].vendor != "postgresql":
        return None
    plan = json.loads(queryset.order_by().explain(format="json"))
    return int(plan[0]["Plan"]["Plan Rows"])


def _two_figures(n: int) -> int:
    """3,481,207 → 3,500,000: an estimate shown with more figures than it has would mislead."""
    scale = 10 ** max(len(str(n)) - 2, 0)
    return round(n / scale) * scale
