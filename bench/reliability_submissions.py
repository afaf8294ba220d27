"""Submissions under `kill -9`: does a receipt a client holds always have its row, and does a
retry ever make a second submission?

    python bench/reliability_submissions.py [--submissions 500] [--kills 8] [--threads 4]

gunicorn (2 sync workers) on a loopback port against a PostgreSQL database of its own
(`madoguchi_reliability_submissions`, dropped and re-created, migrated, the demo city loaded),
20 resident API tokens. `--threads` clients send `--submissions` `POST /api/submissions`, each
with its own Idempotency-Key; a gunicorn worker is killed with SIGKILL every
submissions/(kills+1) answers (the master starts a new one). A request that got no answer (the
connection reset) or a 5xx is sent again with the same key and body, up to 30 times.

Counted against the database: lost = a 201/200 whose submission row is missing; duplicated =
more than one row for one client key; also rows no client holds a receipt for. Writes its
section of docs/reliability.md.
"""

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from reliability_common import (  # noqa: E402
    Gunicorn,
    base_env,
    burst,
    command_line,
    count_rows,
    header,
    log,
    postgres_database,
    prepare_city,
    write,
)

BEGIN, END = "<!-- reliability_submissions:begin -->", "<!-- reliability_submissions:end -->"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--submissions", type=int, default=500)
    parser.add_argument("--kills", type=int, default=8)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--database", default="madoguchi_reliability_submissions")
    args = parser.parse_args()
    intro = header(command_line("reliability_submissions.py", parser, args))
    with tempfile.TemporaryDirectory(prefix="madoguchi-reliability-") as tmp:
        workdir = Path(tmp)
        # Mail is not what this run measures (bench/reliability_outbox.py does): queue only.
        env = base_env(postgres_database(args.database), workdir, MADOGUCHI_OUTBOX_MODE="worker")
        log("migrating and loading the demo city")
        tokens = prepare_city(env, 20)
        server = Gunicorn(env, workers=2, logfile=workdir / "gunicorn.log")
        log(f"{args.submissions} submissions from {args.threads} clients, {args.kills} worker kills")
        try:
            result = burst(server, tokens, args.submissions, args.kills, threads=args.threads)
        finally:
            server.stop()
        counts = count_rows(result["keys"], tokens, result["receipts"])
        log(f"burst: {result['statuses']}, {result['retries']} retries, {result['kills']} kills, "
            f"{result['seconds']} s; {counts}")
        from django.db import connections

        connections.close_all()
    statuses = ", ".join(f"{status}: {n}" for status, n in sorted(result["statuses"].items()))
    body = "\n".join([
        intro, "",
        "| submissions | `kill -9` of a gunicorn worker | requests sent again (no answer) | "
        "receipts held | rows | lost | duplicated | rows without a receipt | time |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        f"| {args.submissions} | {result['kills']} | {result['retries']} | {counts['receipts']} | "
        f"{counts['rows']} | {counts['lost']} | {counts['duplicated']} | "
        f"{counts['rows_without_receipt']} | {result['seconds']} s |",
        "",
        f"Answers by status: {statuses}. {args.threads} client threads, gunicorn 2 sync workers, "
        f"PostgreSQL on 127.0.0.1. Measured {time.strftime('%Y-%m-%d', time.gmtime())}.",
    ])
    write(BEGIN, END, body)
    log("wrote docs/reliability.md")


if __name__ == "__main__":
    main()
