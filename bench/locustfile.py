"""Locust scenario for `make bench` (bench/run.py starts the server and drives this file).

User classes:

* ResidentUser — one journey per task: the catalogue page, the catalogue API, the API
  detail of a procedure picked from the list, the procedure's HTML page, then
  POST /api/submissions with complete valid answers for dog-registration-change and a fresh
  Idempotency-Key. No think time: residents keep the server saturated.
* SubmitterUser — POST /api/submissions alone, as fast as it is answered, each with a fresh
  Idempotency-Key: what one submission costs the server, without the catalogue around it.
* HealthUser — GET /api/health (the trivial endpoint) as fast as it is answered; run alone
  it measures what the same server does for a request that does nothing.
* HealthProbeUser — GET /api/health at a fixed rate (PROBE_USERS users, PROBE_RATE/s each,
  see scenario.py), run beside the residents so the trivial endpoint is measured under the
  same load at the same moment.

Resident tokens come from the JSON file named by BENCH_TOKENS (written by bench/prepare.py),
so nothing here depends on e-mail. By hand:

    BENCH_TOKENS=/tmp/tokens.json locust -f bench/locustfile.py --host http://127.0.0.1:8000
"""

import itertools
import json
import os
import random
import sys
import uuid
from pathlib import Path

from locust import FastHttpUser, constant, constant_throughput, task

sys.path.insert(0, str(Path(__file__).resolve().parent))

from scenario import ANSWERS, PROBE_RATE, PROBE_USERS, PROCEDURE  # noqa: E402

SUBMISSION_BODY = {"procedure": PROCEDURE, "answers": ANSWERS}


def _tokens() -> list[str]:
    path = os.environ.get("BENCH_TOKENS")
    if not path:
        raise SystemExit("BENCH_TOKENS must name the JSON file written by bench/prepare.py")
    tokens = json.loads(Path(path).read_text())["tokens"]
    if not tokens:
        raise SystemExit(f"{path} holds no tokens")
    return tokens


_token_cycle = None


def next_token() -> str:
    """Each resident takes its own token (round-robin when there are more users than tokens)."""
    global _token_cycle
    if _token_cycle is None:
        _token_cycle = itertools.cycle(_tokens())
    return next(_token_cycle)


class ResidentUser(FastHttpUser):
    wait_time = constant(0)

    def on_start(self):
        self.token = next_token()

    @task
    def browse_then_submit(self):
        self.client.get("/", name="/ (catalogue HTML)")
        with self.client.get("/api/procedures", name="/api/procedures",
                             catch_response=True) as response:
            codes = [p["code"] for p in response.json()] if response.status_code == 200 else []
            if not codes:
                response.failure(f"empty or failed catalogue: {response.status_code}")
                return
        self.client.get(f"/api/procedures/{random.choice(codes)}", name="/api/procedures/{code}")
        self.client.get(f"/procedures/{PROCEDURE}/", name="/procedures/{code}/ (HTML)")
        submit(self.client, self.token)


def submit(client, token: str) -> None:
    """POST /api/submissions with the scenario's answers; anything but a 201 with a receipt
    number is a failure."""
    with client.post(
        "/api/submissions", json=SUBMISSION_BODY, name="/api/submissions",
        headers={"Authorization": f"Bearer {token}", "Idempotency-Key": uuid.uuid4().hex},
        catch_response=True,
    ) as response:
        if response.status_code != 201:
            response.failure(f"{response.status_code}: {(response.text or '')[:200]}")
        elif not response.json().get("receipt_number"):
            response.failure("201 without a receipt number")


class SubmitterUser(FastHttpUser):
    wait_time = constant(0)

    def on_start(self):
        self.token = next_token()

    @task
    def submit_alone(self):
        submit(self.client, self.token)


class HealthUser(FastHttpUser):
    wait_time = constant(0)

    @task
    def health(self):
        self.client.get("/api/health", name="/api/health")


class HealthProbeUser(FastHttpUser):
    fixed_count = PROBE_USERS
    wait_time = constant_throughput(PROBE_RATE)

    @task
    def health(self):
        self.client.get("/api/health", name="/api/health")
