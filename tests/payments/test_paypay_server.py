"""The local PayPay server itself: it must be as strict as PayPay where the adapter relies on
it (the HMAC header, duplicate codes, expiry, refunds), or the adapter's tests prove nothing.
Requests go through the official `paypayopa` client, tampered ones through `requests`."""

import base64
import hashlib
import hmac
import json
import time

import paypayopa
import pytest
import requests
from paypay_server import LocalPayPay


@pytest.fixture
def server():
    with LocalPayPay(webhook_url="") as paypay:
        yield paypay


def client_for(server, *, key=None, secret=None, merchant=None):
    client = paypayopa.Client(auth=(key or server.api_key, secret or server.api_secret),
                              base_url=server.base_url)
    client.set_assume_merchant(merchant or server.merchant_id)
    return client


def new_code(client, mpid="mdg-0001", amount=600, **extra):
    return client.Code.create_qr_code({
        "merchantPaymentId": mpid, "amount": {"amount": amount, "currency": "JPY"},
        "codeType": "ORDER_QR", "redirectUrl": "http://127.0.0.1:1/back", "redirectType": "WEB_LINK",
        "orderDescription": "手数料", **extra})


def code_of(answer):
    return answer["resultInfo"]["code"]


def signed_post(server, client, path, body: dict, *, send: bytes | None = None, headers=None):
    """POST `body` signed as the client signs it, but send `send` (a tampered body) instead."""
    data, auth = client._update_request(body, path, "POST")
    return requests.post(server.base_url + path, data=send if send is not None else data,
                         headers={"Authorization": auth, "Content-Type": "application/json;charset=UTF-8",
                                  "X-ASSUME-MERCHANT": server.merchant_id, **(headers or {})},
                         timeout=5)


# -- the HMAC header ------------------------------------------------------------------------


def test_the_official_client_is_accepted(server):
    answer = new_code(client_for(server))
    assert code_of(answer) == "SUCCESS"
    assert answer["data"]["url"].startswith(server.base_url + "/app/")
    assert server.count("POST", "/v2/codes", 201) == 1


@pytest.mark.parametrize("who", [{"key": "other-key"}, {"secret": "other-secret"}])
def test_a_wrong_key_or_secret_is_unauthorized(server, who):
    answer = new_code(client_for(server, **who))
    assert code_of(answer) == "UNAUTHORIZED"
    assert server.count("POST", "/v2/codes", 401) == 1
    assert server.codes_for("mdg-0001") == 0


def test_another_merchant_is_out_of_scope(server):
    assert code_of(new_code(client_for(server, merchant="someone-else"))) == "OP_OUT_OF_SCOPE"


def test_a_tampered_body_is_refused(server):
    client = client_for(server)
    body = {"merchantPaymentId": "mdg-0002", "amount": {"amount": 600, "currency": "JPY"},
            "codeType": "ORDER_QR", "requestedAt": int(time.time())}
    tampered = json.dumps({**body, "amount": {"amount": 6, "currency": "JPY"}}).encode()
    response = signed_post(server, client, "/v2/codes", body, send=tampered)
    assert response.status_code == 401
    assert response.json()["resultInfo"]["code"] == "UNAUTHORIZED"
    assert server.codes_for("mdg-0002") == 0
    assert signed_post(server, client, "/v2/codes", body).status_code == 201  # the honest one passes


def test_a_replayed_header_is_refused(server):
    client = client_for(server)
    body = {"merchantPaymentId": "mdg-0003", "amount": {"amount": 600, "currency": "JPY"},
            "codeType": "ORDER_QR", "requestedAt": int(time.time())}
    data, auth = client._update_request(body, "/v2/codes", "POST")
    headers = {"Authorization": auth, "Content-Type": "application/json;charset=UTF-8",
               "X-ASSUME-MERCHANT": server.merchant_id}
    assert requests.post(server.base_url + "/v2/codes", data=data, headers=headers, timeout=5).status_code == 201
    again = requests.post(server.base_url + "/v2/codes", data=data, headers=headers, timeout=5)
    assert (again.status_code, again.json()["resultInfo"]["code"]) == (401, "UNAUTHORIZED")


def opa_header(key, secret, method, path, epoch, nonce="abcd1234"):
    """PayPay's HMAC header for a request without a body, written from the reference."""
    signed = "\n".join([path, method, nonce, str(epoch), "empty", "empty"])
    mac = base64.b64encode(hmac.new(secret.encode(), signed.encode(), hashlib.sha256).digest()).decode()
    return f"hmac OPA-Auth:{key}:{mac}:{nonce}:{epoch}:empty"


@pytest.mark.parametrize("late, code", [(0, "DYNAMIC_QR_PAYMENT_NOT_FOUND"), (180, "UNAUTHORIZED")])
def test_a_stale_epoch_is_refused(server, late, code):
    header = opa_header(server.api_key, server.api_secret, "GET", "/v2/codes/payments/x",
                        int(time.time()) - late)
    response = requests.get(server.base_url + "/v2/codes/payments/x", timeout=5,
                            headers={"Authorization": header, "X-ASSUME-MERCHANT": server.merchant_id})
    assert response.json()["resultInfo"]["code"] == code


def test_no_header_at_all_is_refused(server):
    response = requests.get(server.base_url + "/v2/codes/payments/x", timeout=5)
    assert (response.status_code, response.json()["resultInfo"]["code"]) == (401, "UNAUTHORIZED")


# -- codes and payments -----------------------------------------------------------------------


def test_a_merchant_payment_id_makes_one_code_only(server):
    client = client_for(server)
    assert code_of(new_code(client)) == "SUCCESS"
    again = new_code(client)
    assert (code_of(again), again["resultInfo"]["codeId"]) == ("DUPLICATE_DYNAMIC_QR_REQUEST", "01652073")
    assert server.codes_for("mdg-0001") == 1


@pytest.mark.parametrize("change", [
    {"amount": {"amount": 600.0, "currency": "JPY"}},
    {"amount": {"amount": 600, "currency": "USD"}},
    {"codeType": "STATIC_QR"},
    {"merchantPaymentId": "has space"},
    {"redirectType": "SOMEWHERE"},
])
def test_bad_codes_are_refused(server, change):
    client = client_for(server)
    body = {"merchantPaymentId": "mdg-0004", "amount": {"amount": 600, "currency": "JPY"},
            "codeType": "ORDER_QR", "requestedAt": int(time.time()), **change}
    response = signed_post(server, client, "/v2/codes", body)
    assert response.status_code == 400
    assert response.json()["resultInfo"]["code"] in ("INVALID_REQUEST_PARAMS", "DYNAMIC_QR_BAD_REQUEST")


def test_details_follow_the_payment(server):
    client = client_for(server)
    new_code(client)
    assert client.Code.get_payment_details("mdg-0001")["data"]["status"] == "CREATED"
    event = server.pay("mdg-0001")
    details = client.Code.get_payment_details("mdg-0001")["data"]
    assert (details["status"], details["amount"]["amount"]) == ("COMPLETED", 600)
    assert details["paymentId"] == event["order_id"]
    assert event["merchant_order_id"] == "mdg-0001" and event["state"] == "COMPLETED"
    assert server.held_webhooks == [event]  # no webhook URL: held for the test to deliver


def test_an_unknown_payment_is_not_found(server):
    answer = client_for(server).Code.get_payment_details("nobody")
    assert (code_of(answer), answer["resultInfo"]["codeId"]) == ("DYNAMIC_QR_PAYMENT_NOT_FOUND", "01652075")


def test_an_expired_code_cannot_be_paid_and_is_not_found(server):
    client = client_for(server)
    new_code(client)
    server.advance(server.code_lifetime + 1)
    with pytest.raises(ValueError):
        server.pay("mdg-0001")
    assert code_of(client.Code.get_payment_details("mdg-0001")) == "DYNAMIC_QR_PAYMENT_NOT_FOUND"
    server.faults.expired_as_status = True
    assert client.Code.get_payment_details("mdg-0001")["data"]["status"] == "EXPIRED"


def test_a_deleted_code_cannot_be_paid(server):
    client = client_for(server)
    code_id = new_code(client)["data"]["codeId"]
    assert code_of(client.Code.delete_qr_code(code_id)) == "SUCCESS"
    assert code_of(client.Code.delete_qr_code(code_id)) == "DYNAMIC_QR_NOT_FOUND"
    with pytest.raises(ValueError):
        server.pay("mdg-0001")
    page = requests.get(server.base_url + f"/app/{code_id}", timeout=5)
    assert '<p id="code-state">expired</p>' in page.text


def test_a_paid_code_is_not_deleted(server):
    client = client_for(server)
    code_id = new_code(client)["data"]["codeId"]
    server.pay("mdg-0001")
    assert code_of(client.Code.delete_qr_code(code_id)) == "DYNAMIC_QR_ALREADY_PAID"


# -- refunds ------------------------------------------------------------------------------------


def refund(client, payment_id, amount, merchant_refund_id="rf-1"):
    return client.Payment.refund_payment({"merchantRefundId": merchant_refund_id, "paymentId": payment_id,
                                          "amount": {"amount": amount, "currency": "JPY"}})


def test_refunds_partial_idempotent_and_capped(server):
    client = client_for(server)
    new_code(client)
    payment_id = server.pay("mdg-0001")["order_id"]
    first = refund(client, payment_id, 200)
    assert (code_of(first), first["data"]["status"]) == ("SUCCESS", "CREATED")
    assert refund(client, payment_id, 200)["data"]["merchantRefundId"] == "rf-1"  # same id: same refund
    assert code_of(refund(client, payment_id, 500, "rf-2")) == "INVALID_PARAMS"  # 400 left
    assert code_of(refund(client, payment_id, 400, "rf-2")) == "SUCCESS"
    assert client.Payment.refund_details("rf-1")["data"]["status"] == "REFUNDED"
    assert code_of(client.Payment.refund_details("rf-9")) == "NO_SUCH_REFUND_ORDER"
    details = client.Code.get_payment_details("mdg-0001")["data"]
    assert [r["amount"]["amount"] for r in details["refunds"]["data"]] == [200, 400]


def test_refund_of_an_unknown_or_unpaid_order(server):
    client = client_for(server)
    assert code_of(refund(client, "0123", 100)) == "RESOURCE_NOT_FOUND"
    new_code(client)
    payment_id = server.pay("mdg-0001", fail=True)["order_id"]
    assert code_of(refund(client, payment_id, 100)) == "UNACCEPTABLE_OP"


# -- the resident's page and the webhook --------------------------------------------------------


def test_paying_on_the_page_sends_the_webhook_then_returns(server):
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    received = []

    class Receiver(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_POST(self):
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"OK")

    receiver = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    try:
        server.webhook_url = f"http://127.0.0.1:{receiver.server_address[1]}/hook"
        code_id = new_code(client_for(server))["data"]["codeId"]
        page = requests.get(server.base_url + f"/app/{code_id}", timeout=5)
        assert 'id="amount">600円' in page.text
        answer = requests.post(server.base_url + f"/app/{code_id}/pay", allow_redirects=False, timeout=5)
        assert (answer.status_code, answer.headers["Location"]) == (303, "http://127.0.0.1:1/back")
        assert [e["state"] for e in received] == ["COMPLETED"]
        assert received[0]["merchant_order_id"] == "mdg-0001"
        assert "signature" not in json.dumps(received[0]).lower()  # PayPay does not sign it
    finally:
        receiver.shutdown()
        receiver.server_close()


@pytest.mark.parametrize("fault, status", [("maintenance", 503), ("rate_limit", 429)])
def test_faults_answer_as_paypay_does(server, fault, status):
    setattr(server.faults, fault, True)
    answer = new_code(client_for(server))
    assert code_of(answer) in ("MAINTENANCE_MODE", "RATE_LIMIT")
    assert server.count("POST", "/v2/codes", status) == 1


def test_a_lost_response_still_made_the_code(server):
    server.faults.lose_create_response = 1
    client = client_for(server)
    assert code_of(new_code(client)) == "INTERNAL_SERVER_ERROR"
    assert server.codes_for("mdg-0001") == 1
    assert code_of(new_code(client)) == "DUPLICATE_DYNAMIC_QR_REQUEST"
