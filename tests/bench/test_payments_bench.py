"""bench/payments.py's building blocks at tiny sizes, so a change to the payments app that
breaks the benchmark fails here rather than in `make bench`: the residents it prepares can
submit through the API, the attempts it inserts are ones the job reconciles as designed
against the local Stripe-protocol server, its signed webhooks verify and settle each attempt
once (replays change nothing), and the whole script runs end to end on SQLite."""
# ruff: noqa: F811 - the shared fixtures are imported by name

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("bench_payments", ROOT / "bench" / "payments.py")
bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench)  # puts tests/payments on sys.path for the imports below

from payment_support import stripe_setting  # noqa: E402
from stripe_server import WEBHOOK_SECRET, LocalStripe  # noqa: E402

from madoguchi.applications.models import Status, Submission  # noqa: E402
from madoguchi.payments.models import Attempt, AttemptState, Charge, ProviderEvent  # noqa: E402


@pytest.mark.django_db
def test_prepared_residents_submit_a_fee_bearing_application_through_the_api(client, city):
    prepared = bench.prepare(2)
    resident = prepared["residents"][0]
    assert len(prepared["residents"]) == 2 and resident["session"] and resident["attachment"]
    response = client.post("/api/submissions",
                           json.dumps({"procedure": bench.PROCEDURE, "answers": bench.answers(resident["attachment"])}),
                           content_type="application/json",
                           headers={"Authorization": f"Bearer {resident['token']}", "Idempotency-Key": "k1"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == Status.AWAITING_PAYMENT and body["fee"]["total_yen"] == bench.FEE_YEN
    # the page session it made is a logged-in resident's: the pay page opens with the fee
    client.cookies[prepared["cookie"]] = resident["session"]
    page = client.get(reverse("payments:pay", args=[body["id"]]))
    assert page.status_code == 200
    assert f'data-amount-yen="{bench.FEE_YEN}"' in page.content.decode()


@pytest.mark.django_db
def test_generated_attempts_reconcile_as_designed_against_the_local_server(city):
    generated = bench.generate("reconcile", 100)
    kinds = [a["kind"] for a in generated["attempts"]]
    assert len(kinds) == 100 and {k: kinds.count(k) for k in set(kinds)} == {
        "open": 80, "paid": 8, "expired": 10, "not_due": 2}
    assert Submission.objects.filter(status=Status.AWAITING_PAYMENT).count() == 100
    with LocalStripe() as server:
        bench.load_sessions(server, generated["sessions"])
        stripe_setting(city, server)
        job = bench.reconcile_once()
    assert job["due_before"] == 98 and job["due_left"] == 0
    assert job["provider_calls"] == 98 and job["statements"] > 98
    by_kind = {a["attempt"]: a["kind"] for a in generated["attempts"]}
    for attempt in Attempt.objects.all():
        expected = {"open": AttemptState.PENDING, "paid": AttemptState.SUCCEEDED, "expired": AttemptState.EXPIRED,
                    "not_due": AttemptState.PENDING}[by_kind[str(attempt.public_id)]]
        assert attempt.state == expected
    assert Charge.objects.filter(status=Charge.Status.PAID).count() == 8
    assert Submission.objects.filter(status=Status.SUBMITTED).count() == 8


@pytest.mark.django_db
def test_signed_webhooks_settle_each_attempt_once_and_replays_change_nothing(client, city):
    generated = bench.generate("webhook", 10)
    with LocalStripe() as server:
        stripe_setting(city, server)
        feed = bench.WebhookFeed(generated["attempts"], replays=0.3)
        replays = 0
        while (item := feed.next()) is not None:
            payload, replay = item
            replays += replay
            response = client.post(reverse("payments:webhook", args=["stripe"]), data=payload,
                                   content_type="application/json",
                                   HTTP_STRIPE_SIGNATURE=bench.sign(payload, WEBHOOK_SECRET))
            assert response.status_code == 200
        forged = client.post(reverse("payments:webhook", args=["stripe"]), data=feed.sent[0],
                             content_type="application/json",
                             HTTP_STRIPE_SIGNATURE=bench.sign(feed.sent[0], "whsec_wrong"))
    assert forged.status_code == 400
    assert replays > 0 and len(feed.sent) == 10
    assert bench.check_webhooks() == {"paid_charges": 10, "succeeded": 10, "duplicates": 0, "events": 10}
    assert ProviderEvent.objects.filter(processed_at__isnull=False).count() == 10


def test_the_whole_benchmark_runs_on_sqlite_at_a_tiny_size(tmp_path):
    doc = tmp_path / "benchmarks.md"
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(BENCH_BACKENDS="sqlite", BENCH_OUT=str(doc), BENCH_PAYMENTS_ATTEMPTS="200",
               BENCH_PAYMENTS_PROFILE_ATTEMPTS="100", BENCH_PAYMENTS_SECONDS="1", BENCH_TRIVIAL_SECONDS="1",
               BENCH_PAYMENTS_WEBHOOK_SECONDS="1", BENCH_PAYMENTS_CLIENTS="2", BENCH_WORKERS="2")
    result = subprocess.run([sys.executable, "bench/payments.py"], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    text = doc.read_text()
    assert text.count(bench.BEGIN) == 1 and text.count(bench.END) == 1
    assert "### SQLite" in text and "### PostgreSQL" not in text
    assert text.count("Failed: none") == 1 and "failed: none" in text  # journeys; webhooks
    assert "(each paid once)" in text and "MISMATCH" not in text
    assert "left due and unasked after the pass: **0**" in text
    assert "`/api/health` alone" in text and "load average before" in text
