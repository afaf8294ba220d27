"""bench/scale_generate.py on a small run: the cases it makes are ones the product could have
made (a status reached by the workflow's own transitions, a valid 受付番号, applicants and
staff that exist), every case decrypts, the schema after the load is the migrated one, and a
run that was killed is finished by running it again.

It runs the script as `make bench-scale` does, on its own PostgreSQL database (dropped after).
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from django.db.models import UniqueConstraint

from madoguchi.applications.models import Submission, SubmissionEvent, SubmissionVersion
from madoguchi.applications.receipts import normalize_receipt_number
from madoguchi.applications.workflow import TRANSITIONS

ROOT = Path(__file__).resolve().parents[2]
DATABASE = "madoguchi_scale_generate_test"
PG = ["-h", "127.0.0.1", "-p", "5432", "-U", "postgres"]
CASES = 3000


def _env(record: Path) -> dict:
    env = {**os.environ, "BENCH_SCALE_RECORD": str(record), "MADOGUCHI_VAR_DIR": str(record.parent)}
    env.pop("DATABASE_URL", None)
    return env


def _command(*args: str) -> list[str]:
    return [sys.executable, "bench/scale_generate.py", "--database", DATABASE, *args]


def _generate(*args: str, record: Path) -> subprocess.CompletedProcess:
    return subprocess.run(_command(*args), cwd=ROOT, env=_env(record), capture_output=True, text=True,
                          timeout=600)


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    record = tmp_path_factory.mktemp("scale") / "record.json"
    # The first run is killed once its first chunk has committed; the same command again
    # must pick up after it and finish the load (indexes back, state table gone).
    first = subprocess.Popen(_command("--cases", str(CASES), "--chunk", "500", "--fresh"), cwd=ROOT,
                             env=_env(record), stderr=subprocess.PIPE, text=True)
    for line in first.stderr:
        if f"500/{CASES:,} cases" in line:
            first.kill()
            break
    first.wait(timeout=600)
    assert first.returncode != 0, "the first run ended before it could be interrupted"
    second = _generate("--cases", str(CASES), "--chunk", "500", record=record)
    assert second.returncode == 0, second.stderr[-3000:]
    assert "resuming after case" in second.stderr
    connection = psycopg.connect(f"postgresql://postgres@127.0.0.1:5432/{DATABASE}", autocommit=True)
    yield connection, record, second
    connection.close()
    subprocess.run(["dropdb", *PG, "--if-exists", "--force", DATABASE], check=False)


def test_every_case_has_its_workflow_timeline_and_one_version(generated):
    db, _, _ = generated
    assert db.execute("SELECT count(*) FROM applications_submission").fetchone()[0] == CASES
    legal = {(str(a), str(b)) for a, b in TRANSITIONS} | {("", "submitted")}
    timelines: dict[int, list[tuple[str, str]]] = {}
    for case, frm, to in db.execute("SELECT submission_id, from_status, to_status "
                                    "FROM applications_submissionevent ORDER BY submission_id, at, id"):
        timelines.setdefault(case, []).append((frm, to))
    statuses = dict(db.execute("SELECT id, status FROM applications_submission"))
    assert set(timelines) == set(statuses)
    for case, steps in timelines.items():
        assert steps[0] == ("", "submitted")
        assert all(step in legal for step in steps), (case, steps)
        assert all(a[1] == b[0] for a, b in zip(steps, steps[1:], strict=False)), (case, steps)
        assert steps[-1][1] == statuses[case]
    versions = dict(db.execute("SELECT submission_id, count(*) FROM applications_submissionversion GROUP BY 1"))
    assert versions == {case: 1 for case in statuses}
    closed = db.execute("SELECT count(*) FROM applications_submission "
                        "WHERE status IN ('approved', 'rejected', 'withdrawn')").fetchone()[0]
    assert closed > CASES * 0.8
    assert {"online", "counter"} == {r[0] for r in db.execute("SELECT DISTINCT channel FROM applications_submission")}


def test_receipts_are_valid_and_references_exist(generated):
    db, _, _ = generated
    receipts = [r[0] for r in db.execute("SELECT receipt_number FROM applications_submission")]
    assert all(normalize_receipt_number(r) == r for r in receipts)
    dangling = db.execute("""
        SELECT count(*) FROM applications_submission s
        LEFT JOIN identity_residentaccount a ON a.id = s.account_id
        LEFT JOIN register_resident r ON r.id = s.resident_id
        LEFT JOIN core_department d ON d.id = s.department_id
        WHERE d.id IS NULL OR (s.account_id IS NOT NULL AND a.id IS NULL)
           OR (s.resident_id IS NOT NULL AND r.id IS NULL)
           OR (s.channel = 'counter') <> (s.resident_id IS NOT NULL)""").fetchone()[0]
    assert dangling == 0
    staff = db.execute("""
        SELECT count(*) FROM applications_submissionevent e
        WHERE e.actor_kind = 'staff' AND NOT EXISTS (
            SELECT 1 FROM auth_user u WHERE 'staff:' || u.id = e.actor_ref)""").fetchone()[0]
    assert staff == 0


def test_the_schema_is_the_migrated_one_and_sequences_are_past_the_ids(generated):
    db, _, _ = generated
    assert db.execute("SELECT to_regclass('scale_generate_state')").fetchone()[0] is None
    # The script compares the whole index list with the migrated one itself; here, every index
    # and unique constraint the models declare for the three reloaded tables is there.
    for model in (Submission, SubmissionEvent, SubmissionVersion):
        names = {r[0] for r in db.execute("SELECT indexname FROM pg_indexes WHERE tablename = %s",
                                          [model._meta.db_table])}
        declared = {i.name for i in model._meta.indexes} | {c.name for c in model._meta.constraints
                                                            if isinstance(c, UniqueConstraint)}
        assert declared <= names, model
        assert len(names) > 1, model
    # The next case the product stores gets a fresh id (the sequence was moved past the load).
    db.execute("SELECT nextval(pg_get_serial_sequence('applications_submission', 'id'))")
    assert db.execute("SELECT currval(pg_get_serial_sequence('applications_submission', 'id'))").fetchone()[0] > CASES


def test_answers_and_notes_decrypt_with_the_key_ring(generated):
    """Read back through the product's own models, on the generated database: the tokens name the
    city's data key, which lives there (wrapped), not in this test's database."""
    _, record, _ = generated
    read = (
        "import django, json\n"
        "django.setup()\n"
        "from madoguchi.applications.models import SubmissionEvent, SubmissionVersion\n"
        "from madoguchi.applications.services import answers_of\n"
        "answers = answers_of(SubmissionVersion.objects.order_by('pk').first())\n"
        "notes = sorted({event.note for event in SubmissionEvent.objects.all()})\n"
        "print(json.dumps({'answers': len(answers), 'notes': notes}, ensure_ascii=False))\n"
    )
    env = {**_env(record), "DJANGO_SETTINGS_MODULE": "madoguchi.settings",
           "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{DATABASE}"}
    done = subprocess.run([sys.executable, "-c", read], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["answers"] > 0
    assert "" in found["notes"] and len(found["notes"]) > 1  # empty notes and the 差戻し reason


def test_if_empty_leaves_a_filled_database_alone(generated):
    db, record, _ = generated
    before = db.execute("SELECT max(id) FROM applications_submission").fetchone()[0]
    again = _generate("--cases", str(CASES), "--if-empty", record=record)
    assert again.returncode == 0, again.stderr[-2000:]
    assert db.execute("SELECT max(id) FROM applications_submission").fetchone()[0] == before
    refused = _generate("--cases", str(CASES), record=record)
    assert refused.returncode != 0
