"""The API: the catalogue, a resident's submission by e-mail code and token, the status
check, and the staff endpoints."""

import json
import re

import pytest
from django.core import mail

from madoguchi.applications.models import Status, Submission, SubmissionVersion
from madoguchi.applications.receipts import normalize_receipt_number
from madoguchi.applications.services import scoped_idempotency_key
from madoguchi.catalog.loader import catalog, catalog_for
from madoguchi.identity.emailcode import issue_api_token
from madoguchi.identity.models import ResidentAccount
from madoguchi.notify.services import deliver_pending

from support import api_answers

pytestmark = pytest.mark.django_db

CODE = "dog-registration-change"


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def submit(client, token, answers, key="key-0001", procedure=CODE):
    headers = bearer(token) | ({"Idempotency-Key": key} if key else {})
    return client.post("/api/submissions", {"procedure": procedure, "answers": answers},
                       content_type="application/json", headers=headers)


@pytest.fixture
def answers():
    return api_answers(catalog()[CODE].current_form)


@pytest.fixture
def resident_token(client, city):
    """The resident flow: ask for a code by e-mail, read it from the mail, exchange it."""
    response = client.post("/api/auth/email-code", {"email": "taro@example.jp"},
                           content_type="application/json")
    assert response.status_code == 202
    deliver_pending()
    assert mail.outbox[-1].to == ["taro@example.jp"]
    code = re.search(r"確認コード: (\d{6})", mail.outbox[-1].body).group(1)
    wrong = client.post("/api/auth/token", {"email": "taro@example.jp",
                                            "code": "000000" if code != "000000" else "111111"},
                        content_type="application/json")
    assert wrong.status_code == 401
    response = client.post("/api/auth/token", {"email": "taro@example.jp", "code": code},
                           content_type="application/json")
    assert response.status_code == 200
    return response.json()["token"]


def test_openapi_and_docs(client, city):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    schema = json.loads(response.content)
    assert schema["openapi"].startswith("3.")
    paths = schema["paths"]
    for path in ("/api/procedures", "/api/procedures/{code}", "/api/submissions",
                 "/api/submissions/{receipt_number}/status", "/api/staff/cases",
                 "/api/staff/cases/{case_id}/actions/{action}"):
        assert path in paths, path
    assert "post" in paths["/api/submissions"]
    assert client.get("/api/docs").status_code == 200


def test_procedures_list_and_search(client, city):
    rows = client.get("/api/procedures").json()
    assert {row["code"] for row in rows} == set(catalog_for("demo"))
    dog = next(row for row in rows if row["code"] == CODE)
    assert dog["title"] == "犬の登録事項変更届" and dog["department"] == "kankyo"
    assert dog["form_version"] == catalog()[CODE].current_form.version
    found = [row["code"] for row in client.get("/api/procedures", {"q": "犬"}).json()]
    dogs = {"dog-registration", "dog-registration-change", "dog-death-notification"}
    assert set(found[:3]) == dogs
    assert client.get("/api/procedures", {"q": "量子コンピュータ"}).json() == []


def test_procedure_detail_has_the_form(client, city):
    detail = client.get(f"/api/procedures/{CODE}").json()
    assert detail["code"] == CODE
    steps = detail["form"]["steps"]
    assert [s["id"] for s in steps] == ["owner", "dog"]
    fields = {f["id"]: f for s in steps for f in s["fields"]}
    assert fields["owner_kana"]["type"] == "kana" and fields["owner_kana"]["required"] is True
    assert "old_address" in fields
    assert client.get("/api/procedures/no-such-procedure").status_code == 404


def test_resident_submits_once_per_idempotency_key(client, resident_token, answers):
    first = submit(client, resident_token, answers)
    assert first.status_code == 201, first.content
    body = first.json()
    assert normalize_receipt_number(body["receipt_number"]) == body["receipt_number"]
    assert body["status"] == Status.SUBMITTED and body["status_token"]
    again = submit(client, resident_token, answers)
    assert again.status_code == 200
    assert again.json()["receipt_number"] == body["receipt_number"]
    assert again.json()["status_token"] == body["status_token"]
    assert Submission.objects.count() == 1
    submission = Submission.objects.get()
    assert submission.account.email == "taro@example.jp"
    assert submission.idempotency_key == scoped_idempotency_key(submission.account, "key-0001")
    assert SubmissionVersion.objects.filter(submission=submission).count() == 1

    other = submit(client, resident_token, answers, key="key-0002")
    assert other.status_code == 201
    assert other.json()["receipt_number"] != body["receipt_number"]
    assert Submission.objects.count() == 2


def test_idempotency_key_is_required_and_bounded(client, resident_token, answers):
    assert submit(client, resident_token, answers, key=None).status_code == 422
    assert submit(client, resident_token, answers, key="k" * 65).status_code == 422
    assert not Submission.objects.exists()


def test_another_residents_same_key_is_their_own(client, city, resident_token, answers):
    """Keys belong to the account: the same key from another account is another submission
    (tests/security/test_idempotency.py races the two)."""
    first = submit(client, resident_token, answers, key="shared")
    assert first.status_code == 201
    other = ResidentAccount.objects.create(municipality=city, email="jiro@example.jp")
    response = submit(client, issue_api_token(city, account=other), answers, key="shared")
    assert response.status_code == 201
    assert response.json()["id"] != first.json()["id"]
    assert Submission.objects.filter(account=other).count() == 1


def test_invalid_answers_are_refused_in_japanese(client, resident_token, answers):
    answers["owner_kana"] = "Takahashi"
    del answers["dog_name"]
    response = submit(client, resident_token, answers)
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert detail["message"] == "入力内容に誤りがあります。"
    assert "カタカナで入力してください" in detail["errors"]["owner_kana"]
    assert detail["errors"]["dog_name"] == "犬の名前を入力してください"
    assert not Submission.objects.exists()
    assert not SubmissionVersion.objects.exists()


@pytest.mark.parametrize("language", ["en", "zh-Hans", "ja-JP"])
def test_invalid_answers_are_refused_in_any_language(client, resident_token, answers, language):
    """The API follows Accept-Language: whatever language (translated or not yet), a refusal
    names the same fields with a message for each."""
    answers["owner_kana"] = "Takahashi"
    del answers["dog_name"]
    response = client.post("/api/submissions", {"procedure": CODE, "answers": answers},
                           content_type="application/json",
                           headers=bearer(resident_token) | {"Idempotency-Key": "key-lang",
                                                             "Accept-Language": language})
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert detail["message"]
    assert set(detail["errors"]) == {"owner_kana", "dog_name"}
    assert all(isinstance(m, str) and m for m in detail["errors"].values())
    assert not Submission.objects.exists()


def test_a_request_the_schema_refuses_names_the_value_in_english_too(client, resident_token, answers):
    response = client.post("/api/submissions", {"procedure": CODE, "answers": answers},
                           content_type="application/json",
                           headers=bearer(resident_token) | {"Accept-Language": "en"})
    assert response.status_code == 422
    assert set(response.json()["detail"]["errors"]) == {"Idempotency-Key"}
    missing = client.get("/api/procedures/no-such", headers={"Accept-Language": "en"})
    assert missing.status_code == 404 and missing.json()["detail"]


def test_unknown_procedure_and_no_token(client, resident_token, answers):
    assert submit(client, resident_token, answers, procedure="no-such").status_code == 404
    response = client.post("/api/submissions", {"procedure": CODE, "answers": answers},
                           content_type="application/json", headers={"Idempotency-Key": "x"})
    assert response.status_code == 401
    assert submit(client, "not-a-token", answers).status_code == 401
    assert not Submission.objects.exists()


def test_status_needs_the_status_token(client, resident_token, answers):
    body = submit(client, resident_token, answers).json()
    receipt, token = body["receipt_number"], body["status_token"]
    url = f"/api/submissions/{receipt}/status"
    response = client.get(url, headers={"X-Status-Token": token})
    assert response.status_code == 200
    assert response.json()["status"] == Status.SUBMITTED
    assert response.json()["status_label"] == Status.SUBMITTED.label
    assert [e["status"] for e in response.json()["events"]] == [Status.SUBMITTED]

    assert client.get(url, headers={"X-Status-Token": "0" * 32}).status_code == 404
    assert client.get(url).status_code == 422  # the header is required
    typed = receipt.lower().replace("-", "")
    response = client.get(f"/api/submissions/{typed}/status", headers={"X-Status-Token": token})
    assert response.status_code == 200 and response.json()["receipt_number"] == receipt
    assert client.get("/api/submissions/2222-2222/status",
                      headers={"X-Status-Token": token}).status_code == 404


def test_staff_endpoints(client, city, staff, resident_token, answers):
    receipt = submit(client, resident_token, answers).json()["receipt_number"]
    case = Submission.objects.get(receipt_number=receipt)
    token = issue_api_token(city, staff_user=staff["kankyo-tanto"])

    cases = client.get("/api/staff/cases", headers=bearer(token)).json()
    assert [c["receipt_number"] for c in cases] == [receipt]
    assert cases[0]["id"] == str(case.public_id) and cases[0]["department"] == "kankyo"
    assert client.get("/api/staff/cases", {"status": "accepted"}, headers=bearer(token)).json() == []

    url = f"/api/staff/cases/{case.public_id}/actions/accept"
    response = client.post(url, {}, content_type="application/json", headers=bearer(token))
    assert response.status_code == 200 and response.json()["status"] == Status.ACCEPTED
    again = client.post(url, {}, content_type="application/json", headers=bearer(token))
    assert again.status_code == 409 and "進めません" in again.json()["detail"]
    response = client.post(f"/api/staff/cases/{case.public_id}/actions/return", {"message": ""},
                           content_type="application/json", headers=bearer(token))
    assert response.status_code == 422 and "差戻しの理由" in response.json()["detail"]["message"]
    assert set(response.json()["detail"]["errors"]) == {"message", "return_reason"}
    response = client.post(f"/api/staff/cases/{case.public_id}/actions/delete", {},
                           content_type="application/json", headers=bearer(token))
    assert response.status_code == 404

    # a resident's token is not a staff token
    assert client.get("/api/staff/cases", headers=bearer(resident_token)).status_code == 401
    response = client.post(f"/api/staff/cases/{case.public_id}/actions/return",
                           {"message": "x"}, content_type="application/json",
                           headers=bearer(resident_token))
    assert response.status_code == 401
    case.refresh_from_db()
    assert case.status == Status.ACCEPTED


def test_invalid_case_id_is_404_not_500(client, city, staff):
    token = issue_api_token(city, staff_user=staff["kankyo-tanto"])
    for case_id in ("not-a-uuid", "1", "00000000-0000-0000-0000-00000000000g"):
        response = client.post(f"/api/staff/cases/{case_id}/actions/accept", {},
                               content_type="application/json", headers=bearer(token))
        assert response.status_code == 404, case_id


def test_the_api_document_names_each_status_once(client, city):
    """A status given as 422 by the operation and "422" by the shared answers was written twice:
    /api/docs showed 'duplicated mapping key' and strict clients refuse the document."""
    import json

    def no_duplicates(pairs):
        keys = [key for key, _ in pairs]
        assert len(keys) == len(set(keys)), keys
        return dict(pairs)

    document = json.loads(client.get("/api/openapi.json").content, object_pairs_hook=no_duplicates)
    assert document["paths"]["/api/submissions"]["post"]["responses"]["422"]
