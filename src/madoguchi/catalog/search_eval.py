"""How well the search answers an evaluation set of residents' queries (recall@5 and MRR).

An evaluation set is a list of {q, expect: [codes]}. The figures are computed over the
codes the given catalogue holds, so a set may name procedures a city does not offer; a query
none of whose codes are present is not counted.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from madoguchi.catalog.schema import Procedure
from madoguchi.catalog.search import search as japanese_search

TOP = 5

SearchFn = Callable[[list[Procedure], str], list[Procedure]]


@dataclass(frozen=True)
class Query:
    q: str
    expect: tuple[str, ...]


@dataclass(frozen=True)
class Failure:
    """A query whose top 5 lacks an expected code: what came back instead."""

    q: str
    missing: tuple[str, ...]
    got: tuple[str, ...]


@dataclass(frozen=True)
class SearchQuality:
    recall_at_5: float  # mean share of the expected codes found in the top 5
    mrr: float  # mean reciprocal rank of the first expected code (0 when not returned)
    n: int  # queries counted
    failures: list[Failure] = field(default_factory=list)
    skipped: int = 0  # queries whose codes are all absent from the catalogue


def load_queries(path: Path) -> list[Query]:
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    return [Query(str(item["q"]), tuple(item["expect"])) for item in data.get("queries") or []]


def evaluate(procedures: list[Procedure], queries: list[Query] | list[dict],
             search: SearchFn = japanese_search) -> SearchQuality:
    """Run every query ({q, expect} or Query) through `search` and score the answers."""
    queries = [q if isinstance(q, Query) else Query(str(q["q"]), tuple(q["expect"]))
               for q in queries]
    codes = {p.code for p in procedures}
    recall = reciprocal = 0.0
    counted = skipped = 0
    failures = []
    for query in queries:
        expected = [c for c in query.expect if c in codes]
        if not expected:
            skipped += 1
            continue
        ranked = [p.code for p in search(procedures, query.q)]
        top = ranked[:TOP]
        found = [c for c in expected if c in top]
        recall += len(found) / len(expected)
        first = next((i for i, code in enumerate(ranked, 1) if code in expected), None)
        reciprocal += 1 / first if first else 0.0
        counted += 1
        if len(found) < len(expected):
            failures.append(Failure(query.q, tuple(c for c in expected if c not in top),
                                    tuple(top)))
    return SearchQuality(recall / counted if counted else 0.0,
                         reciprocal / counted if counted else 0.0,
                         counted, failures, skipped)
