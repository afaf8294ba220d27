"""Create resident accounts and API tokens for the benchmark, without e-mail; count what one
submission asks of the database.

    python bench/prepare.py OUT.json N
    python bench/prepare.py --statements OUT.json TOKEN

Uses the database of the environment (DATABASE_URL / MADOGUCHI_VAR_DIR), which must be
migrated and have the demo municipality (`madoguchi migrate && madoguchi load_demo`).
Writes {"tokens": [...]} to OUT.json. Also checks that the answers the locustfile submits
are valid for the current form, so a changed form fails here rather than as 422s under load.

With --statements: sends the locustfile's submission through Django's whole request path (the
test client, with the server's environment and database) twice, a fresh Idempotency-Key each
time, and records the SQL statements of the second (the first reads the city, as a worker's
first request does) with CaptureQueriesContext, and those of GET /api/health. Writes
{"submission": [sql, ...], "health": [sql, ...]} to OUT.json.
"""

import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from scenario import ANSWERS, MUNICIPALITY, PROCEDURE  # noqa: E402


def main(out: str, count: int) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "madoguchi.settings")
    import django

    django.setup()
    from django.db import transaction

    from madoguchi.applications import engine
    from madoguchi.catalog.selectors import get_procedure
    from madoguchi.core.models import Municipality
    from madoguchi.identity.emailcode import issue_api_token
    from madoguchi.identity.models import ResidentAccount

    city = Municipality.objects.get(slug=MUNICIPALITY)
    procedure = get_procedure(city, PROCEDURE)
    if procedure is None:
        sys.exit(f"prepare: procedure {PROCEDURE} is not offered by {MUNICIPALITY}")
    _, errors = engine.validate_answers(procedure.current_form, dict(ANSWERS))
    if errors:
        sys.exit(f"prepare: bench/scenario.py ANSWERS are refused by the form: {errors}")

    tokens = []
    with transaction.atomic():
        for i in range(count):
            account, _ = ResidentAccount.objects.get_or_create(
                municipality=city, email=f"bench-resident-{i:04d}@example.jp"
            )
            tokens.append(issue_api_token(city, account=account, label="bench", days=1))
    Path(out).write_text(json.dumps({"tokens": tokens}))
    print(f"prepare: {count} resident tokens written to {out}")


def statements(out: str, token: str) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "madoguchi.settings")
    import uuid

    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST="127.0.0.1")
    body = json.dumps({"procedure": PROCEDURE, "answers": ANSWERS})

    def submit():
        response = client.post("/api/submissions", body, content_type="application/json",
                               headers={"Authorization": f"Bearer {token}",
                                        "Idempotency-Key": f"count-{uuid.uuid4().hex}"})
        if response.status_code != 201:
            sys.exit(f"prepare: the counted submission answered {response.status_code}")

    submit()
    with CaptureQueriesContext(connection) as submission:
        submit()
    with CaptureQueriesContext(connection) as health:
        client.get("/api/health")
    Path(out).write_text(json.dumps({"submission": [q["sql"] for q in submission.captured_queries],
                                     "health": [q["sql"] for q in health.captured_queries]}))
    print(f"prepare: a submission made {len(submission)} statements, /api/health {len(health)}")


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--statements":
        statements(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 3:
        main(sys.argv[1], int(sys.argv[2]))
    else:
        sys.exit(__doc__)
