"""The payment pages and the webhook endpoint: only the submission's own account sees or pays
it, the methods are plain forms (no JavaScript needed), the return page never trusts its query
string, and the webhook answers 400 to a bad signature, 200 to a replay or an unknown event,
and never 500 to anything a client can send."""
# ruff: noqa: F811 - the shared fixtures are imported by name

import json
import re

import pytest
from django.urls import reverse
from payment_support import awaiting_submission, post_webhook, stripe_city, stripe_server  # noqa: F401

from madoguchi.applications.models import Status
from madoguchi.identity.models import ResidentAccount
from madoguchi.payments.models import Attempt, AttemptState, ProviderEvent

from conftest import login_resident

pytestmark = pytest.mark.django_db


@pytest.fixture
def submission(stripe_city, resident):
    return awaiting_submission(resident)


def _pay(client, submission, method="card"):
    return client.post(reverse("payments:pay", args=[submission.public_id]),
                       {"provider": "stripe", "method": method})


def test_the_pay_page_lists_the_fee_and_the_citys_methods_as_plain_forms(resident_client, submission,
                                                                         stripe_server):
    response = resident_client.get(reverse("payments:pay", args=[submission.public_id]))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-amount-yen="710"' in html and 'data-fee-line="copy"' in html
    forms = re.findall(r'<form method="post"[^>]*>.*?</form>', html, re.S)
    methods = [re.search(r'name="method" value="(\w+)"', f).group(1) for f in forms if 'name="method"' in f]
    assert methods == ["card", "konbini"]
    assert all("csrfmiddlewaretoken" in f for f in forms)
    policy = response.headers.get("Content-Security-Policy") or response.headers.get(
        "Content-Security-Policy-Report-Only")
    assert stripe_server.url in policy.split("form-action", 1)[1].split(";")[0]


def test_paying_redirects_to_the_providers_page_and_a_second_click_to_the_same(resident_client, submission,
                                                                               stripe_server):
    first = _pay(resident_client, submission)
    second = _pay(resident_client, submission)
    assert first.status_code == 302 and first["Location"].startswith(stripe_server.url + "/pay/")
    assert second["Location"] == first["Location"]
    assert Attempt.objects.count() == 1


def test_a_method_not_offered_shows_a_message_not_an_error(resident_client, submission):
    response = resident_client.post(reverse("payments:pay", args=[submission.public_id]),
                                    {"provider": "nope", "method": "<x>"}, follow=True)
    assert response.status_code == 200
    assert 'class="msg msg-error"' in response.content.decode()  # the refusal, said on the page
    assert not Attempt.objects.exists()


def test_the_return_page_asks_the_provider_not_the_query_string(resident_client, submission, stripe_server):
    _pay(resident_client, submission)
    attempt = Attempt.objects.get()
    url = reverse("payments:return", args=[attempt.public_id])
    response = resident_client.get(url + "?redirect_status=succeeded&payment_status=paid")
    assert 'data-state="pending"' in response.content.decode()
    mypage = resident_client.get(reverse("applications:submission", args=[submission.public_id]))
    assert 'id="payment-record"' not in mypage.content.decode()  # not paid yet: nothing to show
    attempt.refresh_from_db()
    assert attempt.state == AttemptState.PENDING
    stripe_server.state.complete(attempt.provider_ref)
    response = resident_client.get(url)
    assert 'data-state="succeeded"' in response.content.decode()
    assert submission.receipt_number in response.content.decode()
    submission.refresh_from_db()
    assert submission.status == Status.SUBMITTED
    # paid: the pay page now says so and offers no method
    page = resident_client.get(reverse("payments:pay", args=[submission.public_id])).content.decode()
    assert 'data-state="paid"' in page and 'name="method"' not in page
    # My Page leads to the payment's record (and its 領収書 where the city issues one)
    mypage = resident_client.get(reverse("applications:submission", args=[submission.public_id]))
    assert f'id="payment-record" href="{reverse("payments:pay", args=[submission.public_id])}"' \
        in mypage.content.decode()


def test_cancel_closes_the_session_and_offers_the_methods_again(resident_client, submission, stripe_server):
    _pay(resident_client, submission)
    attempt = Attempt.objects.get()
    response = resident_client.get(reverse("payments:cancel", args=[attempt.public_id]))
    assert response.status_code == 302
    assert response["Location"] == reverse("payments:pay", args=[submission.public_id])
    attempt.refresh_from_db()
    assert attempt.state == AttemptState.CANCELLED
    assert stripe_server.state.sessions[attempt.provider_ref]["status"] == "expired"
    again = _pay(resident_client, submission)
    assert again["Location"] != stripe_server.state.sessions[attempt.provider_ref]["url"]


def test_another_account_gets_404_everywhere(client, submission, resident_client, stripe_server):
    _pay(resident_client, submission)
    attempt = Attempt.objects.get()
    stranger = ResidentAccount.objects.create(municipality=submission.municipality, email="taro@example.jp")
    client.cookies.clear()
    login_resident(client, stranger)
    assert client.get(reverse("payments:pay", args=[submission.public_id])).status_code == 404
    assert _pay(client, submission).status_code == 404
    assert client.get(reverse("payments:return", args=[attempt.public_id])).status_code == 404
    assert client.get(reverse("payments:cancel", args=[attempt.public_id])).status_code == 404
    attempt.refresh_from_db()
    assert attempt.state == AttemptState.PENDING


def test_logged_out_visitors_are_sent_to_log_in(client, submission):
    response = client.get(reverse("payments:pay", args=[submission.public_id]))
    assert response.status_code == 302 and reverse("identity:login") in response["Location"]


# --- the webhook endpoint -------------------------------------------------------------------

def _completed(resident_client, submission, stripe_server):
    _pay(resident_client, submission)
    attempt = Attempt.objects.get()
    stripe_server.state.complete(attempt.provider_ref)
    return attempt, stripe_server.state.events[-1]


def test_a_bad_signature_is_refused_and_nothing_is_stored(client, resident_client, submission, stripe_server):
    attempt, event = _completed(resident_client, submission, stripe_server)
    payload = json.dumps(event).encode()
    wrong = stripe_server.state.sign(payload, secret="whsec_someone_else")
    assert post_webhook(client, stripe_server, event, signature=wrong).status_code == 400
    assert post_webhook(client, stripe_server, event, signature="").status_code == 400
    stale = stripe_server.state.sign(payload, timestamp=1)
    assert post_webhook(client, stripe_server, event, signature=stale).status_code == 400
    tampered = {**event, "data": {"object": {**event["data"]["object"], "amount_total": 1}}}
    assert post_webhook(client, stripe_server, tampered,
                        signature=stripe_server.state.sign(payload)).status_code == 400
    assert not ProviderEvent.objects.exists()
    attempt.refresh_from_db()
    assert attempt.state == AttemptState.PENDING


def test_a_replayed_event_is_stored_once_and_applied_once(client, resident_client, submission, stripe_server):
    attempt, event = _completed(resident_client, submission, stripe_server)
    for _ in range(3):
        assert post_webhook(client, stripe_server, event).status_code == 200
    assert ProviderEvent.objects.filter(event_id=event["id"]).count() == 1
    attempt.refresh_from_db()
    assert attempt.state == AttemptState.SUCCEEDED
    submission.refresh_from_db()
    assert submission.events.filter(to_status=Status.SUBMITTED).count() == 1


def test_an_unknown_event_is_acknowledged_and_changes_nothing(client, resident_client, submission,
                                                              stripe_server):
    _pay(resident_client, submission)
    event = {"id": "evt_other", "object": "event", "type": "customer.created",
             "data": {"object": {"object": "customer", "id": "cus_1"}}}
    assert post_webhook(client, stripe_server, event).status_code == 200
    unknown_session = {"id": "evt_x", "object": "event", "type": "checkout.session.completed",
                       "data": {"object": {"object": "checkout.session", "id": "cs_test_unknown",
                                           "payment_status": "paid", "amount_total": 710}}}
    assert post_webhook(client, stripe_server, unknown_session).status_code == 200
    assert Attempt.objects.get().state == AttemptState.PENDING


@pytest.mark.parametrize("body", [b"", b"not json", b"\xff\xfe", b"[]", b'{"id": 1}', b"null"])
def test_no_body_a_client_can_send_makes_a_500(client, stripe_city, stripe_server, body):
    url = reverse("payments:webhook", args=["stripe"])
    other = stripe_server.state.sign(body + b" ")  # a signature over another body
    for signature in ("", "t=1,v1=00", "garbage", "t=,v1=", other):
        response = client.post(url, data=body, content_type="application/json", HTTP_STRIPE_SIGNATURE=signature)
        assert response.status_code == 400, (body, signature)
    # signed with the right secret (only Stripe can): refused or acknowledged, never a 500
    good = stripe_server.state.sign(body)
    response = client.post(url, data=body, content_type="application/json", HTTP_STRIPE_SIGNATURE=good)
    assert response.status_code in (200, 400)


def test_the_webhook_endpoint_takes_posts_only_and_known_providers(client, stripe_city):
    assert client.get(reverse("payments:webhook", args=["stripe"])).status_code == 405
    assert client.post(reverse("payments:webhook", args=["nosuch"]), data=b"{}",
                       content_type="application/json").status_code == 404


@pytest.mark.parametrize("lang, html_lang", [("en", "en"), ("vi", "vi"), ("pt-br", "pt-BR")])
def test_the_pay_page_speaks_the_chosen_language_and_keeps_the_receipt_number_untranslated(
        resident_client, submission, stripe_server, lang, html_lang):
    response = resident_client.get(reverse("payments:pay", args=[submission.public_id]), {"lang": lang})
    assert response.status_code == 200
    html = response.content.decode()
    assert f'<html lang="{html_lang}"' in html
    number = re.search(r'<p class="receipt-number" id="receipt-number"([^>]*)>([^<]*)<', html)
    assert 'translate="no"' in number.group(1) and number.group(2) == submission.receipt_number
    assert 'id="payment-state" data-state="due"' in html and 'id="pay-stripe-card"' in html
