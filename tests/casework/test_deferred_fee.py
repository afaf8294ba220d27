"""事後決済 on the case page: the clerk fixes the amount from the procedure's lines, the case
waits 入金待ち, the resident is mailed once and pays like online; wrong input stays at its field."""

import re

import pytest
from django.urls import reverse

from madoguchi.applications.models import Status, Submission
from madoguchi.applications.receipts import new_receipt_number
from madoguchi.core.actors import Actor
from madoguchi.core.models import AuditEvent, Department
from madoguchi.notify.models import OutboxMessage
from madoguchi.payments import services as payments
from madoguchi.payments.models import Charge

GUIDE = {"lines": [{"code": "koseki", "label": "戸籍謄本・抄本", "unit_yen": 450, "quantity": 1,
                    "amount_yen": 450, "exempt": False},
                   {"code": "postage", "label": "郵送料（定形郵便）", "unit_yen": 110, "quantity": 1,
                    "amount_yen": 110, "exempt": False}],
         "exemptions": [], "total_yen": 0, "deferred": True, "deferred_note": "金額は審査後に決まります",
         "revenue_code": "1401-01-02"}


@pytest.fixture
def deferred(city, resident):
    """A 戸籍 request under review whose fee the department fixes (pages unknown at submit)."""
    return Submission.objects.create(
        municipality=city, receipt_number=new_receipt_number(), procedure_code="family-register-certificate",
        form_version=1, department=Department.objects.get(municipality=city, code="shimin"),
        account=resident, actor_kind="resident", actor_ref=resident.ref, status=Status.ACCEPTED,
        fee_yen=0, fee_lines=GUIDE, fee_deferred=True)


def fix(client, user, case, **values):
    client.force_login(user)
    return client.post(reverse("casework:action", args=[case.public_id, "fee"]), values)


def test_the_clerk_fixes_the_amount_and_the_case_waits_for_payment(client, staff, deferred, resident):
    client.force_login(staff["shimin-tanto"])
    page = client.get(reverse("casework:case", args=[deferred.public_id]))
    assert 'id="fee-form"' in page.content.decode()

    response = fix(client, staff["shimin-tanto"], deferred, **{"qty-koseki": "3", "qty-postage": "1"})
    assert response.status_code == 302
    deferred.refresh_from_db()
    assert deferred.status == Status.AWAITING_PAYMENT
    assert deferred.fee_yen == 3 * 450 + 110
    charge = Charge.objects.get(submission=deferred)
    assert (charge.kind, charge.amount_yen, charge.status, charge.revenue_code) == (
        Charge.Kind.AFTER_REVIEW, 1460, Charge.Status.DUE, "1401-01-02")
    assert [(x["code"], x["quantity"], x["amount_yen"]) for x in charge.lines] == [
        ("koseki", 3, 1350), ("postage", 1, 110)]

    mails = list(OutboxMessage.objects.all())
    assert [m.recipient for m in mails] == [resident.email]  # once
    assert re.search(r"1,?460", mails[0].body) and deferred.receipt_number in mails[0].subject

    page = client.get(reverse("casework:case", args=[deferred.public_id])).content.decode()
    assert 'data-status="awaiting_payment">入金待ち' in page
    assert 'id="fee-form"' not in page  # fixed once
    assert AuditEvent.objects.filter(action="request_payment", target_id=str(deferred.public_id)).exists()


def test_paid_after_review_the_case_goes_back_to_review(client, staff, deferred):
    fix(client, staff["shimin-tanto"], deferred, **{"qty-koseki": "2", "qty-postage": "0"})
    charge = Charge.objects.get(submission=deferred)
    assert charge.amount_yen == 900
    payments.record_counter_payment(charge, "cash", 900, "", Actor.system())  # paid, whichever way
    deferred.refresh_from_db()
    assert deferred.status == Status.ACCEPTED
    page = client.get(reverse("casework:case", args=[deferred.public_id])).content.decode()
    assert 'data-status="paid"' in page


def test_an_other_line_is_added_with_its_label(client, staff, deferred):
    fix(client, staff["shimin-kacho"], deferred, **{"qty-koseki": "1", "qty-postage": "",
                                                    "other_label": "証明書の追加ページ", "other_yen": "３００"})
    charge = Charge.objects.get(submission=deferred)
    assert [(x["label"], x["amount_yen"]) for x in charge.lines] == [("戸籍謄本・抄本", 450),
                                                                   ("証明書の追加ページ", 300)]


@pytest.mark.parametrize("values, field", [
    ({"qty-koseki": "三"}, "fee-koseki-error"),
    ({"qty-koseki": "-1"}, "fee-koseki-error"),
    ({"qty-koseki": "1.5"}, "fee-koseki-error"),
    ({"qty-koseki": "0", "qty-postage": "0"}, "fee-koseki-error"),
    ({"qty-koseki": "1", "other_label": "あ" * 61, "other_yen": "500"}, "fee-other-label-error"),
    ({"qty-koseki": "1", "other_label": "x", "other_yen": "5百"}, "fee-other-yen-error"),
])
def test_wrong_input_is_refused_next_to_its_field_and_kept(client, staff, deferred, values, field):
    response = fix(client, staff["shimin-tanto"], deferred, **values)
    assert response.status_code == 400
    body = response.content.decode()
    assert f'id="{field}"' in body
    for value in values.values():
        if value:
            assert f'value="{value}"' in body
    deferred.refresh_from_db()
    assert deferred.status == Status.ACCEPTED
    assert not Charge.objects.exists() and not OutboxMessage.objects.exists()


def test_a_double_submit_asks_once(client, staff, deferred):
    fix(client, staff["shimin-tanto"], deferred, **{"qty-koseki": "1"})
    again = fix(client, staff["shimin-tanto"], deferred, **{"qty-koseki": "1"})
    assert again.status_code == 400
    assert Charge.objects.filter(submission=deferred).count() == 1
    assert OutboxMessage.objects.count() == 1


def test_only_the_cases_department_fixes_it(client, staff, deferred):
    response = fix(client, staff["kankyo-tanto"], deferred, **{"qty-koseki": "1"})
    assert response.status_code == 404  # another department does not see the case
    assert not Charge.objects.exists()


def test_not_before_review_nor_for_a_fee_fixed_at_submit(client, staff, deferred):
    Submission.objects.filter(pk=deferred.pk).update(status=Status.SUBMITTED)
    assert fix(client, staff["shimin-tanto"], deferred, **{"qty-koseki": "1"}).status_code == 400
    Submission.objects.filter(pk=deferred.pk).update(status=Status.ACCEPTED, fee_deferred=False)
    assert fix(client, staff["shimin-tanto"], deferred, **{"qty-koseki": "1"}).status_code == 400
    assert not Charge.objects.exists()


def test_a_procedure_without_lines_end_to_end(client, resident_client, resident, staff):
    """The demo city's 粗大ごみ: submitted online with no fee due (事後決済), accepted, the amount
    typed as one 手数料 line, paid; the charge carries the procedure's 歳入科目."""
    from madoguchi.applications.models import Draft
    from madoguchi.catalog.selectors import get_procedure

    from support import fill_form

    procedure = get_procedure(resident.municipality, "bulky-waste-collection")  # the city's own
    resident_client.post(reverse("applications:start", args=[procedure.code]))
    draft = Draft.objects.latest("id")
    fill_form(resident_client, lambda i: reverse("applications:step", args=[draft.public_id, i]),
              procedure.current_form)
    assert resident_client.post(reverse("applications:confirm", args=[draft.public_id])).status_code == 302
    case = Submission.objects.get(draft=draft)
    assert (case.status, case.fee_deferred, case.fee_yen) == (Status.SUBMITTED, True, 0)
    client.force_login(staff["kankyo-tanto"])
    client.post(reverse("casework:action", args=[case.public_id, "accept"]))
    page = client.get(reverse("casework:case", args=[case.public_id])).content.decode()
    assert 'id="fee-form"' in page and 'id="fee-other-yen"' in page
    assert client.post(reverse("casework:action", args=[case.public_id, "fee"]),
                       {"other_yen": "1,500"}).status_code == 302
    charge = Charge.objects.get(submission=case)
    assert [(x["label"], x["amount_yen"]) for x in charge.lines] == [("手数料", 1500)]
    assert (charge.amount_yen, charge.revenue_code) == (1500, "1401-04-01")
    payments.record_counter_payment(charge, "cash", 1500, "", Actor.system())
    case.refresh_from_db()
    assert case.status == Status.ACCEPTED
