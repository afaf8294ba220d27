"""Races on PostgreSQL, with real threads and connections: the clerk's double submit of the
fee, and two refunds asked at once that together exceed the payment. (SQLite serialises whole
writes, so these races only exist on PostgreSQL.)"""


import pytest
import test_counter_fees as shared
from django.db import connection

from madoguchi.core.actors import Actor
from madoguchi.counter import fees
from madoguchi.payments import services
from madoguchi.payments.models import Attempt, Charge, ProviderSetting, Refund

from support import at_once

postgresql_only = pytest.mark.skipif(connection.vendor != "postgresql",
                                     reason="a row-lock race: run with DATABASE_URL=postgres://…")
pytestmark = [pytest.mark.django_db(transaction=True), postgresql_only]
clerk, actor, family, visit = shared.clerk, shared.actor, shared.family, shared.visit


def _together(*calls) -> list:
    return at_once(*calls)


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
