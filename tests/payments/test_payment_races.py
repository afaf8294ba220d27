"""Races on PostgreSQL, with real threads and connections: the webhook, the return page and
the job settle one payment at the same moment, and a double click starts one payment. The
locks in services.py (the charge, then the attempt; the charge for a new attempt) must make
each happen once. (SQLite serialises whole writes, so the race only exists on PostgreSQL.)"""
# ruff: noqa: F811 - the shared fixtures are imported by name

import json
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from payment_support import awaiting_submission, stripe_city, stripe_server  # noqa: F401

from madoguchi.applications.models import Status
from madoguchi.core.actors import Actor
from madoguchi.core.models import AuditEvent
from madoguchi.notify.models import OutboxMessage
from madoguchi.payments import services
from madoguchi.payments.models import Attempt, AttemptState, Charge, ProviderEvent

from support import at_once

postgresql_only = pytest.mark.skipif(connection.vendor != "postgresql",
                                     reason="a row-lock race: run with DATABASE_URL=postgres://…")
pytestmark = [pytest.mark.django_db(transaction=True), postgresql_only]


def _together(*calls):
    """Run each call in its own thread and connection, all released at once; none may fail."""
    errors = [o for o in at_once(*calls) if isinstance(o, Exception)]
    assert not errors, errors


def test_webhook_return_and_job_settle_one_payment_once(stripe_city, resident, stripe_server):
    submission = awaiting_submission(resident)
    actor = Actor.resident(resident.pk)
    attempt = services.start_attempt(services.charge_for(submission), "stripe", "card", actor)
    stripe_server.state.complete(attempt.provider_ref)
    event = stripe_server.state.events[-1]
    twin = {**event, "id": event["id"] + "_resent"}  # Stripe may send an event again under a new id
    bodies = [json.dumps(e).encode() for e in (event, event, twin)]

    def webhook(body):
        return lambda: services.handle_webhook("stripe", body, {"Stripe-Signature": stripe_server.state.sign(body)})

    def back():
        services.handle_return(Attempt.objects.get(pk=attempt.pk), actor)

    def job():
        services.reconcile(now=timezone.now() + timedelta(minutes=5))

    _together(*(webhook(b) for b in bodies), back, back, job, job)

    charge = Charge.objects.get(submission=submission)
    assert charge.status == Charge.Status.PAID and charge.paid_attempt_id == attempt.pk
    assert Attempt.objects.get(pk=attempt.pk).state == AttemptState.SUCCEEDED
    submission.refresh_from_db()
    assert submission.status == Status.SUBMITTED
    assert submission.events.filter(from_status=Status.AWAITING_PAYMENT).count() == 1
    assert AuditEvent.objects.filter(action="payment_succeeded").count() == 1
    assert OutboxMessage.objects.filter(dedupe_key=f"paid:{charge.pk}").count() == 1
    assert ProviderEvent.objects.count() == 2  # the event once, its twin once


def test_a_double_click_starts_one_payment(stripe_city, resident, stripe_server):
    submission = awaiting_submission(resident)
    actor = Actor.resident(resident.pk)
    charge = services.charge_for(submission)
    urls = []
    _together(*[lambda: urls.append(services.start_attempt(charge, "stripe", "card", actor).redirect_url)] * 6)
    assert Attempt.objects.count() == 1
    assert len(set(urls)) == 1 and len(stripe_server.state.sessions) == 1
