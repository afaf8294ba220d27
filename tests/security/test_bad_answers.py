"""Bad answers and parameters get a plain 400/404/422 naming what was wrong, never a 500:
lone surrogates, NUL, dates outside what the pages can show, yen written with ² or ①, page
numbers past 2⁶³, form buttons naming no group or item.

Decided: an amount is digits as a person types them (half or full width, commas, 円);
「²」 and 「①」 are refused, not read as 2 and 1.
"""

import json
import uuid

import pytest
from django.urls import reverse

from madoguchi.applications import fieldvalues
from madoguchi.applications.attachments import store
from madoguchi.applications.models import Draft, Submission
from madoguchi.applications.services import answers_of
from madoguchi.catalog.loader import catalog
from madoguchi.catalog.schema import FieldType
from madoguchi.identity.emailcode import issue_api_token
from security.answers import valid_answers

from support import api_answers, png_bytes, step_data

pytestmark = pytest.mark.django_db

DOG = "dog-registration-change"
ASSETS = "care-cost-limit-certification"


@pytest.fixture
def assets_answers(account):
    """Valid answers for the procedure with yen fields (min_value 0), its files attached."""
    scan = store(account, "scan.png", png_bytes(), ["png"])
    return valid_answers(catalog()[ASSETS].current_form, str(scan.public_id))


def post_raw(client, token, body: str):
    """A JSON body as a client sends it, escapes and all (a lone surrogate is `\\ud800`)."""
    return client.post("/api/submissions", body, content_type="application/json",
                       headers={"Authorization": f"Bearer {token}",
                                "Idempotency-Key": uuid.uuid4().hex})


def dog_body(**changes) -> str:
    answers = {**api_answers(catalog()[DOG].current_form), **changes}
    return json.dumps({"procedure": DOG, "answers": answers})


@pytest.mark.parametrize("escaped", ["\\ud800", "a\\udfffb", "\\u0000", "x\\u001by"])
def test_lone_surrogates_and_controls_in_an_answer_are_a_422(client, token, escaped):
    body = dog_body(dog_name="@@").replace('"@@"', f'"{escaped}"')
    response = post_raw(client, token, body)
    assert response.status_code == 422
    assert "dog_name" in response.json()["detail"]["errors"]
    assert not Submission.objects.exists()


@pytest.mark.parametrize("field", ["dog_name", "owner_name", "owner_address"])
def test_a_line_break_is_refused_in_one_line_fields(client, token, field):
    response = post_raw(client, token, dog_body(**{field: "ポチ\nタマ"}))
    assert response.status_code == 422
    assert field in response.json()["detail"]["errors"]


@pytest.mark.parametrize("text", ["0001-01-01", "9999-12-31", "1868-01-24", "明治元年1月1日"])
def test_dates_the_pages_cannot_show_are_a_422(client, token, text):
    form = catalog()[DOG].current_form
    date_field = next(f.id for s in form.steps for f in s.fields if f.type == "date")
    response = post_raw(client, token, dog_body(**{date_field: text}))
    assert response.status_code == 422
    assert date_field in response.json()["detail"]["errors"]


@pytest.mark.parametrize("amount", ["²", "①", "1²", "--5", "9" * 5000, 1.5, True, "12.5"])
def test_yen_that_is_not_what_a_person_means_is_a_422(client, token, assets_answers, amount):
    answers = assets_answers
    answers["deposits"] = amount
    response = post_raw(client, token, json.dumps({"procedure": ASSETS, "answers": answers}))
    assert response.status_code == 422
    assert "deposits" in response.json()["detail"]["errors"]


@pytest.mark.parametrize("amount", ["１２，０００円", "12,000", 12000, "12000"])
def test_yen_as_a_person_writes_it_is_stored_as_a_number(client, token, assets_answers, amount):
    answers = assets_answers
    answers["deposits"] = amount
    response = post_raw(client, token, json.dumps({"procedure": ASSETS, "answers": answers}))
    assert response.status_code == 201, response.content
    version = Submission.objects.get().current_version
    assert answers_of(version)["deposits"] == 12000


@pytest.mark.parametrize("page", [2**63, 2**63 - 1, 10**30, 0, -1])
def test_staff_page_out_of_range_is_a_422_naming_page(client, city, staff, page):
    token = issue_api_token(city, staff_user=staff["kankyo-tanto"])
    response = client.get("/api/staff/cases", {"page": page},
                          headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 422
    assert "page" in response.json()["detail"]["errors"]


@pytest.mark.parametrize("query", [{"status": "a\x00b"}, {"procedure": "x\x00"},
                                   {"channel": "\x00"}, {"procedure": "x" * 65},
                                   {"status": "submitted' OR 1=1"}])
def test_staff_filters_that_are_not_codes_are_refused(client, city, staff, query):
    """A NUL is refused for every URL before the API (400 naming the query); any other value
    that is not a code is a 422 naming the parameter."""
    token = issue_api_token(city, staff_user=staff["kankyo-tanto"])
    client.raise_request_exception = False
    response = client.get("/api/staff/cases", query, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code in {400, 422}
    body = response.json()
    if response.status_code == 422:
        assert set(body["detail"]["errors"]) == set(query)
    else:
        assert body["field"] == "query"


def test_nul_in_a_navigator_plan_token_is_a_404(client, city):
    client.raise_request_exception = False
    response = client.get("/api/navigator/plans/abc%00def")
    assert response.status_code in {400, 404}


# --- the form pages ---------------------------------------------------------------------------


def _children_step(client):
    client.post(reverse("applications:start", args=["child-allowance-claim"]))
    draft = Draft.objects.latest("id")
    form = catalog()["child-allowance-claim"].current_form
    index = next(i for i, s in enumerate(form.steps) if s.id == "children")
    return draft, form.steps[index], reverse("applications:step", args=[draft.public_id, index])


@pytest.mark.parametrize("action", ["add:nonexistent", "remove:x", "remove:children:999",
                                    "remove:nonexistent:0", "remove:children:-1", "add:",
                                    "lookup:nonexistent", "remove:children:0:1", "explode"])
def test_form_buttons_naming_nothing_are_a_plain_400(resident_client, action):
    draft, step, url = _children_step(resident_client)
    data = {**step_data(step), "_action": action}
    data.pop("children-0-scan", None)
    resident_client.raise_request_exception = False
    before = answers_of(draft)
    response = resident_client.post(url, data)
    assert response.status_code == 400
    page = response.content.decode()
    assert 'class="error-summary"' in page
    assert 'name="children-0-name"' in page  # the step shows again with what was typed
    draft.refresh_from_db()
    assert answers_of(draft) == before  # nothing added, removed or saved


@pytest.mark.parametrize("text", ["0001-01-01", "9999-12-31", "明治元年1月1日"])
def test_a_date_the_page_cannot_show_is_refused_next_to_the_field(resident_client, text):
    resident_client.post(reverse("applications:start", args=["child-allowance-claim"]))
    draft = Draft.objects.latest("id")
    step = catalog()["child-allowance-claim"].current_form.steps[0]
    date_field = next(f.id for f in step.fields if f.type == "date")
    url = reverse("applications:step", args=[draft.public_id, 0])
    response = resident_client.post(url, {**step_data(step), date_field: text})
    assert response.status_code == 400
    assert f'id="{date_field}-error"' in response.content.decode()
    # and the page shows again what was typed
    assert resident_client.get(url).status_code == 200


@pytest.mark.parametrize("amount", ["²", "①", "--5"])
def test_a_yen_field_with_superscripts_is_refused_next_to_the_field(resident_client, amount):
    resident_client.post(reverse("applications:start", args=[ASSETS]))
    draft = Draft.objects.latest("id")
    form = catalog()[ASSETS].current_form
    index = next(i for i, s in enumerate(form.steps) if any(f.id == "deposits" for f in s.fields))
    url = reverse("applications:step", args=[draft.public_id, index])
    response = resident_client.post(url, {**step_data(form.steps[index]), "deposits": amount})
    assert response.status_code == 400
    assert 'id="deposits-error"' in response.content.decode()


@pytest.mark.parametrize("body", ["\x00", "{", "not json", "\xff\xfe"])
def test_a_body_that_is_not_json_is_a_plain_400(client, token, body):
    response = client.post("/api/submissions", body.encode("latin-1"),
                           content_type="application/json",
                           headers={"Authorization": f"Bearer {token}", "Idempotency-Key": "k"})
    assert response.status_code == 400
    detail = response.json()["detail"]
    assert "JSON" in detail and "parse" not in detail  # the plain message, not the library's


@pytest.mark.parametrize("field,text", [("message", "x" * 100_000), ("message", "a\x00b"),
                                        ("reason", "y" * 5000), ("comment", "\x1b[31m")])
def test_staff_action_texts_are_bounded_and_plain(client, city, staff, token, field, text):
    """What staff write through the API (差戻しの理由, the decision's reason and comment) has the
    pages' limit and no control characters: a 422 naming the field, nothing changed."""
    from madoguchi.applications.models import Status

    answers = api_answers(catalog()[DOG].current_form)
    post_raw(client, token, json.dumps({"procedure": DOG, "answers": answers}))
    case = Submission.objects.get()
    staff_token = issue_api_token(city, staff_user=staff["kankyo-tanto"])
    client.raise_request_exception = False
    response = client.post(f"/api/staff/cases/{case.public_id}/actions/return",
                           json.dumps({field: text}), content_type="application/json",
                           headers={"Authorization": f"Bearer {staff_token}"})
    assert response.status_code == 422
    assert field in response.json()["detail"]["errors"]
    case.refresh_from_db()
    assert case.status == Status.SUBMITTED


# --- e-mail fields: the same rule as every other address ------------------------------------


def _email_field():
    form = catalog()[DOG].current_form
    return next(f for step in form.steps for f in step.fields if f.type == FieldType.EMAIL)


def test_an_email_field_keeps_the_address_as_every_part_of_madoguchi_keeps_it():
    """Full-width letters from a Japanese input method and capitals: one mailbox, one spelling
    (core.email_address, as logins and the queue's notices use)."""
    assert fieldvalues.clean_scalar(_email_field(), " Ｈａｎａｋｏ＠Example.JP ") == "hanako@example.jp"


@pytest.mark.parametrize("typed", ["h" * 250 + "@example.jp", "hanako@@example.jp", "hana\u200bko@example.jp"])
def test_an_email_field_refuses_what_cannot_be_an_address(typed):
    with pytest.raises(fieldvalues.FieldError):
        fieldvalues.clean_scalar(_email_field(), typed)
