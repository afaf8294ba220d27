"""Never lost, never twice: each wound of online payment has a test here, through the real
`stripe` client against the local Stripe-protocol server (tests/payments/stripe_server.py).

Page reload, double click, the browser closed on the provider's page (the job finds the
payment), a webhook before the return, a webhook that never comes, an expiry and a new attempt,
a success for an abandoned attempt (refunded, never charged twice)."""

# ruff: noqa: F811 - the shared fixtures are imported by name
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from payment_support import awaiting_submission, post_webhook, stripe_city, stripe_server  # noqa: F401

from madoguchi.applications.models import Status
from madoguchi.core.actors import Actor
from madoguchi.core.models import AuditEvent
from madoguchi.notify.models import OutboxMessage
from madoguchi.payments import services
from madoguchi.payments.models import Attempt, AttemptState, Charge, ProviderEvent, Refund
from madoguchi.payments.providers.base import Outcome

pytestmark = pytest.mark.django_db


@pytest.fixture
def submission(stripe_city, resident):
    return awaiting_submission(resident)


@pytest.fixture
def actor(resident):
    return Actor.resident(resident.pk)


def _start(submission, actor, method="card"):
    charge = services.charge_for(submission)
    return services.start_attempt(charge, "stripe", method, actor)


def _paid_once(submission):
    submission.refresh_from_db()
    charge = Charge.objects.get(submission=submission)
    assert charge.status == Charge.Status.PAID
    assert submission.status == Status.SUBMITTED
    assert submission.events.filter(from_status=Status.AWAITING_PAYMENT).count() == 1
    assert OutboxMessage.objects.filter(dedupe_key=f"paid:{charge.pk}").count() == 1
    assert Attempt.objects.filter(charge=charge, state=AttemptState.SUCCEEDED).count() == 1
    return charge


def test_the_charge_is_opened_from_the_fee_stored_at_submit(submission):
    charge = services.charge_for(submission)
    assert (charge.amount_yen, charge.kind, charge.revenue_code) == (710, "at_submit", "14-1-1")
    assert [line["amount_yen"] for line in charge.lines] == [600, 110]
    assert services.charge_for(submission) == charge  # once


def test_card_paid_and_confirmed_on_return(submission, actor, stripe_server):
    attempt = _start(submission, actor)
    assert attempt.state == AttemptState.PENDING
    assert attempt.redirect_url.startswith(stripe_server.url + "/pay/cs_test_")
    session = stripe_server.state.sessions[attempt.provider_ref]
    assert session["amount_total"] == 710 and session["currency"] == "jpy"
    assert session["client_reference_id"] == str(attempt.public_id)
    assert session["payment_method_types"] == ["card"]
    assert set(session["metadata"]) == {"attempt", "charge"}  # ids only
    stripe_server.state.complete(attempt.provider_ref)
    attempt = services.handle_return(attempt)
    assert attempt.state == AttemptState.SUCCEEDED
    _paid_once(submission)
    assert AuditEvent.objects.filter(action="payment_succeeded", target_id=str(attempt.public_id)).exists()


def test_page_reload_and_double_click_reuse_the_live_attempt(submission, actor, stripe_server):
    first = _start(submission, actor)
    again = _start(submission, actor)
    assert again.pk == first.pk and again.redirect_url == first.redirect_url
    assert len(stripe_server.state.sessions) == 1
    assert Attempt.objects.count() == 1


def test_a_retry_after_a_lost_answer_gets_the_same_session(submission, actor, stripe_server):
    """The provider made the session but its answer was lost: the retry carries the same
    idempotency key, so Stripe (here its local stand-in) replays the same session."""
    stripe_server.state.fail_next = [500, 500, 500]  # more than the library's own retries
    with pytest.raises(services.PaymentRefused):
        _start(submission, actor)
    attempt = Attempt.objects.get()
    assert attempt.state == AttemptState.CREATED and attempt.last_error
    retried = _start(submission, actor)
    assert retried.pk == attempt.pk and retried.state == AttemptState.PENDING
    assert len(stripe_server.state.sessions) == 1


def test_the_provider_replays_one_key_and_refuses_it_with_other_parameters(submission, actor, stripe_server):
    from madoguchi.payments.providers import provider_for
    from madoguchi.payments.providers.base import ProviderRefused

    attempt = _start(submission, actor)
    impl = provider_for(services.setting_for(submission.municipality, "stripe"))
    urls = {"return_url": services.return_url(attempt), "cancel_url": services.cancel_url(attempt)}
    again = impl.start(attempt, **urls)  # the answer to the first call was lost: ask again
    assert (again.provider_ref, again.redirect_url) == (attempt.provider_ref, attempt.redirect_url)
    assert len(stripe_server.state.sessions) == 1
    attempt.amount_yen = 999
    with pytest.raises(ProviderRefused):
        impl.start(attempt, **urls)


def test_browser_closed_on_the_providers_page_then_found_by_the_job(submission, actor, stripe_server):
    attempt = _start(submission, actor)
    stripe_server.state.complete(attempt.provider_ref)  # paid; never came back, no webhook
    assert services.reconcile(now=timezone.now()) == {}  # not due yet (first check after 2 min)
    counts = services.reconcile(now=timezone.now() + timedelta(minutes=3))
    assert counts == {"succeeded": 1}
    _paid_once(submission)
    assert services.reconcile(now=timezone.now() + timedelta(hours=3)) == {}  # final: not polled


def test_webhook_before_the_return(client, submission, actor, stripe_server):
    attempt = _start(submission, actor)
    stripe_server.state.complete(attempt.provider_ref)
    event = stripe_server.state.events[-1]
    assert event["type"] == "checkout.session.completed"
    assert post_webhook(client, stripe_server, event).status_code == 200
    attempt.refresh_from_db()
    assert attempt.state == AttemptState.SUCCEEDED
    returned = services.handle_return(attempt)
    assert returned.state == AttemptState.SUCCEEDED
    _paid_once(submission)


def test_webhook_never_comes_konbini_paid_days_later(submission, actor, stripe_server):
    attempt = _start(submission, actor, method="konbini")
    stripe_server.state.complete(attempt.provider_ref)  # slip issued
    attempt = services.handle_return(attempt)
    assert attempt.state == AttemptState.PENDING
    later = timezone.now() + timedelta(minutes=5)  # the return asked once: next in 4 minutes
    assert services.reconcile(now=later) == {"pending": 1}
    attempt.refresh_from_db()
    assert attempt.next_check_at > later  # backed off
    assert attempt.expires_at > timezone.now() + timedelta(days=2)  # the slip's limit, not the session's
    stripe_server.state.pay_konbini(attempt.provider_ref)
    assert services.reconcile(now=timezone.now() + timedelta(days=1)) == {"succeeded": 1}
    _paid_once(submission)


def test_konbini_slip_lapses_and_a_new_attempt_can_start(submission, actor, stripe_server):
    attempt = _start(submission, actor, method="konbini")
    stripe_server.state.complete(attempt.provider_ref)
    services.handle_return(attempt)
    real = stripe_server.state.clock
    stripe_server.state.clock = lambda: real() + 4 * 86400
    assert services.reconcile(now=timezone.now() + timedelta(days=4)) == {"failed": 1}
    stripe_server.state.clock = real  # (the new attempt is made today)
    again = _start(submission, actor, method="konbini")
    assert again.pk != attempt.pk and again.idempotency_key != attempt.idempotency_key


def test_expiry_cancels_at_the_provider_and_lets_the_resident_start_again(client, submission, actor,
                                                                          stripe_server):
    attempt = _start(submission, actor)
    later = attempt.expires_at + timedelta(minutes=10)
    assert services.reconcile(now=later) == {"expired": 1}
    assert stripe_server.state.sessions[attempt.provider_ref]["status"] == "expired"  # closed there too
    attempt.refresh_from_db()
    assert attempt.finished_at and attempt.next_check_at is None
    again = _start(submission, actor)
    assert again.pk != attempt.pk and again.idempotency_key != attempt.idempotency_key
    assert again.state == AttemptState.PENDING
    # the expired session's own webhook changes nothing
    assert post_webhook(client, stripe_server, stripe_server.state.events[-1]).status_code == 200
    again.refresh_from_db()
    assert again.state == AttemptState.PENDING


def test_a_last_second_payment_wins_over_the_expiry(submission, actor, stripe_server):
    attempt = _start(submission, actor)
    stripe_server.state.complete(attempt.provider_ref)
    assert services.reconcile(now=attempt.expires_at + timedelta(minutes=10)) == {"succeeded": 1}
    _paid_once(submission)


def test_a_success_for_an_abandoned_attempt_is_refunded_never_charged_twice(client, submission, actor,
                                                                           stripe_server):
    card = _start(submission, actor, method="card")  # left open in another tab
    konbini = _start(submission, actor, method="konbini")
    stripe_server.state.complete(konbini.provider_ref)
    stripe_server.state.pay_konbini(konbini.provider_ref)
    assert post_webhook(client, stripe_server, stripe_server.state.events[-1]).status_code == 200
    charge = _paid_once(submission)
    assert charge.paid_attempt_id == konbini.pk
    # the abandoned card page is paid after all
    stripe_server.state.complete(card.provider_ref)
    assert post_webhook(client, stripe_server, stripe_server.state.events[-1]).status_code == 200
    card.refresh_from_db()
    assert card.state == AttemptState.DUPLICATE and card.flag_reason == "duplicate" and card.flagged_at
    refund = Refund.objects.get(attempt=card)
    assert (refund.state, refund.automatic, refund.reason, refund.amount_yen) == ("approved", True, "二重決済", 710)
    assert refund.approved_by == "system"
    services.reconcile()
    refund.refresh_from_db()
    assert refund.state == Refund.State.DONE and refund.provider_ref.startswith("re_")
    intent = stripe_server.state.intents[stripe_server.state.sessions[card.provider_ref]["payment_intent"]]
    assert intent["amount_refunded"] == 710  # the second payment given back in full
    assert len(stripe_server.state.refunds) == 1
    services.reconcile()  # again: nothing refunded twice
    assert len(stripe_server.state.refunds) == 1
    _paid_once(submission)
    assert list(services.flagged_attempts(submission.municipality)) == [card]


def test_a_late_success_on_an_expired_attempt_pays_the_charge_still_due(submission, actor):
    attempt = _start(submission, actor)
    services.apply_outcome(attempt, Outcome(state=AttemptState.EXPIRED))
    attempt.refresh_from_db()
    assert attempt.state == AttemptState.EXPIRED
    services.settle(attempt, Outcome(state=AttemptState.SUCCEEDED, paid_amount_yen=710))
    attempt.refresh_from_db()
    assert attempt.state == AttemptState.SUCCEEDED
    _paid_once(submission)


def test_a_method_the_city_did_not_turn_on_is_refused(submission, actor):
    charge = services.charge_for(submission)
    with pytest.raises(services.PaymentRefused):
        services.start_attempt(charge, "stripe", "paypay", actor)
    with pytest.raises(services.PaymentRefused):
        services.start_attempt(charge, "counter", "cash", actor)
    assert not Attempt.objects.exists()


def test_a_refused_key_fails_the_attempt_with_a_message(submission, actor, stripe_server):
    stripe_server.state.secret_key = "sk_test_other"
    with pytest.raises(services.PaymentRefused):
        _start(submission, actor)
    assert Attempt.objects.get().state == AttemptState.FAILED


def test_partial_refunds_need_a_second_person_and_never_exceed_the_payment(submission, actor, stripe_server,
                                                                           staff):
    attempt = _start(submission, actor)
    stripe_server.state.complete(attempt.provider_ref)
    attempt = services.handle_return(attempt)
    clerk, approver = Actor.staff(staff["shimin-tanto"]), Actor.staff(staff["kodomo-kacho"])
    with pytest.raises(services.RefundRefused):
        services.request_refund(attempt, 711, "手数料の誤り", clerk)
    refund = services.request_refund(attempt, 110, "郵送不要となったため", clerk)
    with pytest.raises(services.RefundRefused):
        services.approve_refund(refund, clerk)
    done = services.approve_refund(refund, approver)
    assert done.state == Refund.State.DONE
    assert services.refundable_yen(attempt) == 600
    with pytest.raises(services.RefundRefused):
        services.request_refund(attempt, 601, "残額超過", clerk)
    assert stripe_server.state.intents[stripe_server.state.sessions[attempt.provider_ref]["payment_intent"]][
        "amount_refunded"] == 110


def test_a_counter_payment_settles_the_charge_once(submission, staff):
    from madoguchi.payments.models import ProviderSetting
    ProviderSetting.objects.create(municipality=submission.municipality, provider="counter", enabled=True,
                                   methods=["cash", "terminal_card"])
    clerk = Actor.staff(staff["shimin-tanto"])
    charge = services.charge_for(submission)
    with pytest.raises(services.PaymentRefused):
        services.record_counter_payment(charge, "cash", 700, "", clerk)
    with pytest.raises(services.PaymentRefused):
        services.record_counter_payment(charge, "terminal_card", 710, "", clerk)
    attempt = services.record_counter_payment(charge, "terminal_card", 710, "S-0042", clerk)
    assert attempt.state == AttemptState.SUCCEEDED and attempt.slip_number == "S-0042"
    with pytest.raises(services.ChargeClosed):
        services.record_counter_payment(charge, "cash", 710, "", clerk)
    _paid_once(submission)


def test_the_paid_mail_goes_to_the_applicant(submission, actor, stripe_server, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        attempt = _start(submission, actor)
        stripe_server.state.complete(attempt.provider_ref)
        services.handle_return(attempt)
    charge = Charge.objects.get(submission=submission)
    message = OutboxMessage.objects.get(dedupe_key=f"paid:{charge.pk}")
    sent = [m for m in mail.outbox if m.subject == message.subject]
    assert len(sent) == 1 and sent[0].to == [submission.account.email]
    assert submission.receipt_number in message.subject


def test_the_paid_mail_is_written_in_the_applicants_language(submission, actor, stripe_server, monkeypatch):
    """A provider's webhook or the reconcile job has no resident's page: the account's language."""
    from django.utils import translation

    from madoguchi.notify import services as notify

    submission.account.language = "ko"
    submission.account.save(update_fields=["language"])
    seen = []
    real = notify.render_to_string

    def spy(name, context=None, *args, **kwargs):
        seen.append((name, translation.get_language(), context["mypage_url"]))
        return real(name, context, *args, **kwargs)

    monkeypatch.setattr(notify, "render_to_string", spy)
    with translation.override("ja"):  # the job's own language
        attempt = _start(submission, actor)
        stripe_server.state.complete(attempt.provider_ref)
        services.handle_return(attempt)
    [(name, language, url)] = [item for item in seen if item[0].endswith("/paid.txt")]
    assert language == "ko" and url.endswith("?lang=ko")


def test_reconcile_survives_an_unreachable_provider(submission, actor, stripe_server):
    attempt = _start(submission, actor)
    stripe_server.state.fail_next = [503] * 10
    assert services.reconcile(now=timezone.now() + timedelta(minutes=3)) == {"pending": 1}
    attempt.refresh_from_db()
    assert attempt.state == AttemptState.PENDING and attempt.last_error.startswith("stripe_")
    assert attempt.next_check_at > timezone.now() + timedelta(minutes=3)
    assert not ProviderEvent.objects.exists()


def test_a_withdrawn_application_owes_nothing_and_a_late_payment_is_refunded(submission, actor, stripe_server):
    from madoguchi.applications import services as application_services

    attempt = _start(submission, actor)
    application_services.withdraw(submission, actor)
    submission.refresh_from_db()
    assert services.charge_for(submission) is None  # the fee is no longer asked for
    assert Charge.objects.get(submission=submission).status == Charge.Status.CANCELLED
    stripe_server.state.complete(attempt.provider_ref)  # the provider's page was still open
    attempt = services.handle_return(attempt)
    assert attempt.state == AttemptState.DUPLICATE and attempt.flag_reason == "charge_cancelled"
    assert Refund.objects.get(attempt=attempt).amount_yen == 710
    with pytest.raises(services.ChargeClosed):
        services.start_attempt(Charge.objects.get(submission=submission), "stripe", "card", actor)
