"""PayPay end to end through Madoguchi's pages and services, the local PayPay server standing in
for PayPay: a reload or a double click, a webhook before the return, a webhook that never comes
(the job polls), a lost create answer, an expired code, bad credentials, a forged webhook, a
refund. Each ends with the charge paid once or plainly not paid, and never a 500."""

import json
from datetime import timedelta

import pytest
from books_support import awaiting_case
from django.urls import reverse
from django.utils import timezone
from paypay_server import LocalPayPay
from paypay_server import configure_city as configure

from madoguchi.applications.models import Status
from madoguchi.core.actors import Actor
from madoguchi.payments import services
from madoguchi.payments.models import Attempt, AttemptState, Charge, ProviderEvent, Refund

WEBHOOK = "/payments/webhooks/paypay/"


@pytest.fixture
def paypay():
    with LocalPayPay() as server:
        server.faults.webhook = "hold"  # tests deliver them through the test client
        yield server


@pytest.fixture
def setting(city, paypay):
    return configure(city, paypay)


@pytest.fixture
def submission(city, resident):
    return awaiting_case(city, resident)


def choose_paypay(client, submission):
    return client.post(reverse("payments:pay", args=[submission.public_id]),
                       {"provider": "paypay", "method": "paypay"})


def deliver(client, event: dict):
    return client.post(WEBHOOK, data=json.dumps(event), content_type="application/json")


def only_attempt(submission) -> Attempt:
    [attempt] = Attempt.objects.filter(charge__submission=submission)
    return attempt


def test_a_double_click_lands_on_the_same_code(resident_client, setting, submission, paypay):
    first = choose_paypay(resident_client, submission)
    second = choose_paypay(resident_client, submission)
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert first["Location"].startswith(paypay.base_url + "/app/")
    attempt = only_attempt(submission)
    assert (attempt.state, attempt.provider_ref) == (AttemptState.PENDING, attempt.idempotency_key)
    assert paypay.count("POST", "/v2/codes") == 1


def test_the_webhook_before_the_return(resident_client, setting, submission, paypay):
    choose_paypay(resident_client, submission)
    attempt = only_attempt(submission)
    event = paypay.pay(attempt.provider_ref)
    assert deliver(resident_client, event).status_code == 200
    submission.refresh_from_db()
    assert submission.status == Status.SUBMITTED
    assert Charge.objects.get(submission=submission).status == Charge.Status.PAID
    assert deliver(resident_client, event).status_code == 200  # a replay changes nothing
    assert ProviderEvent.objects.filter(provider="paypay").count() == 1
    back = resident_client.get(reverse("payments:return", args=[attempt.public_id]))
    assert back.status_code == 200 and b'data-state="succeeded"' in back.content
    attempt.refresh_from_db()
    assert attempt.state == AttemptState.SUCCEEDED


def test_the_return_before_the_webhook(resident_client, setting, submission, paypay):
    choose_paypay(resident_client, submission)
    attempt = only_attempt(submission)
    [event] = [paypay.pay(attempt.provider_ref)]
    back = resident_client.get(reverse("payments:return", args=[attempt.public_id]))
    assert b'data-state="succeeded"' in back.content
    assert deliver(resident_client, event).status_code == 200  # late: nothing more happens
    assert Charge.objects.get(submission=submission).status == Charge.Status.PAID
    assert Refund.objects.count() == 0


def test_no_webhook_and_no_return_the_job_finds_the_payment(resident_client, setting, submission, paypay):
    paypay.faults.webhook = "never"
    choose_paypay(resident_client, submission)
    attempt = only_attempt(submission)
    paypay.pay(attempt.provider_ref)  # the browser closed on PayPay's page
    assert Charge.objects.get(submission=submission).status == Charge.Status.DUE
    counts = services.reconcile(now=timezone.now() + timedelta(minutes=3))
    assert counts.get(AttemptState.SUCCEEDED) == 1
    submission.refresh_from_db()
    assert submission.status == Status.SUBMITTED


def test_a_forged_webhook_pays_nothing(resident_client, setting, submission, paypay):
    choose_paypay(resident_client, submission)
    attempt = only_attempt(submission)
    forged = {"notification_type": "Transaction", "merchant_id": paypay.merchant_id, "order_id": "1",
              "merchant_order_id": attempt.provider_ref, "order_amount": "600", "state": "COMPLETED"}
    assert deliver(resident_client, forged).status_code == 200  # stored as what PayPay says: CREATED
    assert Charge.objects.get(submission=submission).status == Charge.Status.DUE
    unknown = {**forged, "merchant_order_id": "mdg-nothing-like-it"}
    assert deliver(resident_client, unknown).status_code == 400
    assert resident_client.post(WEBHOOK, data=b"{", content_type="application/json").status_code == 400


def test_choosing_another_way_closes_the_code(resident_client, setting, submission, paypay):
    choose_paypay(resident_client, submission)
    first = only_attempt(submission)
    back = resident_client.get(reverse("payments:cancel", args=[first.public_id]))
    assert back["Location"] == reverse("payments:pay", args=[submission.public_id])
    first.refresh_from_db()
    assert first.state == AttemptState.CANCELLED
    assert paypay.code(first.provider_ref).deleted
    again = choose_paypay(resident_client, submission)
    second = Attempt.objects.exclude(pk=first.pk).get(charge__submission=submission)
    assert again["Location"] == second.redirect_url != first.redirect_url


def test_an_expired_code_lets_the_resident_start_again(resident_client, setting, submission, paypay):
    choose_paypay(resident_client, submission)
    first = only_attempt(submission)
    paypay.advance(paypay.code_lifetime - 30)  # nearly five minutes later on both clocks:
    Attempt.objects.filter(pk=first.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    services.reconcile(now=timezone.now() + timedelta(minutes=6))
    first.refresh_from_db()
    assert first.state == AttemptState.EXPIRED
    assert paypay.code(first.provider_ref).deleted  # closed at PayPay too (best effort)
    again = choose_paypay(resident_client, submission)
    second = Attempt.objects.exclude(pk=first.pk).get(charge__submission=submission)
    assert second.idempotency_key != first.idempotency_key
    assert again["Location"] == second.redirect_url != first.redirect_url
    paypay.pay(second.provider_ref)
    assert resident_client.get(reverse("payments:return", args=[second.public_id])).status_code == 200
    assert Charge.objects.get(submission=submission).paid_attempt_id == second.pk


def test_a_lost_create_answer_never_makes_two_codes_for_one_attempt(resident_client, setting, submission, paypay):
    paypay.faults.lose_create_response = 1
    pay_page = reverse("payments:pay", args=[submission.public_id])
    assert choose_paypay(resident_client, submission)["Location"] == pay_page  # with a message
    first = only_attempt(submission)
    assert (first.state, first.last_error) == (AttemptState.CREATED, "INTERNAL_SERVER_ERROR")
    assert choose_paypay(resident_client, submission)["Location"] == pay_page  # the code is lost
    first.refresh_from_db()
    assert (first.state, first.last_error) == (AttemptState.FAILED, "paypay_code_lost")
    assert paypay.codes_for(first.idempotency_key) == 1
    third = choose_paypay(resident_client, submission)
    assert third["Location"].startswith(paypay.base_url + "/app/")
    page = resident_client.get(pay_page)
    assert page.status_code == 200


def test_bad_credentials_are_a_message_not_a_500(resident_client, city, paypay, submission):
    configure(city, paypay, api_secret="not-the-secret")
    answer = choose_paypay(resident_client, submission)
    assert answer.status_code == 302
    assert answer["Location"] == reverse("payments:pay", args=[submission.public_id])
    page = resident_client.get(answer["Location"])
    assert page.status_code == 200 and 'class="msg msg-error"' in page.content.decode()
    assert only_attempt(submission).last_error == "UNAUTHORIZED"


def test_a_refund_goes_to_paypay_once(resident_client, setting, submission, paypay, staff):
    choose_paypay(resident_client, submission)
    attempt = only_attempt(submission)
    paypay.pay(attempt.provider_ref)
    resident_client.get(reverse("payments:return", args=[attempt.public_id]))
    attempt.refresh_from_db()
    users = list(staff.values())
    refund = services.request_refund(attempt, 300, "申請の取下げ", Actor.staff(users[0]))
    done = services.approve_refund(refund, Actor.staff(users[1]))
    assert (done.state, done.provider_ref) == (Refund.State.DONE, refund.idempotency_key)
    assert services.execute_refund(done).state == Refund.State.DONE  # nothing sent twice
    assert [r["amount"]["amount"] for r in paypay.code(attempt.provider_ref).refunds] == [300]
