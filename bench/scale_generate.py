"""Ten years of a big city's cases on PostgreSQL: N submissions (10,000,000 by default) with
their timeline events and their answers, for measuring the staff queue at scale
(bench/scale_queue.py).

    .venv/bin/python bench/scale_generate.py [--cases 10000000] [--database madoguchi_scale]
                                             [--fresh | --if-empty] [--chunk 250000]

The database (127.0.0.1:5432, user postgres, trust auth) is created with `createdb` when
missing (`--fresh` drops it first), then `madoguchi migrate` and `madoguchi load_demo` give
the demo city its departments and staff; the catalogue gives the procedures. The city gets a
synthetic register (`register.seeding.generate_register`, the counter cases' applicants) and
resident accounts (the online cases' applicants).

What the cases look like:
- `submitted_at` spread evenly over the ten years up to now (ids grow with time, as they do);
- each over the city's real procedures that have a form, more of some than of others (a fixed
  Zipf-like weight), in the procedure's own department, with its fee and current form version;
- channel: a counter-only procedure is filed at the counter; an online one 70 % online, 30 %
  at the counter (a clerk files it for a register resident, with a visit reference);
- status by age: a case older than 120 days is closed (86 % approved, 6 % rejected, 7.5 %
  withdrawn) but for 0.5 % left in review; one of the last 120 days is open in every state
  (15 % submitted, 30 % accepted, 10 % returned, 10 % pending approval) or decided; one of the
  last week is not decided yet (60 % submitted, 35 % accepted, 5 % returned);
- the timeline (`SubmissionEvent`) walks the real workflow to that status: submitted →
  accepted → pending approval → approved/rejected, withdrawn after acceptance, returned
  after acceptance; about 3.9 events a case, a few days apart, the staff steps by the
  department's clerk and the approval by its approver;
- one `SubmissionVersion` a case with complete answers for its procedure's form.

Encrypted columns: the answers of each procedure are encrypted ONCE with the project's own
crypto (`core.crypto.encrypt_json`, the city's own data key) and that ciphertext is
reused for every case of the procedure; the events' notes likewise (one token for the empty
note, one for a return's reason). So every row decrypts and renders as a real one does, at
the cost of 76 encryptions instead of 50 million.

How it is fast: rows are made inside PostgreSQL by `INSERT … SELECT … generate_series`, one
transaction per chunk of cases (with their events and versions). Before the load, the three
tables' secondary indexes and unique constraints are dropped (their definitions saved in the
table `scale_generate_state`) and foreign-key triggers are off for this session
(`session_replication_role = replica`: every reference is made from existing rows); after it,
every index is rebuilt from the saved definitions, the id sequences are moved past the ids
used, the tables are ANALYZEd and the whole database's index list is compared with the one
the migrations made: the run fails if any index is missing or differs. The state table is
dropped last, so the final schema is exactly the migrated one. Last, VACUUM (ANALYZE) of the
three tables, as autovacuum would have done on a ten-year-old database (it sets the visibility
map, which index-only scans need), and ANALYZE of the rest.

Resumable: each chunk commits; a run that stopped is continued by running the same command
again (it picks up after the last committed case). `--if-empty` does nothing when the cases
are already there (for `make bench-scale`).

Prints the time of each phase and the table sizes at the end; BENCH_SCALE_RECORD (default
bench/results/scale_generate.json) keeps them for bench/scale_queue.py's section.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))
import hardware  # noqa: E402

PG = ["-h", "127.0.0.1", "-p", "5432", "-U", "postgres"]
TABLES = ("applications_submission", "applications_submissionevent", "applications_submissionversion")
STATE = "scale_generate_state"
RECORD = Path(os.environ.get("BENCH_SCALE_RECORD", BENCH / "results" / "scale_generate.json"))
YEARS = 10

# Final status of a case by age, as (status, cumulative probability).
OLD_MIX = [("approved", 0.86), ("rejected", 0.92), ("withdrawn", 0.995), ("accepted", 1.0)]
RECENT_MIX = [("submitted", 0.15), ("accepted", 0.45), ("returned", 0.55), ("pending_approval", 0.65),
              ("approved", 0.88), ("rejected", 0.94), ("withdrawn", 1.0)]
NEW_MIX = [("submitted", 0.6), ("accepted", 0.95), ("returned", 1.0)]  # the last week: nothing decided yet
RECENT_DAYS, NEW_DAYS = 120, 7
# The busiest procedures first (certificates, moving, insurance, children); the rest follow in
# a fixed pseudo-random order. Weights fall as 1/rank^0.9.
POPULAR = ["residence-certificate-copy", "family-register-certificate", "moving-in", "moving-within",
           "nhi-enrollment", "nhi-withdrawal", "child-allowance-claim", "birth-registration",
           "seal-registration", "bulky-waste-collection", "child-allowance-status-report",
           "care-need-renewal", "household-change", "dog-registration", "childcare-admission"]
# The timeline that leads to each status: (to_status, who acts, days after the previous step).
PATHS = {
    "submitted": [("submitted", "applicant", 0)],
    "accepted": [("submitted", "applicant", 0), ("accepted", "clerk", 1)],
    "returned": [("submitted", "applicant", 0), ("accepted", "clerk", 1), ("returned", "clerk", 2)],
    "pending_approval": [("submitted", "applicant", 0), ("accepted", "clerk", 1),
                         ("pending_approval", "clerk", 3)],
    "approved": [("submitted", "applicant", 0), ("accepted", "clerk", 1), ("pending_approval", "clerk", 3),
                 ("approved", "approver", 2)],
    "rejected": [("submitted", "applicant", 0), ("accepted", "clerk", 1), ("pending_approval", "clerk", 3),
                 ("rejected", "approver", 2)],
    "withdrawn": [("submitted", "applicant", 0), ("accepted", "clerk", 1), ("withdrawn", "applicant", 4)],
}
RETURN_REASON = "添付された書類の写しが不鮮明です。読み取れる写しを添付して再提出してください。"
SLOTS = 1000  # procedure weights are drawn from this many slots


def log(message: str) -> None:
    print(f"[scale] {datetime.now(UTC):%H:%M:%S} UTC {message}", file=sys.stderr, flush=True)


def _receipt_function(cursor) -> None:
    """受付番号 from the case id: a bijection of the id onto the 31^7 bodies (an affine map
    modulo 31^7 with a multiplier prime to 31), then the check character as
    applications.receipts computes it — unique without a look-up, valid when typed back."""
    cursor.execute("""
        CREATE OR REPLACE FUNCTION pg_temp.scale_receipt(n bigint) RETURNS text
        LANGUAGE sql IMMUTABLE AS $$
          WITH x AS (SELECT ((n * 1000003 + 4242) % 27512614111) AS v),
               d AS (SELECT p, ((SELECT v FROM x) / (31::bigint ^ (6 - p))::bigint) % 31 AS digit
                     FROM generate_series(0, 6) AS p)
          SELECT substr(body, 1, 4) || '-' || substr(body, 5, 3)
                 || substr('23456789ABCDEFGHJKMNPQRSTUVWXYZ',
                           ((SELECT sum((p + 1) * digit) FROM d)::int % 31) + 1, 1)
          FROM (SELECT string_agg(substr('23456789ABCDEFGHJKMNPQRSTUVWXYZ', digit::int + 1, 1), ''
                                  ORDER BY p) AS body FROM d) AS b
        $$""")


def _answers_for(form) -> dict:
    """Complete answers for a form, as a resident fills it: the first option of every choice,
    a plausible value of each text type, each repeating group once; files left out (they would
    need stored attachments)."""
    from madoguchi.applications import engine
    from madoguchi.catalog.schema import FieldType

    text = {FieldType.NAME: "髙橋 﨑子", FieldType.KANA: "タカハシ サキコ", FieldType.POSTAL_CODE: "892-0816",
            FieldType.ADDRESS: "鹿児島県鹿児島市山下町11番1号", FieldType.PHONE: "099-224-1111",
            FieldType.EMAIL: "hanako@example.jp", FieldType.TEXTAREA: "特になし",
            FieldType.MY_NUMBER: "123456789018", FieldType.DATE: "2025-04-01"}

    def value(field):
        if field.type in {FieldType.SELECT, FieldType.RADIO}:
            return field.options[0].value if field.options else ""
        if field.type == FieldType.CHECKBOX:
            return [field.options[0].value] if field.options else True
        if field.type in {FieldType.NUMBER, FieldType.YEN}:
            return str(field.min_value if field.min_value is not None else 1)
        result = text.get(field.type, "記入例")
        if field.max_length and len(result) > field.max_length:
            result = "1" * field.max_length
        if field.min_length and len(result) < field.min_length:
            result = "1" * field.min_length
        return result

    answers: dict = {}
    for step in form.steps:
        for field in step.fields:
            if field.type == FieldType.FILE or not engine.visible(field, answers):
                continue
            if field.type == FieldType.GROUP:
                item: dict = {}
                for sub in field.fields:
                    if sub.type != FieldType.FILE and engine.visible(sub, answers, item):
                        item[sub.id] = value(sub)
                answers[field.id] = [item]
            else:
                answers[field.id] = value(field)
    return answers


def _procedures(city) -> list[dict]:
    """The city's procedures that have a form, each with its department, fee, channel mix and
    answers ciphertext; weights Zipf-like (1/rank^0.9) over a fixed order by code."""
    from madoguchi.catalog.schema import Channel
    from madoguchi.catalog.selectors import procedures_for
    from madoguchi.core.crypto import encrypt_json
    from madoguchi.core.models import Department

    departments = dict(Department.objects.filter(municipality=city).values_list("code", "pk"))
    found = []
    for procedure in sorted(procedures_for(city), key=lambda p: p.code):
        if not procedure.forms or procedure.department not in departments:
            continue
        form = procedure.current_form
        found.append({"code": procedure.code, "department_id": departments[procedure.department],
                      "form_version": form.version, "fee": procedure.fee_yen,
                      "counter_share": 0.3 if procedure.channel == Channel.ONLINE else 1.0,
                      "answers": encrypt_json(_answers_for(form), city)})
    found.sort(key=lambda p: (POPULAR.index(p["code"]) if p["code"] in POPULAR else len(POPULAR),
                              sum(ord(c) * 7919 ** i for i, c in enumerate(p["code"])) % 1_000_003))
    weights = [1 / (rank + 1) ** 0.9 for rank in range(len(found))]
    total, cumulative = sum(weights), 0.0
    for procedure, weight in zip(found, weights, strict=True):
        cumulative += weight / total
        procedure["upto"] = cumulative
    found[-1]["upto"] = 1.0
    return found


def _staff(city) -> dict[int, tuple[int, int]]:
    """Each department's clerk and approver user ids (load_demo's *-tanto and *-kacho)."""
    from madoguchi.core.models import Role, StaffMembership

    people: dict[int, dict[str, int]] = {}
    for m in StaffMembership.objects.filter(department__municipality=city, role__in=[Role.CLERK, Role.APPROVER]):
        people.setdefault(m.department_id, {}).setdefault(m.role, m.user_id)
    return {d: (r[Role.CLERK], r[Role.APPROVER]) for d, r in people.items()}


def _secondary_indexes(cursor) -> list[tuple[str, str, str, str]]:
    """(table, name, kind, definition) of every non-primary-key index on the three tables;
    kind `constraint` for a unique constraint (dropped and re-added as a constraint)."""
    cursor.execute("""
        SELECT t.relname, i.relname, CASE WHEN c.oid IS NULL THEN 'index' ELSE 'constraint' END,
               CASE WHEN c.oid IS NULL THEN pg_get_indexdef(i.oid) ELSE pg_get_constraintdef(c.oid) END
        FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
        LEFT JOIN pg_constraint c ON c.conindid = i.oid AND c.contype IN ('u', 'x')
        WHERE t.relname = ANY(%s) AND NOT x.indisprimary ORDER BY 1, 2""", [list(TABLES)])
    return cursor.fetchall()


def _all_indexes(cursor) -> dict[str, str]:
    cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'")
    return dict(cursor.fetchall())


def _begin_load(cursor) -> None:
    """Save every index definition (the whole database's, for the final check; the three
    tables' secondary ones, to rebuild) and drop the secondary ones."""
    every = _all_indexes(cursor)
    secondary = _secondary_indexes(cursor)
    cursor.execute(f"CREATE TABLE {STATE} (kind text, tbl text, name text, definition text)")
    cursor.executemany(f"INSERT INTO {STATE} VALUES ('all', '', %s, %s)", list(every.items()))
    cursor.executemany(f"INSERT INTO {STATE} VALUES (%s, %s, %s, %s)",
                       [(kind, table, name, definition) for table, name, kind, definition in secondary])
    for table, name, kind, _ in secondary:
        if kind == "constraint":
            cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        else:
            cursor.execute(f'DROP INDEX "{name}"')
    log(f"dropped {len(secondary)} secondary indexes for the load (definitions in {STATE})")


def _end_load(cursor, timings: dict) -> None:
    """Rebuild what _begin_load dropped, then check the index list equals the migrated one."""
    cursor.execute(f"SELECT kind, tbl, name, definition FROM {STATE} WHERE kind IN ('index', 'constraint') ORDER BY tbl, name")
    saved = cursor.fetchall()
    cursor.execute("SET maintenance_work_mem = '512MB'")
    present = _all_indexes(cursor)
    for kind, table, name, definition in saved:
        if name in present:
            continue
        started = time.perf_counter()
        if kind == "constraint":
            cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
        else:
            cursor.execute(definition)
        seconds = time.perf_counter() - started
        timings.setdefault("indexes", {})[name] = round(seconds, 1)
        log(f"index {name}: {seconds:.1f} s")
    cursor.execute(f"SELECT name, definition FROM {STATE} WHERE kind = 'all'")
    migrated = dict(cursor.fetchall())
    now = _all_indexes(cursor)
    missing = sorted(set(migrated) - set(now))
    differing = sorted(n for n in set(migrated) & set(now) if migrated[n] != now[n])
    extra = sorted(set(now) - set(migrated))
    if missing or differing or extra:
        raise SystemExit(f"indexes differ from the migrated schema: missing {missing}, "
                         f"different {differing}, extra {extra}")
    log(f"all {len(migrated)} indexes of the migrated schema are present and identical")
    cursor.execute(f"DROP TABLE {STATE}")


def _load_chunk(cursor, lo: int, hi: int, n: int, start: datetime, span_s: float) -> None:
    """Cases lo..hi (ids = their rank in time), then their events and versions. The random
    draws are joined to 1,000-slot look-up tables (procedure by weight, status by age)."""
    params = {"lo": lo, "hi": hi, "n": n, "start": start, "span": span_s, "recent": RECENT_DAYS, "new": NEW_DAYS,
              **_state}
    cursor.execute("""
        INSERT INTO applications_submission
            (id, public_id, receipt_number, procedure_code, form_version, actor_kind, actor_ref,
             status, idempotency_key, fee_yen, submitted_at, updated_at, account_id, department_id,
             draft_id, municipality_id, channel, resident_id, visit_ref)
        SELECT g.i, gen_random_uuid(), pg_temp.scale_receipt(g.i), p.code, p.form_version,
               CASE WHEN g.counter THEN 'staff' ELSE 'resident' END,
               CASE WHEN g.counter THEN 'staff:' || st.clerk ELSE 'resident:' || g.account END,
               m.status, NULL, p.fee, g.at,
               least(g.at + make_interval(days => m.last_days, secs => g.i %% 28800 * sign(m.last_days)), now()),
               CASE WHEN g.counter THEN NULL ELSE g.account END,
               p.department_id, NULL, %(city)s, CASE WHEN g.counter THEN 'counter' ELSE 'online' END,
               CASE WHEN g.counter THEN g.resident END,
               CASE WHEN g.counter THEN gen_random_uuid() END
        FROM (
            SELECT q.*, q.r_channel < p0.counter_share AS counter, p0.slot
            FROM (
                SELECT i, %(start)s::timestamptz
                          + make_interval(secs => (i - random()) / %(n)s * %(span)s) AS at,
                       floor(random() * 1000)::int AS k_procedure, floor(random() * 1000)::int AS k_status,
                       random() AS r_channel,
                       %(account_low)s + floor(random() * %(accounts)s)::bigint AS account,
                       %(resident_low)s + floor(random() * %(residents)s)::bigint AS resident
                FROM generate_series(%(lo)s::bigint, %(hi)s::bigint) AS i
            ) AS q
            JOIN scale_slot ps ON ps.k = q.k_procedure
            JOIN scale_procedure p0 ON p0.slot = ps.procedure_slot
        ) AS g
        JOIN scale_procedure p ON p.slot = g.slot
        JOIN scale_mix m ON m.k = g.k_status
             AND m.age = CASE WHEN g.at > now() - make_interval(days => %(new)s) THEN 0
                              WHEN g.at > now() - make_interval(days => %(recent)s) THEN 1 ELSE 2 END
        JOIN scale_staff st ON st.department_id = p.department_id
    """, params)
    cursor.execute("""
        INSERT INTO applications_submissionevent
            (at, from_status, to_status, actor_kind, actor_ref, submission_id, note)
        SELECT least(s.submitted_at + make_interval(days => p.days, secs => s.id %% 28800 * sign(p.days)), now()),
               p.from_status, p.to_status,
               CASE p.actor WHEN 'applicant' THEN s.actor_kind ELSE 'staff' END,
               CASE p.actor WHEN 'applicant' THEN s.actor_ref
                            WHEN 'clerk' THEN 'staff:' || st.clerk ELSE 'staff:' || st.approver END,
               s.id, p.note
        FROM applications_submission s
        JOIN scale_path p ON p.status = s.status
        JOIN scale_staff st ON st.department_id = s.department_id
        WHERE s.id BETWEEN %(lo)s AND %(hi)s
        ORDER BY s.id, p.step
    """, params)
    cursor.execute("""
        INSERT INTO applications_submissionversion
            (number, form_version, answers, sources, actor_kind, actor_ref, created_at, submission_id)
        SELECT 1, s.form_version, p.answers, '{}'::jsonb, s.actor_kind, s.actor_ref, s.submitted_at, s.id
        FROM applications_submission s JOIN scale_procedure p ON p.code = s.procedure_code
        WHERE s.id BETWEEN %(lo)s AND %(hi)s ORDER BY s.id
    """, params)


_state: dict = {}


def _reference_tables(cursor, city, procedures, staff) -> None:
    """Session temp tables the chunks join: weighted procedures, status mixes, paths, staff."""
    from madoguchi.core.crypto import encrypt_bytes

    cursor.execute("CREATE TEMP TABLE scale_procedure (slot int PRIMARY KEY, upto float8, code text, "
                   "department_id bigint, form_version int, fee int, counter_share float8, answers bytea)")
    cursor.executemany("INSERT INTO scale_procedure VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                       [(i, p["upto"], p["code"], p["department_id"], p["form_version"], p["fee"],
                         p["counter_share"], p["answers"]) for i, p in enumerate(procedures)])
    cursor.execute("CREATE TEMP TABLE scale_slot (k int PRIMARY KEY, procedure_slot int)")
    cursor.executemany("INSERT INTO scale_slot VALUES (%s, %s)",
                       [(k, _pick([(i, p["upto"]) for i, p in enumerate(procedures)], k)) for k in range(SLOTS)])
    last_days = {status: sum(after for _, _, after in steps) for status, steps in PATHS.items()}
    cursor.execute("CREATE TEMP TABLE scale_mix (age int, k int, status text, last_days int, "
                   "PRIMARY KEY (age, k))")
    cursor.executemany("INSERT INTO scale_mix VALUES (%s, %s, %s, %s)",
                       [(age, k, _pick(mix, k), last_days[_pick(mix, k)])
                        for age, mix in ((0, NEW_MIX), (1, RECENT_MIX), (2, OLD_MIX)) for k in range(SLOTS)])
    empty, reason = encrypt_bytes(b"", city), encrypt_bytes(RETURN_REASON.encode(), city)
    rows = []
    for status, steps in PATHS.items():
        previous, days = "", 0
        for n, (to, actor, after) in enumerate(steps):
            days += after
            rows.append((status, n, previous, to, actor, days, reason if to == "returned" else empty))
            previous = to
    cursor.execute("CREATE TEMP TABLE scale_path (status text, step int, from_status text, to_status text, "
                   "actor text, days int, note bytea)")
    cursor.executemany("INSERT INTO scale_path VALUES (%s, %s, %s, %s, %s, %s, %s)", rows)
    cursor.execute("CREATE TEMP TABLE scale_staff (department_id bigint PRIMARY KEY, clerk int, approver int)")
    cursor.executemany("INSERT INTO scale_staff VALUES (%s, %s, %s)", [(d, c, a) for d, (c, a) in staff.items()])
    cursor.execute("ANALYZE scale_procedure; ANALYZE scale_slot; ANALYZE scale_mix; ANALYZE scale_path; ANALYZE scale_staff")


def _pick(cumulative: list[tuple], k: int):
    """The entry of a cumulative distribution that slot k of SLOTS falls in."""
    return next(value for value, upto in cumulative if (k + 0.5) / SLOTS <= upto)


def _sizes(cursor) -> dict:
    cursor.execute("""
        SELECT c.relname, c.reltuples::bigint, pg_table_size(c.oid), pg_indexes_size(c.oid)
        FROM pg_class c WHERE c.relname = ANY(%s)""", [list(TABLES) + ["identity_residentaccount",
                                                                          "register_resident"]])
    tables = {name: {"rows": rows, "table_bytes": t, "index_bytes": i} for name, rows, t, i in cursor.fetchall()}
    for name in tables:  # exact counts (reltuples is ANALYZE's estimate)
        cursor.execute(f"SELECT count(*) FROM {name}")
        tables[name]["rows"] = cursor.fetchone()[0]
    cursor.execute("SELECT pg_database_size(current_database())")
    return {"tables": tables, "database_bytes": cursor.fetchone()[0]}


def _gb(n: int) -> str:
    return f"{n / 1e9:.1f} GB" if n >= 1e8 else f"{n / 1e6:.0f} MB"


def generate(args) -> dict:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    from madoguchi.core.models import Municipality
    from madoguchi.identity.models import ResidentAccount
    from madoguchi.register.models import Resident
    from madoguchi.register.seeding import generate_register

    timings: dict = {}
    clock = time.perf_counter()
    with open(os.devnull, "w") as quiet:
        call_command("migrate", "--noinput", verbosity=0, stdout=quiet)
        call_command("load_demo", stdout=quiet)
    city = Municipality.objects.get(slug="demo")
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [STATE])
        loading = cursor.fetchone()[0]
        cursor.execute("SELECT count(*), coalesce(max(id), 0) FROM applications_submission")
        count, last = cursor.fetchone()
    if count and not loading:
        if args.if_empty:
            log(f"{count:,} cases are already there (--if-empty): nothing to do")
            with connection.cursor() as cursor:
                return {"skipped": True, "cases": count, **_sizes(cursor)}
        raise SystemExit(f"{args.database} already has {count:,} cases; --fresh starts over, "
                         "--if-empty leaves them")
    timings["setup"] = round(time.perf_counter() - clock, 1)

    residents = max(1000, min(200_000, args.cases // 50))
    if not Resident.objects.filter(municipality=city).exists():
        started = time.perf_counter()
        generate_register(city, residents, 12)
        timings["register"] = round(time.perf_counter() - started, 1)
        log(f"register: {residents:,} residents in {timings['register']} s")
    accounts = max(1000, args.cases // 20)
    have = ResidentAccount.objects.filter(municipality=city, email__startswith="scale-").count()
    if have < accounts:
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute("""
                INSERT INTO identity_residentaccount (municipality_id, email, created_at, last_login_at,
                                                      language, text_size, contrast)
                SELECT %s, 'scale-' || n || '@example.jp', now() - make_interval(days => n %% 3650), NULL,
                       '', '', ''
                FROM generate_series(%s, %s) AS n""", [city.pk, have + 1, accounts])
        timings["accounts"] = round(time.perf_counter() - started, 1)
        log(f"accounts: {accounts:,} in {timings['accounts']} s")
    _state.update(city=city.pk, accounts=accounts,
                  residents=Resident.objects.filter(municipality=city).count())
    with connection.cursor() as cursor:
        # The chunks draw applicants as low id + a random offset: both ranges must be gapless.
        cursor.execute("SELECT min(id), max(id), count(*) FROM identity_residentaccount "
                       "WHERE municipality_id = %s AND email LIKE %s", [city.pk, "scale-%"])
        low, high, total = cursor.fetchone()
        if high - low + 1 != total or total != accounts:
            raise SystemExit("the resident accounts are not one gapless range: use --fresh")
        _state["account_low"] = low
        cursor.execute("SELECT min(id), max(id) FROM register_resident WHERE municipality_id = %s", [city.pk])
        low, high = cursor.fetchone()
        if high - low + 1 != _state["residents"]:
            raise SystemExit("the register's ids are not one gapless range: use --fresh")
        _state["resident_low"] = low

    procedures = _procedures(city)
    staff = _staff(city)
    log(f"{len(procedures)} procedures with a form over {len(staff)} departments; answers encrypted once each")
    # The ten years end at a fixed point of the first run, kept in the state table on resume.
    end = datetime.now(UTC).replace(microsecond=0)
    start = end.replace(year=end.year - YEARS)
    span = (end - start).total_seconds()

    with connection.cursor() as cursor:
        if not loading:
            with transaction.atomic():
                _begin_load(cursor)
                cursor.execute(f"INSERT INTO {STATE} VALUES ('start', '', %s, %s)", [start.isoformat(), str(args.cases)])
        cursor.execute(f"SELECT name, definition FROM {STATE} WHERE kind = 'start'")
        first, target = cursor.fetchone()
        start, n = datetime.fromisoformat(first), int(target)
        if n != args.cases:
            log(f"resuming a run of {n:,} cases (not --cases {args.cases:,})")
        _receipt_function(cursor)
        _reference_tables(cursor, city, procedures, staff)
        cursor.execute("SET session_replication_role = replica")  # no FK triggers: references are made valid
        cursor.execute("SET work_mem = '256MB'")
        started = time.perf_counter()
        done = last
        if last:
            log(f"resuming after case {last:,}")
        while done < n:
            hi = min(n, done + args.chunk)
            chunk_started = time.perf_counter()
            with transaction.atomic():
                _load_chunk(cursor, done + 1, hi, n, start, span)
            done = hi
            elapsed = time.perf_counter() - started
            rate = (done - last) / elapsed
            log(f"{done:,}/{n:,} cases ({time.perf_counter() - chunk_started:.0f} s this chunk, "
                f"{rate:,.0f} cases/s, about {(n - done) / rate / 60:.0f} min to go)")
        timings["rows"] = round(time.perf_counter() - started, 1)
        cursor.execute("SET session_replication_role = origin")

        started = time.perf_counter()
        _end_load(cursor, timings)
        timings["index_build"] = round(time.perf_counter() - started, 1)
        for table in TABLES:
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                           f"(SELECT coalesce(max(id), 1) FROM {table}))")
        # VACUUM sets the visibility map as autovacuum would have on a city's ten-year-old
        # tables: without it index-only scans visit the heap and the planner avoids them.
        started = time.perf_counter()
        for table in TABLES:
            cursor.execute(f"VACUUM (ANALYZE) {table}")
        cursor.execute("ANALYZE")
        timings["analyze"] = round(time.perf_counter() - started, 1)
        cursor.execute("SELECT status, count(*) FROM applications_submission GROUP BY 1 ORDER BY 2 DESC")
        statuses = dict(cursor.fetchall())
        cursor.execute("SELECT channel, count(*) FROM applications_submission GROUP BY 1")
        channels = dict(cursor.fetchall())
        sizes = _sizes(cursor)
    timings["total"] = round(time.perf_counter() - clock, 1)
    cases = sum(statuses.values())
    events = sizes["tables"]["applications_submissionevent"]["rows"]
    log(f"{cases:,} cases, {events:,} events; statuses {statuses}; channels {channels}")
    for name, size in sorted(sizes["tables"].items()):
        log(f"{name}: {size['rows']:,} rows, table {_gb(size['table_bytes'])}, indexes {_gb(size['index_bytes'])}")
    log(f"database {_gb(sizes['database_bytes'])}; times {timings}")
    return {"cases": cases, "statuses": statuses, "channels": channels, "procedures": len(procedures),
            "departments": len(staff), "timings": timings, **sizes, "resumed": bool(last)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=10_000_000)
    parser.add_argument("--database", default="madoguchi_scale")
    parser.add_argument("--chunk", type=int, default=250_000, help="cases a transaction")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--fresh", action="store_true", help="drop and re-create the database first")
    group.add_argument("--if-empty", action="store_true", help="do nothing if the cases are there")
    args = parser.parse_args()
    for tool in ("dropdb", "createdb", "psql"):
        if shutil.which(tool) is None:
            sys.exit(f"`{tool}` is not installed (PostgreSQL client tools are needed)")
    if args.fresh:
        subprocess.run(["dropdb", *PG, "--if-exists", "--force", args.database], check=True)
    exists = subprocess.run(["psql", *PG, "-tAc", f"SELECT 1 FROM pg_database WHERE datname = '{args.database}'"],
                            capture_output=True, text=True, check=True).stdout.strip() == "1"
    if not exists:
        subprocess.run(["createdb", *PG, args.database], check=True)
    os.environ["DJANGO_SETTINGS_MODULE"] = "madoguchi.settings"
    os.environ["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{args.database}"
    os.environ.setdefault("MADOGUCHI_VAR_DIR", str(ROOT / "var" / "scale"))
    os.environ["MADOGUCHI_LOG_LEVEL"] = "WARNING"
    Path(os.environ["MADOGUCHI_VAR_DIR"]).mkdir(parents=True, exist_ok=True)
    began = datetime.now(UTC)
    load = hardware.loadavg()
    result = generate(args)
    if result.get("skipped"):
        return
    result.update(database=args.database, began=began.isoformat(timespec="seconds"),
                  ended=datetime.now(UTC).isoformat(timespec="seconds"), load_before=load,
                  load_after=hardware.loadavg(), command=" ".join([".venv/bin/python bench/scale_generate.py",
                                                                   *sys.argv[1:]]),
                  machine=hardware.machine())
    RECORD.parent.mkdir(parents=True, exist_ok=True)
    RECORD.write_text(json.dumps(result, indent=1, default=str))
    log(f"recorded in {RECORD}")


if __name__ == "__main__":
    main()
