"""A fee-bearing submission: quoted from its answers, stored with the quote, waiting
お支払い待ち online (at the counter as before), shown line by line on the confirm page, in
My Page, in the 受付票 PDF and in the API; 事後決済 requested after review and paid."""

import io
import re
import uuid
from datetime import date

import pytest
import yaml
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from madoguchi.applications import services
from madoguchi.applications.models import Draft, Status, Submission, SubmissionEvent
from madoguchi.applications.selectors import payment_status
from madoguchi.casework import services as casework
from madoguchi.catalog import loader
from madoguchi.catalog.fees import FeeQuote
from madoguchi.catalog.loader import catalog_for
from madoguchi.core.actors import Actor
from madoguchi.core.models import AuditEvent
from madoguchi.identity.emailcode import issue_api_token
from madoguchi.notify.services import deliver_pending
from madoguchi.register.models import Household, Resident

from support import api_answers, card_client_answer, step_data

pytestmark = pytest.mark.django_db

CERTIFICATE = "residence-certificate-copy"


def _draft(client, code: str, changes: dict) -> Draft:
    """Start a draft in the demo city and post every step with valid values, `changes` over them."""
    procedure = catalog_for("demo")[code]
    assert client.post(reverse("applications:start", args=[code])).status_code == 302
    draft = Draft.objects.latest("id")
    for index, step in enumerate(procedure.current_form.steps):
        data = step_data(step)
        data |= {k: v for k, v in changes.items() if k in data or k.split("-")[0] in data}
        for name in [k for k, v in data.items() if v is None]:
            del data[name]  # an unticked box is not posted
        response = client.post(reverse("applications:step", args=[draft.public_id, index]), data)
        assert response.status_code == 302, response.content.decode()[:2000]
    return draft


# 住民票の写し × 2 by post (the issue's example), for employment: 600円 + 110円 postage.
BY_POST = {"copies": "2", "delivery": "mail", "express": None, "purpose": "employment", "scope": "self"}


def _signed_submission(client, card, changes=BY_POST) -> tuple[Draft, Submission]:
    draft = _draft(client, CERTIFICATE, changes)
    response = client.post(reverse("applications:confirm", args=[draft.public_id]))
    assert response["Location"] == reverse("applications:sign", args=[draft.public_id])
    draft.refresh_from_db()
    card_client_answer(draft.signing_challenge.public_id, card.signing_cert, card.sign)
    client.post(reverse("applications:sign", args=[draft.public_id]))
    return draft, Submission.objects.get(draft=draft)


def _rows(html: str) -> list[tuple[str, str]]:
    """(code, cells text) of each fee line row."""
    rows = re.findall(r'<tr data-fee-line="([a-z_]+)">(.*?)</tr>', html, re.S)
    return [(code, re.sub(r"<[^>]+>", " ", cells).split()) for code, cells in rows]


def test_the_confirm_page_shows_the_total_line_by_line(resident_client):
    draft = _draft(resident_client, CERTIFICATE, BY_POST)
    page = resident_client.get(reverse("applications:confirm", args=[draft.public_id])).content.decode()
    assert _rows(page) == [("copy", ["住民票の写し", "300円", "2", "600円"]),
                           ("postage", ["郵送料（定形郵便）", "110円", "1", "110円"])]
    assert 'id="fee-total" data-total-yen="710"' in page and "710円" in page
    assert 'id="fee-next"' in page  # sending goes on to payment


def test_the_confirm_page_shows_an_exemption_with_its_legal_reason(resident_client):
    draft = _draft(resident_client, CERTIFICATE, BY_POST | {"purpose": "pension", "express": "on"})
    page = resident_client.get(reverse("applications:confirm", args=[draft.public_id])).content.decode()
    rows = dict(_rows(page))
    assert rows["copy"][-2:] == ["免除", "0円"]
    assert rows["express"] == ["速達料", "300円", "1", "300円"]
    assert "公的年金の請求に使う証明書" in page and "デモ市手数料条例第5条第1号" in page
    assert 'data-total-yen="410"' in page


def test_a_signed_fee_submission_waits_for_payment_with_its_quote(resident_client, card):
    _, submission = _signed_submission(resident_client, card)
    assert submission.status == Status.AWAITING_PAYMENT
    assert submission.fee_yen == 710 and not submission.fee_deferred
    stored = submission.fee_lines
    assert [(x["code"], x["quantity"], x["amount_yen"]) for x in stored["lines"]] == [
        ("copy", 2, 600), ("postage", 1, 110)]
    assert stored["total_yen"] == 710 and stored["revenue_code"] == "1401-01-01"
    assert submission.fee_quote == FeeQuote.from_json(stored)
    first = SubmissionEvent.objects.get(submission=submission)
    assert (first.from_status, first.to_status) == ("", Status.AWAITING_PAYMENT)
    audit = AuditEvent.objects.filter(action="submit", target_id=str(submission.public_id)).get()
    assert audit.detail["fee_yen"] == 710 and audit.detail["status"] == Status.AWAITING_PAYMENT
    deliver_pending()
    assert submission.receipt_number in mail.outbox[-1].subject
    assert "手数料 710円のお支払いがまだです" in mail.outbox[-1].body


def test_the_done_page_goes_straight_on_to_payment(resident_client, card):
    _, submission = _signed_submission(resident_client, card)
    done = resident_client.get(reverse("applications:submitted", args=[submission.public_id]))
    assert done.status_code == 302
    assert done["Location"] == reverse("payments:pay", args=[submission.public_id])
    assert "710" not in done["Location"]  # nothing but the case's id in the URL


def test_my_page_shows_awaiting_payment_with_a_link_to_pay(resident_client, card):
    _, submission = _signed_submission(resident_client, card)
    pay = reverse("payments:pay", args=[submission.public_id])
    page = resident_client.get(reverse("applications:mypage")).content.decode()
    assert "status-awaiting_payment" in page and str(Status.AWAITING_PAYMENT.label) in page
    assert f'id="pay-{submission.receipt_number}" href="{pay}"' in page
    detail = resident_client.get(reverse("applications:submission", args=[submission.public_id])).content.decode()
    assert 'id="payment-due"' in detail and f'id="pay" href="{pay}"' in detail
    assert [code for code, _ in _rows(detail)] == ["copy", "postage"]
    assert "<section" not in detail.split("</title>")[0]  # the page title is text only


def test_the_receipt_pdf_lists_the_fee_lines_and_the_total(resident_client, card):
    _, submission = _signed_submission(resident_client, card)
    response = resident_client.get(reverse("applications:receipt", args=[submission.public_id]))
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    flat = re.sub(r"\s+", "", text)
    assert "手数料" in flat
    assert "住民票の写し300円2600円" in flat
    assert "郵送料（定形郵便）110円1110円" in flat
    assert "合計710円（お支払い待ち）" in flat


def test_a_deferred_fee_submits_as_usual_and_is_requested_after_review(client, resident_client, staff):
    draft = _draft(resident_client, "bulky-waste-collection", {})
    confirm = resident_client.get(reverse("applications:confirm", args=[draft.public_id])).content.decode()
    assert 'id="fee-deferred"' in confirm and "金額は審査後に決まります" in confirm
    assert 'id="fee-next"' not in confirm
    resident_client.post(reverse("applications:confirm", args=[draft.public_id]))
    submission = Submission.objects.get(draft=draft)
    assert submission.status == Status.SUBMITTED and submission.fee_deferred and submission.fee_yen == 0
    assert payment_status(submission) == "deferred"
    done = resident_client.get(reverse("applications:submitted", args=[submission.public_id]))
    assert done.status_code == 200 and 'id="fee-deferred"' in done.content.decode()

    clerk = staff["kankyo-both"]
    casework.accept(submission, clerk, Actor.staff(clerk))
    mail.outbox.clear()
    services.await_payment(submission, 1500, Actor.staff(clerk), note="ソファ1点（1,000円）、自転車1台（500円）")
    submission.refresh_from_db()
    assert submission.status == Status.AWAITING_PAYMENT and submission.fee_yen == 1500
    assert submission.fee_quote.lines[0].amount_yen == 1500 and submission.fee_quote.revenue_code == "1401-04-01"
    assert payment_status(submission) == "due"
    deliver_pending()
    assert "手数料のお支払いをお願いします" in mail.outbox[-1].subject
    assert "1,500円" in mail.outbox[-1].body and "ソファ" not in mail.outbox[-1].body
    assert AuditEvent.objects.filter(action="request_payment", target_id=str(submission.public_id)).exists()

    services.payment_received(submission, Actor.system())
    submission.refresh_from_db()
    assert submission.status == Status.ACCEPTED  # back to 審査中, where it was
    assert payment_status(submission) == "paid"


def test_payment_received_moves_on_once_and_only_from_awaiting_payment(resident_client, card):
    _, submission = _signed_submission(resident_client, card)
    assert payment_status(submission) == "due"
    services.payment_received(submission, Actor.system())
    assert submission.status == Status.SUBMITTED
    services.payment_received(submission, Actor.system())  # the webhook after the return page
    submission.refresh_from_db()
    assert submission.status == Status.SUBMITTED
    events = list(submission.events.values_list("from_status", "to_status"))
    assert events == [("", Status.AWAITING_PAYMENT), (Status.AWAITING_PAYMENT, Status.SUBMITTED)]
    assert AuditEvent.objects.filter(action="payment_received").count() == 1
    assert payment_status(submission) == "paid"


def test_await_payment_needs_a_case_under_review_and_a_whole_positive_amount(resident_client, card, staff):
    _, submission = _signed_submission(resident_client, card)
    with pytest.raises(services.SubmissionRefused, match="審査中"):
        services.await_payment(submission, 500, Actor.system())
    for bad in (0, -100, 500.0, "500", True, FeeQuote(deferred=True)):
        with pytest.raises(services.SubmissionRefused, match="1円以上の整数") as info:
            services.await_payment(submission, bad, Actor.system())
        assert "amount_yen" in info.value.errors
    submission.refresh_from_db()
    assert submission.status == Status.AWAITING_PAYMENT and submission.fee_yen == 710


def test_an_unpaid_submission_can_be_withdrawn(resident_client, card):
    _, submission = _signed_submission(resident_client, card)
    services.withdraw(submission, Actor.resident(submission.account_id))
    submission.refresh_from_db()
    assert submission.status == Status.WITHDRAWN
    assert payment_status(submission) == "none"


def test_a_submission_without_a_fee_is_unchanged(resident_client, card):
    _, submission = _signed_submission(resident_client, card, BY_POST | {"purpose": "pension",
                                                                         "delivery": "counter"})
    assert submission.status == Status.SUBMITTED and submission.fee_yen == 0
    assert submission.fee_quote.exemptions and submission.fee_quote.lines[0].exempt
    assert payment_status(submission) == "none"


def test_a_counter_filing_stores_the_quote_and_stays_submitted(city, staff):
    household = Household.objects.create(municipality=city, number="700001")
    resident = Resident.objects.create(
        municipality=city, code="70000000001", household=household, relationship="世帯主",
        name="窓口\u3000花子", kana="マドグチ　ハナコ", birth_date=date(1980, 1, 1), gender="2",
        address="デモ市本町1丁目", settled_on=timezone.localdate(),
        became_resident_on=timezone.localdate(), latest_reason="転入",
        kana_key="マドグチハナコ", surname_key="マドグチ", given_key="ハナコ")
    procedure = catalog_for("demo")["dog-registration"]
    answers = {"owner_name": "窓口 花子"}
    submission = services.file_at_counter(resident, procedure, procedure.current_form.version, answers,
                                          {}, Actor.staff(staff["kankyo-both"]), visit_ref=uuid.uuid4())
    assert submission.status == Status.SUBMITTED
    assert submission.fee_yen == 3000 and submission.fee_lines["lines"][0]["code"] == "registration"
    assert payment_status(submission) == "counter"


# --- the API ----------------------------------------------------------------------------------

@pytest.fixture
def priced_city(settings, tmp_path):
    """The demo city charging for 犬の登録事項変更 (a file-free form): 400円, 200円 more by post."""
    settings.MADOGUCHI_MUNICIPAL_CATALOG_DIR = tmp_path
    (tmp_path / "demo").mkdir()
    (tmp_path / "demo" / "overrides.yaml").write_text(yaml.safe_dump({"procedures": {
        "dog-registration-change": {
            "fees": {"lines": [{"code": "change", "label": "変更手数料", "unit_yen": 400},
                               {"code": "notice", "label": "通知の郵送料", "unit_yen": 200,
                                "when": {"field": "change_kind", "equals": "owner_address"}}]},
            "payment": {"revenue_code": "R-77"}}}}, allow_unicode=True), encoding="utf-8")
    loader.reload()
    yield
    loader.reload()


def test_the_api_submission_carries_its_fee_and_payment_status(client, city, resident, priced_city):
    procedure = catalog_for("demo")["dog-registration-change"]
    answers = api_answers(procedure.current_form) | {"change_kind": "owner_address"}
    headers = {"Authorization": f"Bearer {issue_api_token(city, account=resident)}",
               "Idempotency-Key": "fee-1"}
    response = client.post("/api/submissions", {"procedure": procedure.code, "answers": answers},
                           content_type="application/json", headers=headers)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "awaiting_payment" and body["payment_status"] == "due"
    assert body["fee"]["total_yen"] == 600 and body["fee"]["deferred"] is False
    assert [(x["code"], x["amount_yen"]) for x in body["fee"]["lines"]] == [("change", 400), ("notice", 200)]
    assert body["fee"]["revenue_code"] == "R-77"
    again = client.post("/api/submissions", {"procedure": procedure.code, "answers": answers},
                        content_type="application/json", headers=headers)
    assert again.status_code == 200 and again.json()["fee"] == body["fee"]
    status = client.get(f"/api/submissions/{body['receipt_number']}/status",
                        headers={"X-Status-Token": body["status_token"]}).json()
    assert status["status"] == "awaiting_payment" and status["payment_status"] == "due"
    assert status["fee"]["total_yen"] == 600


def test_the_api_procedure_detail_carries_the_fee_rules(client, city):
    detail = client.get(f"/api/procedures/{CERTIFICATE}").json()
    codes = [line["code"] for line in detail["fees"]["lines"]]
    assert codes == ["copy", "postage", "express"]
    assert detail["fees"]["lines"][0] == {"code": "copy", "label": "住民票の写し", "unit_yen": 300,
                                          "per": {"field": "copies", "group": None, "when": None},
                                          "when": None}
    assert detail["fees"]["exemptions"][0]["legal_reason"].startswith("デモ市手数料条例")
    assert detail["payment"] == {"revenue_code": "1401-01-01", "unpaid_visible": False}
    listed = {p["code"]: p for p in client.get("/api/procedures").json()}
    assert listed[CERTIFICATE]["fee_yen"] == 300 and not listed[CERTIFICATE]["fee_deferred"]
    assert listed["bulky-waste-collection"]["fee_deferred"]
    assert listed["dog-registration-change"]["fee_yen"] == 0
    assert client.get("/api/procedures/dog-registration-change").json()["fees"] is None


def test_the_procedure_page_states_the_fee_rules(client, city):
    page = client.get(reverse("applications:procedure", args=[CERTIFICATE])).content.decode()
    rules = re.search(r'<dd id="fee-rules">(.*?)</dd>', page, re.S).group(1)
    items = [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", x)).strip()
             for x in re.findall(r"<li>(.*?)</li>", rules, re.S)]
    assert items == ["住民票の写し 300円（1通につき）", "郵送料（定形郵便） 110円（該当する場合）",
                     "速達料 300円（該当する場合）"]
    assert "公的年金の請求に使う証明書" in re.sub(r"<[^>]+>", "", rules)
    deferred = client.get(reverse("applications:procedure", args=["bulky-waste-collection"])).content.decode()
    assert 'class="fee-deferred"' in deferred and "金額は審査後に決まります" in deferred
    free = client.get(reverse("applications:procedure", args=["dog-registration-change"])).content.decode()
    assert re.search(r'<dd id="fee-rules">\s*無料\s*</dd>', free)


def _pdf_text(response) -> str:
    return re.sub(r"\s+", "", "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages))


def test_the_receipt_pdf_says_when_the_amount_is_fixed_after_review(resident_client):
    draft = _draft(resident_client, "bulky-waste-collection", {})
    resident_client.post(reverse("applications:confirm", args=[draft.public_id]))
    submission = Submission.objects.get(draft=draft)
    text = _pdf_text(resident_client.get(reverse("applications:receipt", args=[submission.public_id])))
    assert "金額は審査後に決まります" in text and "合計" not in text


def test_the_receipt_pdf_names_an_exemption_and_its_legal_reason(resident_client, card):
    _, submission = _signed_submission(resident_client, card, BY_POST | {"purpose": "pension"})
    text = _pdf_text(resident_client.get(reverse("applications:receipt", args=[submission.public_id])))
    assert "住民票の写し300円2免除0円" in text
    assert "免除:公的年金の請求に使う証明書（デモ市手数料条例第5条第1号" in text
    assert "合計110円（お支払い待ち）" in text


def test_a_row_inserted_without_the_fee_columns_gets_their_defaults(resident_client, card):
    """The previous release (during a rolling deploy) and SQL loaders do not name them."""
    from django.db import connection

    _, first = _signed_submission(resident_client, card)
    fields = [f for f in Submission._meta.concrete_fields
              if f.name not in {"id", "fee_lines", "fee_deferred", "public_id", "receipt_number",
                                "idempotency_key", "draft"}]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)  # the model's own names
    sql = (f"INSERT INTO applications_submission (public_id, receipt_number, {columns})"  # noqa: S608
           f" SELECT %s, %s, {columns} FROM applications_submission WHERE id = %s")
    with connection.cursor() as cursor:
        cursor.execute(sql, [uuid.uuid4().hex, "OLDR-0001", first.pk])
    old = Submission.objects.get(receipt_number="OLDR-0001")
    assert old.fee_lines == {} and old.fee_deferred is False and old.fee_quote.empty
