"""Races on PostgreSQL, with real threads and connections: the clerk's double submit of the
fee, and two refunds asked at once that together exceed the payment. (SQLite serialises whole
writes, so these races only exist on PostgreSQL.)"""

import threading

import pytest
import test_counter_fees as shared
from django.db import connection

from madoguchi.core.actors import Actor
from madoguchi.counter import fees
from madoguchi.payments import services
from madoguchi.payments.models import Attempt, Charge, ProviderSetting, Refund

postgresql_only = pytest.mark.skipif(connection.vendor != "postgresql",
                                     reason="a row-lock race: run with DATABASE_URL=postgres://…")
pytestmark = [pytest.mark.django_db(transaction=True), postgresql_only]
clerk, actor, family, visit = shared.clerk, shared.actor, shared.family, shared.visit


def _together(*calls) -> list:
    barrier = threading.Barrier(len(calls))
    results, errors = [], []

    def run(call):
        try:
            barrier.wait(timeout=10)
            results.append(call())
        except Exception as exc:  # noqa: BLE001 - counted by the caller
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(c,)) for c in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results + errors


def test_a_double_submit_of_the_fee_records_once(visit, actor, family, city):
    ProviderSetting.objects.create(municipality=city, provider="counter", enabled=True, methods=["cash"],
                                   issues_receipt=[])
    shared._filed(visit, actor, family)
    outcomes = _together(*(lambda: fees.record_payment(visit, "cash", "300", "", actor) for _ in range(4)))
    assert sorted(len(o) for o in outcomes if isinstance(o, list)) == [0, 0, 0, 1]
    assert Attempt.objects.count() == 1
    assert Charge.objects.get().status == Charge.Status.PAID


def test_refunds_asked_at_once_never_exceed_the_payment(visit, actor, family, city):
    ProviderSetting.objects.create(municipality=city, provider="counter", enabled=True, methods=["cash"],
                                   issues_receipt=[])
    shared._filed(visit, actor, family)
    attempt = fees.record_payment(visit, "cash", "300", "", actor)[0]
    staff = Actor.staff(visit.clerk)
    outcomes = _together(*(lambda: services.request_refund(attempt, 200, "取下げ", staff) for _ in range(3)))
    assert sum(isinstance(o, Refund) for o in outcomes) == 1
    assert all(isinstance(o, (Refund, services.RefundRefused)) for o in outcomes)
    assert sum(r.amount_yen for r in Refund.objects.all()) == 200
