"""Create resident accounts and API tokens for the benchmark, without e-mail.

    python bench/prepare.py OUT.json N

Uses the database of the environment (DATABASE_URL / MADOGUCHI_VAR_DIR), which must be
migrated and have the demo municipality (`madoguchi migrate && madoguchi load_demo`).
Writes {"tokens": [...]} to OUT.json. Also checks that the answers the locustfile submits
are valid for the current form, so a changed form fails here rather than as 422s under load.
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


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], int(sys.argv[2]))
