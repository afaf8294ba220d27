"""Idempotency keys belong to the account: two accounts racing with the same key each get their
own submission, never the other's id, receipt number or status token. The same account, key and
answers return the first submission; the same key with other answers is a 409.

On PostgreSQL the requests race in threads (each its own connection); SQLite has one writer, so
there the same requests run one after the other and prove the scoping, not the race.
"""

import threading
import uuid

import pytest
from django.db import connection
from django.test import Client

from madoguchi.applications.models import Submission
from madoguchi.catalog.loader import catalog
from madoguchi.identity.emailcode import issue_api_token
from madoguchi.identity.models import ResidentAccount

from support import api_answers

CODE = "dog-registration-change"
ROUNDS = 6


def send(token: str, key: str, answers: dict):
    return Client().post("/api/submissions", {"procedure": CODE, "answers": answers},
                         content_type="application/json",
                         headers={"Authorization": f"Bearer {token}", "Idempotency-Key": key})


def race(*calls):
    """Run the calls at the same moment on PostgreSQL (threads released by one barrier), one
    after the other on SQLite; return their responses in order."""
    if connection.vendor != "postgresql":
        return [call() for call in calls]
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait(timeout=30)
            results[index] = call()
        except Exception as exc:  # reported below, with the thread's error
            results[index] = exc
        finally:
            connection.close()  # the thread's own connection, so the test database can go

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    for result in results:
        assert not isinstance(result, BaseException), repr(result)
    return results


@pytest.fixture
def parties(audit_log_flushable, city):
    one = ResidentAccount.objects.create(municipality=city, email="one@example.jp")
    two = ResidentAccount.objects.create(municipality=city, email="two@example.jp")
    return [(one, issue_api_token(city, account=one)), (two, issue_api_token(city, account=two))]


@pytest.fixture
def answers():
    return api_answers(catalog()[CODE].current_form)


@pytest.mark.django_db(transaction=True)
def test_two_accounts_racing_with_one_key_each_get_their_own(parties, answers):
    (one, one_token), (two, two_token) = parties
    for _ in range(ROUNDS):
        key = uuid.uuid4().hex
        first, second = race(lambda k=key: send(one_token, k, answers),
                             lambda k=key: send(two_token, k, answers))
        assert (first.status_code, second.status_code) == (201, 201), (first.content, second.content)
        a, b = first.json(), second.json()
        assert a["id"] != b["id"]
        assert a["receipt_number"] != b["receipt_number"]
        assert a["status_token"] != b["status_token"]
        assert Submission.objects.get(public_id=a["id"]).account_id == one.pk
        assert Submission.objects.get(public_id=b["id"]).account_id == two.pk
    assert Submission.objects.filter(account=one).count() == ROUNDS
    assert Submission.objects.filter(account=two).count() == ROUNDS


@pytest.mark.django_db(transaction=True)
def test_one_account_racing_with_one_key_gets_one_submission(parties, answers):
    (one, token), _ = parties
    for _ in range(ROUNDS):
        key = uuid.uuid4().hex
        responses = race(lambda k=key: send(token, k, answers),
                         lambda k=key: send(token, k, answers))
        assert sorted(r.status_code for r in responses) == [200, 201]
        assert len({r.json()["id"] for r in responses}) == 1
        assert len({r.json()["status_token"] for r in responses}) == 1
    assert Submission.objects.filter(account=one).count() == ROUNDS


@pytest.mark.django_db
def test_the_same_key_with_other_answers_is_a_409(parties, answers):
    (one, token), _ = parties
    first = send(token, "order-7", answers)
    assert first.status_code == 201
    assert send(token, "order-7", answers).json()["id"] == first.json()["id"]
    changed = {**answers, "dog_name": "タロウ"}
    response = send(token, "order-7", changed)
    assert response.status_code == 409
    assert "Idempotency-Key" in response.json()["detail"]["errors"]
    assert Submission.objects.filter(account=one).count() == 1


@pytest.mark.django_db
def test_the_stored_key_fits_and_does_not_hold_the_clients(parties, answers):
    (one, token), _ = parties
    key = "k" * 64
    assert send(token, key, answers).status_code == 201
    stored = Submission.objects.get(account=one).idempotency_key
    assert len(stored) <= 64 and key not in stored and stored.startswith(f"api:{one.pk}:")
