"""The PayPay adapter against the local PayPay server, through the real `paypayopa` client:
what it sends (ids only, one code per attempt), what it believes (only PayPay's own answer to
an authenticated call, never a webhook body), refunds, and every error as a clear
ProviderError / ProviderRefused rather than an exception from the depths of the SDK."""

import json
import uuid
from datetime import timedelta

import pytest
from books_support import awaiting_case
from django.utils import timezone
from paypay_server import LocalPayPay
from paypay_server import configure_city as configure

from madoguchi.payments import services
from madoguchi.payments.models import Attempt, AttemptState
from madoguchi.payments.providers import (
    ProviderError,
    ProviderRefused,
    WebhookRefused,
    provider_for,
    registry,
)
from madoguchi.payments.providers.paypay import PayPayProvider, merchant_payment_id

RETURN = "http://testserver/payments/attempts/x/return/"
CANCEL = "http://testserver/payments/attempts/x/cancel/"


@pytest.fixture
def paypay():
    with LocalPayPay() as server:
        yield server


@pytest.fixture
def setting(city, paypay):
    return configure(city, paypay)


@pytest.fixture
def submission(city, resident):
    return awaiting_case(city, resident)


@pytest.fixture
def charge(submission):
    return services.open_charge(submission, "at_submit", submission.fee_lines)


def new_attempt(charge):
    return Attempt.objects.create(charge=charge, provider="paypay", method="paypay", amount_yen=charge.amount_yen,
                                  idempotency_key=f"mdg-{uuid.uuid4().hex}")


@pytest.fixture
def attempt(charge):
    return new_attempt(charge)


def started(provider, attempt):
    """start(), and the attempt as services would save it."""
    result = provider.start(attempt, return_url=RETURN, cancel_url=CANCEL)
    attempt.provider_ref, attempt.redirect_url, attempt.expires_at, attempt.provider_data = (
        result.provider_ref, result.redirect_url, result.expires_at, result.data)
    attempt.state = AttemptState.PENDING
    attempt.save()
    return result


def test_registered_under_its_code():
    assert registry["paypay"] is PayPayProvider
    assert PayPayProvider.methods == ("paypay",)


# -- start --------------------------------------------------------------------------------------


def test_start_makes_one_code_carrying_ids_only(setting, attempt, paypay, submission, resident):
    result = started(provider_for(setting), attempt)
    mpid = attempt.idempotency_key
    assert result.provider_ref == mpid
    assert result.redirect_url == f"{paypay.base_url}/app/{paypay.code(mpid).code_id}"
    assert result.data == {"code_id": paypay.code(mpid).code_id}  # to delete it later
    assert timedelta(seconds=290) < result.expires_at - timezone.now() <= timedelta(seconds=300)
    [body] = paypay.bodies
    assert set(body) == {"merchantPaymentId", "amount", "codeType", "redirectUrl", "redirectType",
                         "orderDescription", "requestedAt"}
    assert body["amount"] == {"amount": 600, "currency": "JPY"}
    assert (body["codeType"], body["redirectType"], body["redirectUrl"]) == ("ORDER_QR", "WEB_LINK", RETURN)
    assert submission.receipt_number in body["orderDescription"]
    assert resident.email not in json.dumps(body, ensure_ascii=False)
    assert paypay.codes_for(mpid) == 1


def test_starting_a_started_attempt_asks_nothing(setting, attempt, paypay):
    provider = provider_for(setting)
    first = started(provider, attempt)
    again = provider.start(attempt, return_url=RETURN, cancel_url=CANCEL)
    assert again == first
    assert paypay.count("POST", "/v2/codes") == 1


@pytest.mark.parametrize("fault", ["lose_create_response", "drop_create_connection"])
def test_a_retry_after_a_lost_answer_never_makes_a_second_code(setting, attempt, paypay, fault):
    setattr(paypay.faults, fault, 1)
    provider = provider_for(setting)
    with pytest.raises(ProviderError) as lost:
        provider.start(attempt, return_url=RETURN, cancel_url=CANCEL)
    assert not isinstance(lost.value, ProviderRefused)  # may pass: the resident may try again
    with pytest.raises(ProviderRefused) as retry:
        provider.start(attempt, return_url=RETURN, cancel_url=CANCEL)
    assert retry.value.code == "paypay_code_lost"
    assert paypay.codes_for(attempt.idempotency_key) == 1
    assert paypay.count("POST", "/v2/codes", 400) == 1  # DUPLICATE_DYNAMIC_QR_REQUEST


def test_a_retry_finds_the_code_paid_meanwhile_and_goes_to_the_return_page(setting, attempt, paypay):
    paypay.faults.lose_create_response = 1
    provider = provider_for(setting)
    with pytest.raises(ProviderError):
        provider.start(attempt, return_url=RETURN, cancel_url=CANCEL)
    paypay.pay(attempt.idempotency_key)  # whoever had the page paid it
    result = provider.start(attempt, return_url=RETURN, cancel_url=CANCEL)
    assert (result.provider_ref, result.redirect_url) == (attempt.idempotency_key, RETURN)
    assert paypay.codes_for(attempt.idempotency_key) == 1


def test_a_key_outside_paypays_alphabet_is_hashed_the_same_every_time(attempt):
    attempt.idempotency_key = "mdg:odd key/1"
    first = merchant_payment_id(attempt)
    assert first == merchant_payment_id(attempt) and first.startswith("mdg-") and len(first) <= 64


# -- status -------------------------------------------------------------------------------------


def test_status_follows_paypay(setting, attempt, paypay):
    provider = provider_for(setting)
    started(provider, attempt)
    assert provider.status(attempt).state == AttemptState.PENDING
    paypay.pay(attempt.idempotency_key)
    outcome = provider.status(attempt)
    assert (outcome.state, outcome.paid_amount_yen, outcome.raw_status) == (AttemptState.SUCCEEDED, 600, "COMPLETED")


def test_a_failed_payment_is_failed(setting, attempt, paypay):
    provider = provider_for(setting)
    started(provider, attempt)
    paypay.pay(attempt.idempotency_key, fail=True)
    assert provider.status(attempt).state == AttemptState.FAILED


@pytest.mark.parametrize("as_status", [False, True])
def test_an_expired_code_is_expired(setting, attempt, paypay, as_status):
    provider = provider_for(setting)
    started(provider, attempt)
    paypay.faults.expired_as_status = as_status
    paypay.advance(paypay.code_lifetime + 1)
    attempt.expires_at = timezone.now() - timedelta(seconds=1)  # our clock agrees
    outcome = provider.status(attempt)
    assert outcome.state == AttemptState.EXPIRED
    assert outcome.raw_status == ("EXPIRED" if as_status else "DYNAMIC_QR_PAYMENT_NOT_FOUND")


def test_not_found_before_the_expiry_is_still_pending(setting, attempt, paypay):
    """Some integrations report DYNAMIC_QR_PAYMENT_NOT_FOUND for a code nobody scanned yet:
    before its expiry that is not the end (the job asks again), after it the attempt expires."""
    provider = provider_for(setting)
    started(provider, attempt)
    paypay.code(attempt.idempotency_key).deleted = True  # gone, but not by us
    assert provider.status(attempt).state == AttemptState.PENDING
    attempt.expires_at = timezone.now() - timedelta(seconds=1)
    assert provider.status(attempt).state == AttemptState.EXPIRED


def test_not_found_without_a_known_expiry_ends_after_an_hour(setting, attempt, paypay):
    provider = provider_for(setting)
    started(provider, attempt)
    paypay.code(attempt.idempotency_key).deleted = True
    attempt.expires_at = None
    assert provider.status(attempt).state == AttemptState.PENDING
    attempt.created_at = timezone.now() - timedelta(hours=1, seconds=1)
    assert provider.status(attempt).state == AttemptState.EXPIRED


def test_cancel_deletes_the_code_so_nobody_pays_it(setting, attempt, paypay):
    provider = provider_for(setting)
    started(provider, attempt)
    provider.cancel(attempt)
    assert paypay.count("DELETE", "/v2/codes/", 200) == 1
    with pytest.raises(ValueError):
        paypay.pay(attempt.idempotency_key)
    assert provider.status(attempt).state == AttemptState.CANCELLED


def test_cancel_never_undoes_a_payment(setting, attempt, paypay):
    provider = provider_for(setting)
    started(provider, attempt)
    paypay.pay(attempt.idempotency_key)  # paid a moment before the resident chose otherwise
    provider.cancel(attempt)
    assert paypay.count("DELETE", "/v2/codes/", 400) == 1  # DYNAMIC_QR_ALREADY_PAID
    assert paypay.count("DELETE", "/v2/payments/") == 0
    assert provider.status(attempt).state == AttemptState.SUCCEEDED


def test_cancel_without_a_code_asks_nothing(setting, attempt, paypay):
    provider_for(setting).cancel(attempt)
    assert paypay.requests == []


# -- webhooks -----------------------------------------------------------------------------------


def test_a_webhook_is_believed_only_as_far_as_paypay_confirms_it(setting, attempt, paypay):
    provider = provider_for(setting)
    started(provider, attempt)
    mpid = attempt.idempotency_key
    forged = {"notification_type": "Transaction", "merchant_id": paypay.merchant_id,
              "order_id": "0999", "merchant_order_id": mpid, "order_amount": "600", "state": "COMPLETED"}
    [early] = provider.parse_webhook(json.dumps(forged).encode(), {})
    assert early.state == AttemptState.PENDING  # PayPay says CREATED: nothing is paid
    event = paypay.pay(mpid)
    [real] = provider.parse_webhook(json.dumps(event).encode(), {"content-type": "application/json"})
    assert (real.state, real.provider_ref, real.paid_amount_yen) == (AttemptState.SUCCEEDED, mpid, 600)
    assert real.event_id == f"{mpid}:COMPLETED:{event['order_id']}" != early.event_id
    assert paypay.count("GET", f"/v2/codes/payments/{mpid}") == 2


@pytest.mark.parametrize("body", [
    b"not json",
    json.dumps({"notification_type": "file.created", "merchant_id": "local-merchant-0001"}).encode(),
    json.dumps({"notification_type": "Transaction", "merchant_id": "another-merchant",
                "merchant_order_id": "mdg-x", "state": "COMPLETED"}).encode(),
    json.dumps({"notification_type": "Transaction", "merchant_id": "local-merchant-0001",
                "merchant_order_id": "../../v2/refunds", "state": "COMPLETED"}).encode(),
    json.dumps({"notification_type": "Transaction", "merchant_id": "local-merchant-0001",
                "merchant_order_id": "mdg-never-made", "state": "COMPLETED"}).encode(),
])
def test_webhooks_paypay_does_not_confirm_are_refused(setting, body):
    with pytest.raises(WebhookRefused):
        provider_for(setting).parse_webhook(body, {})


def test_a_webhook_that_cannot_be_confirmed_now_is_kept_for_the_job(setting, attempt, paypay):
    provider = provider_for(setting)
    started(provider, attempt)
    event = paypay.pay(attempt.idempotency_key)
    paypay.faults.maintenance = True
    [kept] = provider.parse_webhook(json.dumps(event).encode(), {})
    assert kept.state is None and kept.provider_ref == attempt.idempotency_key


def test_a_webhook_our_keys_cannot_confirm_is_kept_not_refused(city, paypay, attempt):
    provider = provider_for(configure(city, paypay))
    started(provider, attempt)
    event = paypay.pay(attempt.idempotency_key)
    wrong = provider_for(configure(city, paypay, api_secret="rotated-at-paypay"))
    [kept] = wrong.parse_webhook(json.dumps(event).encode(), {})
    assert kept.state is None and kept.event_id.startswith(f"{attempt.idempotency_key}:unconfirmed:")


# -- refunds --------------------------------------------------------------------------------------


def test_refunds_are_idempotent_partial_and_capped(setting, attempt, paypay):
    provider = provider_for(setting)
    started(provider, attempt)
    paypay.pay(attempt.idempotency_key)
    assert provider.refund(attempt, 200, "申請の取下げ", "mdg-refund-1") == "mdg-refund-1"
    assert provider.refund(attempt, 200, "申請の取下げ", "mdg-refund-1") == "mdg-refund-1"
    refunds = paypay.code(attempt.idempotency_key).refunds
    assert [r["amount"]["amount"] for r in refunds] == [200]
    assert refunds[0]["reason"] is None  # no free text leaves Madoguchi
    with pytest.raises(ProviderRefused) as too_much:
        provider.refund(attempt, 500, "x", "mdg-refund-2")
    assert too_much.value.code == "INVALID_PARAMS"


def test_nothing_paid_nothing_to_refund(setting, attempt):
    provider = provider_for(setting)
    started(provider, attempt)
    with pytest.raises(ProviderRefused) as refused:
        provider.refund(attempt, 100, "x", "mdg-refund-3")
    assert refused.value.code == "paypay_not_paid"


# -- errors and configuration -------------------------------------------------------------------


@pytest.mark.parametrize("secrets, code", [({"api_secret": "wrong"}, "UNAUTHORIZED"),
                                           ({"api_key": "wrong"}, "UNAUTHORIZED")])
def test_bad_credentials_are_a_clear_refusal(city, paypay, attempt, secrets, code):
    provider = provider_for(configure(city, paypay, **secrets))
    with pytest.raises(ProviderRefused) as refused:
        provider.start(attempt, return_url=RETURN, cancel_url=CANCEL)
    assert refused.value.code == code
    assert paypay.codes_for(attempt.idempotency_key) == 0


def test_another_merchant_id_is_out_of_scope(city, paypay, attempt):
    setting = configure(city, paypay)
    setting.config = {**setting.config, "merchant_id": "someone-else"}
    with pytest.raises(ProviderRefused) as refused:
        provider_for(setting).start(attempt, return_url=RETURN, cancel_url=CANCEL)
    assert refused.value.code == "OP_OUT_OF_SCOPE"


@pytest.mark.parametrize("fault, code", [("maintenance", "MAINTENANCE_MODE"), ("rate_limit", "RATE_LIMIT"),
                                         ("gateway_html", "paypay_bad_answer")])
def test_paypay_trouble_may_pass(setting, attempt, paypay, fault, code):
    setattr(paypay.faults, fault, True)
    with pytest.raises(ProviderError) as trouble:
        provider_for(setting).start(attempt, return_url=RETURN, cancel_url=CANCEL)
    assert not isinstance(trouble.value, ProviderRefused) and trouble.value.code == code


def test_a_slow_paypay_times_out_and_may_pass(setting, attempt, paypay, monkeypatch):
    from madoguchi.payments.providers import paypay as adapter

    monkeypatch.setattr(adapter, "CALL_TIMEOUT", (1, 0.2))
    paypay.faults.delay = 0.5
    with pytest.raises(ProviderError) as slow:
        provider_for(setting).status(attempt)
    assert not isinstance(slow.value, ProviderRefused) and slow.value.code == "paypay_timeout"


def test_production_always_talks_to_paypays_production_api(city, paypay):
    setting = configure(city, paypay)
    setting.config = {**setting.config, "environment": "production"}
    provider = provider_for(setting)
    assert provider.base_url == "https://apigw.paypay.ne.jp"  # base_url ignored, and reported
    assert any("production" in problem for problem in provider.check_config())


def test_paypay_unreachable_may_pass(city, attempt):
    server = LocalPayPay().start()
    setting = configure(city, server)
    server.stop()  # nothing listens there any more
    with pytest.raises(ProviderError) as unreachable:
        provider_for(setting).status(attempt)
    assert unreachable.value.code == "paypay_unreachable"


def test_check_config(city, paypay):
    setting = configure(city, paypay)
    assert provider_for(setting).check_config() == []
    setting.set_secrets({})
    setting.config = {"environment": "production", "base_url": "http://paypay.example.jp"}
    setting.methods = ["paypay", "card"]
    problems = " ".join(provider_for(setting).check_config())
    for word in ("api_key", "api_secret", "merchant_id", "base_url", "card"):
        assert word in problems
    setting.config = {"environment": "sandbox", "base_url": "http://paypay.example.jp"}
    assert any("https://" in p for p in provider_for(setting).check_config())
    setting.config = {"environment": "staging"}
    assert any("environment" in p for p in provider_for(setting).check_config())


def test_an_unconfigured_provider_refuses_before_calling(city, paypay, attempt):
    setting = configure(city, paypay)
    setting.set_secrets({})
    with pytest.raises(ProviderRefused) as refused:
        provider_for(setting).start(attempt, return_url=RETURN, cancel_url=CANCEL)
    assert refused.value.code == "paypay_not_configured"
    assert paypay.requests == []


def test_checkout_origins(city, paypay):
    setting = configure(city, paypay)
    assert provider_for(setting).checkout_origins() == [paypay.base_url]
    setting.config = {"merchant_id": "m", "environment": "production"}
    assert provider_for(setting).checkout_origins() == ["https://*.paypay.ne.jp"]
