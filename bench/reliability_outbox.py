"""Mail after crashes: how many mails are lost or repeated when processes die with `kill -9`.

    python bench/reliability_outbox.py [--mails 1000] [--kills 6] [--requests 300] [--request-kills 16]

1. Workers (PostgreSQL, `MADOGUCHI_OUTBOX_MODE=worker`): `--mails` messages are queued, two
   `madoguchi run_outbox` workers deliver them to a local SMTP server (2 ms a mail), and one
   worker is killed with SIGKILL (and a new one started) `--kills` times during delivery.
2. Inline (PostgreSQL, `MADOGUCHI_OUTBOX_MODE=inline`, the default): `--requests` API
   submissions, each mailing its receipt right after its commit from the gunicorn worker that
   served it, while a gunicorn worker is killed `--request-kills` times; the `run_outbox` loop
   that runs beside the web server in every deployment (and in `make run`) retries the rest.

Counted by Message-ID at the SMTP server against the outbox rows: lost (a row whose mail never
arrived) and repeated (deliveries beyond the first). The claim lease is 5 s here (120 s by
default) so that the run ends soon after the last kill. Writes its section of
docs/reliability.md. Database: `madoguchi_reliability_outbox` (dropped and re-created).
"""

import argparse
import os
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from reliability_common import (  # noqa: E402
    Gunicorn,
    SmtpServer,
    base_env,
    burst,
    command_line,
    count_rows,
    header,
    log,
    outbox_worker,
    postgres_database,
    prepare_city,
    write,
)

BEGIN, END = "<!-- reliability_outbox:begin -->", "<!-- reliability_outbox:end -->"
LEASE = 5


def wait_until(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


def outcome(inbox, rows) -> dict:
    """Lost and repeated mails: `rows` are the outbox rows the run expects delivered."""
    from madoguchi.notify.services import message_id_of

    expected = {message_id_of(row) for row in rows}
    with inbox.lock:
        delivered = dict(inbox.by_id)
    return {"mails": len(expected), "lost": len(expected - set(delivered)),
            "repeated": sum(delivered.get(i, 0) - 1 for i in expected if delivered.get(i, 0) > 1),
            "most": max(delivered.values(), default=0),
            "stray": len(set(delivered) - expected)}


def workers_part(env: dict, workdir: Path, mails: int, kills: int) -> dict:
    from madoguchi.core.models import Municipality
    from madoguchi.notify.models import OutboxMessage, OutboxStatus
    from madoguchi.notify.services import enqueue_email

    city = Municipality.objects.get(slug="demo")
    for n in range(mails):
        enqueue_email(city, f"bench{n}@example.jp", "login_code", {"code": f"{n:06d}", "minutes": 10},
                      dedupe_key=f"reliability-worker:{n}")
    rows = list(OutboxMessage.objects.filter(dedupe_key__startswith="reliability-worker:"))
    with SmtpServer(delay=0.002) as smtp:
        env = {**env, "MADOGUCHI_SMTP_PORT": str(smtp.port)}
        logfile = workdir / "workers.log"
        workers = [outbox_worker(env, logfile), outbox_worker(env, logfile)]
        started = time.monotonic()
        done = 0
        try:
            step = mails // (kills + 1)
            for k in range(1, kills + 1):
                if not wait_until(lambda k=k: smtp.inbox.deliveries() >= k * step, 300):
                    break
                victim = workers.pop(random.randrange(len(workers)))
                victim.kill9()
                victim.stop()
                done += 1
                workers.append(outbox_worker(env, logfile))
            pending = OutboxMessage.objects.filter(dedupe_key__startswith="reliability-worker:")
            wait_until(lambda: not pending.exclude(status=OutboxStatus.SENT).exists(), 300)
            seconds = time.monotonic() - started
        finally:
            for worker in workers:
                worker.stop()
        result = outcome(smtp.inbox, rows)
    return {**result, "kills": done, "seconds": round(seconds, 1)}


def inline_part(env: dict, workdir: Path, tokens: list[str], requests: int, kills: int) -> dict:
    from madoguchi.applications.models import Submission
    from madoguchi.notify.models import OutboxMessage, OutboxStatus

    with SmtpServer() as smtp:
        env = {**env, "MADOGUCHI_SMTP_PORT": str(smtp.port), "MADOGUCHI_OUTBOX_MODE": "inline"}
        sweeper = outbox_worker(env, workdir / "sweeper.log")
        server = Gunicorn(env, workers=2, logfile=workdir / "gunicorn.log")
        try:
            burst_result = burst(server, tokens, requests, kills)
            mails = OutboxMessage.objects.filter(dedupe_key__startswith="submitted:")
            wait_until(lambda: not mails.exclude(status=OutboxStatus.SENT).exists(), 300)
        finally:
            server.stop()
            sweeper.stop()
        rows = list(OutboxMessage.objects.filter(
            dedupe_key__in=[f"submitted:{pk}" for pk in Submission.objects.values_list("pk", flat=True)]))
        submissions = count_rows(burst_result["keys"], tokens, burst_result["receipts"])
        result = outcome(smtp.inbox, rows)
    return {**result, "kills": burst_result["kills"], "seconds": burst_result["seconds"],
            "submissions": submissions, "statuses": burst_result["statuses"],
            "retries": burst_result["retries"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mails", type=int, default=1000)
    parser.add_argument("--kills", type=int, default=6)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--request-kills", type=int, default=16)
    parser.add_argument("--database", default="madoguchi_reliability_outbox")
    args = parser.parse_args()
    intro = header(command_line("reliability_outbox.py", parser, args))
    with tempfile.TemporaryDirectory(prefix="madoguchi-reliability-") as tmp:
        workdir = Path(tmp)
        env = base_env(postgres_database(args.database), workdir, MADOGUCHI_OUTBOX_MODE="worker",
                       MADOGUCHI_OUTBOX_LEASE_SECONDS=LEASE, MADOGUCHI_SMTP_HOST="127.0.0.1",
                       MADOGUCHI_EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend")
        log("migrating and loading the demo city")
        tokens = prepare_city(env, 20)
        log(f"workers: {args.mails} mails, {args.kills} kills")
        workers = workers_part(env, workdir, args.mails, args.kills)
        log(f"workers: {workers}")
        log(f"inline: {args.requests} submissions, {args.request_kills} gunicorn worker kills")
        inline = inline_part(env, workdir, tokens, args.requests, args.request_kills)
        log(f"inline: {inline}")
        from django.db import connections

        connections.close_all()
    rows = [
        "| run | mails | `kill -9` | lost | repeated | most deliveries of one mail | time |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
        f"| 2 `run_outbox` workers, one killed and restarted each time | {workers['mails']} | "
        f"{workers['kills']} | {workers['lost']} | {workers['repeated']} | {workers['most']} | "
        f"{workers['seconds']} s |",
        f"| inline (gunicorn, 2 workers) + the `run_outbox` loop; gunicorn workers killed | "
        f"{inline['mails']} | {inline['kills']} | {inline['lost']} | {inline['repeated']} | "
        f"{inline['most']} | {inline['seconds']} s |",
    ]
    subs = inline["submissions"]
    body = "\n".join([
        intro, "", *rows, "",
        f"The inline run's {args.requests} submissions: {subs['rows']} rows, {subs['receipts']} "
        f"receipts held by the clients, {subs['lost']} lost, {subs['duplicated']} duplicated "
        f"({inline['retries']} requests sent again after no answer; answers "
        f"{', '.join(f'{k}: {v}' for k, v in sorted(inline['statuses'].items()))}). "
        f"Lease {LEASE} s (default 120 s); SMTP on 127.0.0.1. Measured {time.strftime('%Y-%m-%d', time.gmtime())}.",
    ])
    write(BEGIN, END, body)
    log(f"wrote {os.path.relpath(Path(__file__).resolve().parent.parent / 'docs' / 'reliability.md')}")


if __name__ == "__main__":
    main()
