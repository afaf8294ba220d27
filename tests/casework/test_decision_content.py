"""A decision's content (支給額, 支給開始月, 対象児童, 支払月 …): the procedure file's rules, the one
validator the page and the API share, what the approver sees and approves (the digest), what the
notice prints, what the business systems receive. 届出 are 受理 without a notice."""

import io
import json

import pypdf
import pytest
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from pydantic import ValidationError

from madoguchi.applications import services as applications
from madoguchi.applications.models import IssuedDocument, Status, Submission
from madoguchi.casework import decisions
from madoguchi.casework import services as casework
from madoguchi.casework.models import ChecklistTick, Decision
from madoguchi.catalog.loader import catalog
from madoguchi.catalog.schema import Procedure
from madoguchi.core.actors import Actor
from madoguchi.identity.emailcode import issue_api_token

from support import submit_via_web

pytestmark = pytest.mark.django_db

CODE = "child-allowance-claim"
# ja-only: test data (what a drafter types)
GOOD = {"monthly_amount": "15,000", "start_month": "令和8年12月", "children": ["0"],
        "payment_months": ["feb", "apr", "jun", "aug", "oct", "dec"]}


def procedure(code=CODE):
    return catalog()[code]


def answers():
    return {"children": [{"name": "髙橋\u3000一郎", "birth_date": "2020-06-15"},  # ja-only: test data
                         {"name": "髙橋\u3000二郎", "birth_date": "2022-10-01"}]}  # ja-only: test data


# --- the procedure file's rules: a bad `decision:` fails loading ------------------------------

def with_decision(decision, code=CODE, **changes):
    data = procedure(code).model_dump(mode="json", by_alias=True, exclude_none=True)
    return Procedure.model_validate({**data, **changes, "decision": decision})


@pytest.mark.parametrize("field, complaint", [
    ({"id": "a", "label": "区分", "type": "choice"}, "needs options"),
    ({"id": "a", "label": "額", "type": "yen", "options": [{"value": "x", "label": "x"}]}, "takes no options"),
    ({"id": "a", "label": "月", "type": "choices", "options": [{"value": "x", "label": "x"}],
      "default": ["y"]}, "not among the options"),
    ({"id": "a", "label": "区分", "type": "choice", "options": [{"value": "x", "label": "x"}],
      "default": ["x"]}, "one option value"),
    ({"id": "a", "label": "額", "type": "yen", "default": "x"}, "only choice and choices"),
    ({"id": "a", "label": "額", "type": "yen", "min_value": 10, "max_value": 1}, "larger than"),
    ({"id": "a", "label": "額", "type": "yen", "min_value": -1}, "not negative"),
    ({"id": "a", "label": "月", "type": "month", "min_value": 1}, "belong to yen and number"),
    ({"id": "a", "label": "額", "type": "yen", "max_length": 3}, "max_length belongs to text"),
    ({"id": "a", "label": "児童", "type": "children"}, "names the form's group"),
    ({"id": "a", "label": "額", "type": "yen", "group": "children"}, "names the form's group"),
    ({"id": "a", "label": "月", "type": "choices",
      "options": [{"value": "x", "label": "x"}, {"value": "x", "label": "y"}]}, "unique"),
    ({"id": "a", "label": "児童", "type": "children", "group": "claimant_name"}, "not a group of the form"),
    ({"id": "a", "label": "児童", "type": "children", "group": "nothing"}, "not a group of the form"),
])
def test_a_field_that_cannot_be_filled_or_printed_fails_loading(field, complaint):
    with pytest.raises(ValidationError, match=complaint):
        with_decision({"approve": [field]})


def test_field_ids_are_unique_and_a_notification_states_nothing():
    field = {"id": "a", "label": "額", "type": "yen"}
    with pytest.raises(ValidationError, match="unique"):
        with_decision({"approve": [field, field]})
    with pytest.raises(ValidationError, match="受理"):
        with_decision({"approve": [field]}, code="dog-registration-change")


def test_the_shipped_files_define_content_for_kodomo_applications():
    for code in ("child-allowance-claim", "child-rearing-allowance-claim", "child-medical-subsidy",
                 "childcare-eligibility"):
        assert procedure(code).decision.approve, code
    months = next(f for f in procedure().decision.approve if f.id == "payment_months")
    assert [o.label for o in months.options] == ["2月", "4月", "6月", "8月", "10月", "12月"]  # ja-only: test data
    assert months.default == ["feb", "apr", "jun", "aug", "oct", "dec"]


# --- the validator: every rule can fail --------------------------------------------------------

def refused(raw, outcome="approve"):
    with pytest.raises(decisions.ContentRefused) as caught:
        decisions.validate(procedure(), outcome, raw, answers())
    return caught.value.errors


@pytest.mark.parametrize("changes, field", [
    ({"monthly_amount": ""}, "monthly_amount"),
    ({"monthly_amount": "abc"}, "monthly_amount"),
    ({"monthly_amount": "9,999"}, "monthly_amount"),
    ({"monthly_amount": 300_001}, "monthly_amount"),
    ({"monthly_amount": True}, "monthly_amount"),
    ({"monthly_amount": ["15000", "10000"]}, "monthly_amount"),
    ({"start_month": "12月"}, "start_month"),  # ja-only: test data
    ({"start_month": "2026-13"}, "start_month"),
    ({"start_month": "1900-01"}, "start_month"),
    ({"start_month": 202612}, "start_month"),
    ({"children": []}, "children"),
    ({"children": ["2"]}, "children"),
    ({"children": ["-1"]}, "children"),
    ({"children": [True]}, "children"),
    ({"payment_months": []}, "payment_months"),
    ({"payment_months": ["jan"]}, "payment_months"),
    ({"payment_months": [1]}, "payment_months"),
    ({"bonus": "1"}, "bonus"),
])
def test_each_rule_refuses_with_a_message_at_its_field(changes, field):
    errors = refused({**GOOD, **changes})
    assert list(errors) == [field]
    assert errors[field]


def test_typed_values_and_what_the_notice_prints():
    content = decisions.validate(procedure(), "approve", {**GOOD, "children": ["1", "0", "1"]}, answers())
    values = {f["id"]: f["value"] for f in content}
    assert values["monthly_amount"] == 15000
    assert values["start_month"] == "2026-12"
    assert [c["item"] for c in values["children"]] == [0, 1]
    assert values["payment_months"] == ["feb", "apr", "jun", "aug", "oct", "dec"]
    printed = {f["id"]: f["printed"] for f in content}
    assert printed["monthly_amount"] == "15,000円"  # ja-only: test data
    assert printed["start_month"] == "令和8年12月分から"  # ja-only: test data
    assert printed["children"] == "髙橋\u3000一郎（令和2年6月15日生）、髙橋\u3000二郎（令和4年10月1日生）"  # ja-only: test data
    assert printed["payment_months"] == "2月・4月・6月・8月・10月・12月"  # ja-only: test data


@pytest.mark.parametrize("typed", ["2026-12", "2026/12", "2026年12月", "令和8年12月", "R8.12", "２０２６－１２"])  # ja-only: test data
def test_a_month_is_read_as_people_write_it(typed):
    content = decisions.validate(procedure(), "approve", {**GOOD, "start_month": typed}, answers())
    assert next(f["value"] for f in content if f["id"] == "start_month") == "2026-12"


def test_a_month_before_reiwa_prints_in_heisei():
    field = next(f for f in procedure().decision.approve if f.id == "start_month")
    assert decisions.printed(field, "2019-04") == "平成31年4月分から"  # ja-only: test data
    assert decisions.printed(field, "2019-05") == "令和元年5月分から"  # ja-only: test data


def test_a_rejection_states_only_its_reason_and_a_notification_nothing():
    assert decisions.validate(procedure(), "reject", {}, answers()) == []
    assert refused({"monthly_amount": 1}, outcome="reject") == {"monthly_amount": "この決定にはない項目です。"}  # ja-only
    assert decisions.validate(procedure("dog-registration-change"), "approve", {}, {}) == []


# --- the service, the page, the approval, the notice --------------------------------------------

# ja-only: test data (a second child on the application)
SECOND_CHILD = {"children-count": "2", "children-1-name": "髙橋 二郎", "children-1-kana": "タカハシ ジロウ",
                "children-1-birth_date": "2022-10-01", "children-1-relationship": "child",
                "children-1-living": "together"}


@pytest.fixture
def case(resident_client):
    return submit_via_web(resident_client, CODE, SECOND_CHILD)


def tick_all(case, user):
    for item in procedure().checklist:
        ChecklistTick.objects.get_or_create(submission=case, item=item.id, defaults={"ticked_by": user})


def accepted(case, staff):
    casework.accept(case, staff["kodomo-tanto"], Actor.staff(staff["kodomo-tanto"]))
    tick_all(case, staff["kodomo-tanto"])
    case.refresh_from_db()
    return case


def page_post(client, user, case, action, data):
    client.force_login(user)
    return client.post(reverse("casework:action", args=[case.public_id, action]), data)


def form_data(**content):
    data = {"outcome": "approve", "reason": ""}
    for key, value in {**GOOD, **content}.items():
        data[f"approve-{key}"] = value
    return data


def test_a_proposal_waits_for_the_required_checklist(case, staff):
    clerk = staff["kodomo-tanto"]
    casework.accept(case, clerk, Actor.staff(clerk))
    with pytest.raises(casework.CaseActionError) as caught:
        casework.perform("propose", case, clerk, Actor.staff(clerk), {"outcome": "approve", "content": GOOD})
    assert caught.value.code == "checklist"
    tick_all(case, clerk)
    casework.perform("propose", case, clerk, Actor.staff(clerk), {"outcome": "approve", "content": GOOD})
    case.refresh_from_db()
    assert case.status == Status.PENDING_APPROVAL


def test_refused_content_comes_back_at_its_fields_with_what_was_typed(client, case, staff):
    accepted(case, staff)
    response = page_post(client, staff["kodomo-tanto"], case, "propose",
                         form_data(monthly_amount="1万5千", start_month="来月"))  # ja-only: test data
    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="decision-approve-monthly_amount-error"' in page
    assert 'id="decision-approve-start_month-error"' in page
    assert 'value="1万5千"' in page and 'value="来月"' in page  # ja-only: test data
    assert 'aria-invalid="true"' in page and "refused-content" in page
    assert 'id="decision-approve-children-0" name="approve-children" value="0" checked' in page
    assert 'id="decision-approve-children-1" name="approve-children" value="1">' in page
    case.refresh_from_db()
    assert case.status == Status.ACCEPTED and not case.decisions.exists()


def test_the_approver_sees_the_printed_content_and_approves_exactly_it(client, case, staff):
    accepted(case, staff)
    drafter, approver = staff["kodomo-tanto"], staff["kodomo-kacho"]
    assert page_post(client, drafter, case, "propose", form_data()).status_code == 302
    decision = Decision.objects.get(submission=case)
    with connection.cursor() as cursor:  # stored encrypted: no amount, no child's name in the row
        cursor.execute("SELECT content FROM casework_decision WHERE id = %s", [decision.pk])
        raw = cursor.fetchone()[0]
    raw = bytes(raw).decode("latin-1") if not isinstance(raw, str) else raw
    assert "15000" not in raw and "髙橋" not in raw and "monthly_amount" not in raw  # ja-only: test data

    client.force_login(approver)
    page = client.get(reverse("casework:case", args=[case.public_id])).content.decode()
    assert 'id="pending-content"' in page
    for text in ("15,000円", "令和8年12月分から", "2月・4月・6月・8月・10月・12月"):  # ja-only: test data
        assert text in page
    seen = decisions.digest(decision)
    assert f'name="content_digest" value="{seen}"' in page

    # Another drafter re-proposes a different amount after the approver loaded the page.
    casework.send_back(case, approver, Actor.staff(approver), "")
    case.refresh_from_db()
    casework.perform("propose", case, drafter, Actor.staff(drafter),
                     {"outcome": "approve", "content": {**GOOD, "monthly_amount": 25000}})
    response = page_post(client, approver, case, "approve", {"content_digest": seen})
    follow = client.get(response["Location"]).content.decode()
    assert "refused-content-changed" in follow
    case.refresh_from_db()
    assert case.status == Status.PENDING_APPROVAL
    assert not IssuedDocument.objects.filter(submission=case, kind=IssuedDocument.Kind.NOTICE).exists()

    current = case.decisions.get(state=Decision.State.PENDING)
    page_post(client, approver, case, "approve", {"content_digest": decisions.digest(current)})
    case.refresh_from_db()
    assert case.status == Status.APPROVED
    notice = IssuedDocument.objects.get(submission=case, kind=IssuedDocument.Kind.NOTICE)
    text = "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(applications.document_bytes(notice))).pages)
    text = text.replace(" ", "").replace("\n", "")
    for printed in ("支給額（月額）", "25,000円", "支給開始月", "令和8年12月分から", "対象児童",  # ja-only: test data
                    "支払月", "2月・4月・6月・8月・10月・12月"):  # ja-only: test data
        assert printed in text, printed

    handed = decisions.for_handoff(case.decisions.get(state=Decision.State.APPROVED))
    assert handed["content"]["monthly_amount"] == 25000
    assert handed["content"]["start_month"] == "2026-12"
    assert handed["content"]["payment_months"] == ["feb", "apr", "jun", "aug", "oct", "dec"]
    assert [c["item"] for c in handed["content"]["children"]] == [0]
    json.dumps(handed)  # machine-readable as it is


def test_a_notification_is_received_without_a_notice(resident_client, client, staff):
    case = submit_via_web(resident_client, "dog-registration-change")
    clerk, approver = staff["kankyo-tanto"], staff["kankyo-kacho"]
    casework.accept(case, clerk, Actor.staff(clerk))
    with pytest.raises(casework.CaseActionError) as caught:
        casework.propose_decision(case, clerk, Actor.staff(clerk), "reject", "理由")  # ja-only: test data
    assert caught.value.code == "outcome"
    client.force_login(clerk)
    page = client.get(reverse("casework:case", args=[case.public_id])).content.decode()
    assert 'id="decision-receipt"' in page and 'name="outcome" value="reject"' not in page
    assert page_post(client, clerk, case, "propose", {"outcome": "approve"}).status_code == 302
    decision = Decision.objects.get(submission=case)
    page_post(client, approver, case, "approve", {"content_digest": decisions.digest(decision)})
    case.refresh_from_db()
    assert case.status == Status.APPROVED
    assert not IssuedDocument.objects.filter(submission=case, kind=IssuedDocument.Kind.NOTICE).exists()
    decision.refresh_from_db()
    assert decision.state == Decision.State.APPROVED and decision.notice_number == ""  # no notice, no number


# --- the API: the same validator, refusals per field ---------------------------------------------

def test_the_api_proposes_with_content_and_refuses_per_field(client, city, case, staff):
    accepted(case, staff)
    token = issue_api_token(city, staff_user=staff["kodomo-tanto"])
    url = f"/api/staff/cases/{case.public_id}/actions/propose"
    headers = {"Authorization": f"Bearer {token}"}
    response = client.post(url, {"outcome": "approve", "content": {**GOOD, "monthly_amount": "x",
                                                                   "children": [5]}},
                           content_type="application/json", headers=headers)
    assert response.status_code == 422
    errors = response.json()["detail"]["errors"]
    assert set(errors) == {"content.monthly_amount", "content.children"}
    case.refresh_from_db()
    assert case.status == Status.ACCEPTED

    content = {"monthly_amount": 15000, "start_month": "2026-12", "children": [0],
               "payment_months": ["feb", "apr", "jun", "aug", "oct", "dec"]}
    response = client.post(url, {"outcome": "approve", "content": content},
                           content_type="application/json", headers=headers)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == Status.PENDING_APPROVAL
    assert body["decision"]["content"]["monthly_amount"] == 15000
    assert ["支給額（月額）", "15,000円"] in body["decision"]["rows"]  # ja-only: test data

    approver = issue_api_token(city, staff_user=staff["kodomo-kacho"])
    approve = f"/api/staff/cases/{case.public_id}/actions/approve"
    stale = client.post(approve, {"content_digest": "0" * 64}, content_type="application/json",
                        headers={"Authorization": f"Bearer {approver}"})
    assert stale.status_code == 409
    done = client.post(approve, {"content_digest": body["decision"]["digest"]},
                       content_type="application/json", headers={"Authorization": f"Bearer {approver}"})
    assert done.status_code == 200 and done.json()["status"] == Status.APPROVED


# --- the demo city's case, ready to decide ------------------------------------------------------

def test_the_demo_has_a_child_allowance_claim_ready_to_decide(city, staff):
    out = io.StringIO()
    call_command("load_casework_demo", stdout=out)
    call_command("load_casework_demo", stdout=io.StringIO())  # again: the same case
    case = Submission.objects.get(procedure_code=CODE)
    assert case.receipt_number in out.getvalue()
    assert case.status == Status.ACCEPTED
    clerk, approver = staff["kodomo-tanto"], staff["kodomo-kacho"]
    casework.perform("propose", case, clerk, Actor.staff(clerk), {"outcome": "approve", "content": GOOD})
    casework.approve(case, approver, Actor.staff(approver))
    case.refresh_from_db()
    assert case.status == Status.APPROVED
