"""Reading PostgreSQL query plans in tests: which statements a page ran, and whether each reads
a table through an index, in the order it needs, without reading the whole table.

Two questions, two plans:
- the real planner (after ANALYZE): no Seq Scan of the table, except the one read that is
  bounded whatever the table's size (the first N rows, with no filter, under a Limit), and no
  sort of more than SMALL_SORT rows (sorting the handful a narrow filter matches is what the
  planner should do on a test's few thousand rows; sorting a large part of the table is not);
- with sorting and bitmap scans switched off for the EXPLAIN: still no Sort node, which is
  true only when an index returns the rows in the list's order (with a large table the
  planner then prefers it; with the test's table it might rightly not).
"""

import json

from django.db import connection

INDEX_READS = {"Index Scan", "Index Only Scan", "Bitmap Heap Scan"}
SORTS = {"Sort", "Incremental Sort"}
SMALL_SORT = 1_000


def statements_on(captured, table: str) -> list[str]:
    return [q["sql"] for q in captured.captured_queries
            if f'"{table}"' in q["sql"] and not q["sql"].lstrip().upper().startswith("EXPLAIN")]


def nodes(plan: dict):
    yield plan
    for child in plan.get("Plans", []):
        yield from nodes(child)


def explain(sql: str, *settings: str) -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SAVEPOINT plan_check")
        try:
            for setting in settings:
                cursor.execute(f"SET LOCAL {setting}")
            cursor.execute("EXPLAIN (FORMAT JSON) " + sql)
            plan = cursor.fetchone()[0]
        finally:
            cursor.execute("ROLLBACK TO SAVEPOINT plan_check")
    plan = plan if isinstance(plan, list) else json.loads(plan)
    return plan[0]["Plan"]


def shown(plan: dict) -> list[tuple]:
    return [(n["Node Type"], n.get("Relation Name"), n.get("Index Name"), n.get("Plan Rows"))
            for n in nodes(plan)]


def bounded_read_of_any_rows(plan: dict) -> bool:
    """The first N rows in any order, no filter: a Seq Scan directly under a Limit."""
    return any(n["Node Type"] == "Limit" and [c["Node Type"] for c in n.get("Plans", [])] == ["Seq Scan"]
               and "Filter" not in n["Plans"][0] for n in nodes(plan))


def assert_index_read(sql: str, table: str, where="", index: str | tuple[str, ...] | None = None) -> None:
    """The statement reads `table` through an index (see the module's docstring); with
    `index` (a name, or the names of indexes equally fit), the real planner chose that one."""
    real = explain(sql)
    if bounded_read_of_any_rows(real):
        return
    assert not any(n["Node Type"] == "Seq Scan" and n.get("Relation Name") == table
                   for n in nodes(real)), (where, sql, shown(real))
    assert any(n.get("Relation Name") == table and n["Node Type"] in INDEX_READS
               for n in nodes(real)), (where, sql, shown(real))
    assert not any(n["Node Type"] in SORTS and n["Plan Rows"] > SMALL_SORT
                   for n in nodes(real)), (where, sql, shown(real))
    if index:
        names = (index,) if isinstance(index, str) else index
        assert any(n.get("Index Name") in names for n in nodes(real)), (where, sql, shown(real))
    ordered = explain(sql, "enable_sort = off", "enable_bitmapscan = off", "enable_seqscan = off")
    assert not any(n["Node Type"] in SORTS for n in nodes(ordered)), (where, sql, shown(ordered))
