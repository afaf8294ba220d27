"""The counter visit's fee: the total for its whole bundle, and the payment the clerk records
(cash or the city's terminal with its slip number) as the same records as online."""

import pytest
import test_counter_services as shared
from django.urls import reverse
from django.utils import timezone

from madoguchi.core.models import AuditEvent
from madoguchi.counter import bundle, fees, services
from madoguchi.counter.models import VisitStatus
from madoguchi.payments import books
from madoguchi.payments.models import Attempt, AttemptState, Charge, ProviderSetting

PNG = shared.PNG
clerk, actor, family, visit = shared.clerk, shared.actor, shared.family, shared.visit
WITH_SEAL = {**shared.MOVING_IN, "seal": ["yes"]}  # 印鑑登録 (300円) joins the moving-in bundle


@pytest.fixture
def counter_methods(city):
    return ProviderSetting.objects.create(
        municipality=city, provider="counter", enabled=True,
        methods=["cash", "terminal_card", "terminal_emoney", "terminal_qr"], issues_receipt=["cash"])


def _bundle(visit, actor, family):
    services.choose(visit, actor, family["head"].pk)
    plan = services.start_event(visit, "moving")
    shared._answer_all(plan, WITH_SEAL, timezone.localdate())
    bundle.build(visit, actor)
    shared._fill_every_blank(visit, actor)
    visit.refresh_from_db()
    return visit


def _filed(visit, actor, family):
    _bundle(visit, actor, family)
    services.confirm(visit, actor)
    services.sign(visit, actor, PNG)
    services.file_visit(visit, actor)
    visit.refresh_from_db()
    return visit


def test_the_total_is_the_sum_of_each_forms_quote(visit, actor, family):
    _bundle(visit, actor, family)
    total = fees.visit_fees(visit)
    charged = {i.title: i.quote.total_yen for i in total.items if i.quote.total_yen}
    assert charged == {"印鑑登録": 300}
    assert total.total_yen == sum(i.quote.total_yen for i in total.items if i.quote.due) == 300
    assert total.due_yen == 300 and total.paid_yen == 0


def test_the_clerks_page_shows_the_total_before_and_after_filing(client, clerk, visit, actor, family,
                                                                 counter_methods):
    _bundle(visit, actor, family)
    client.force_login(clerk)
    page = client.get(reverse("counter:visit", args=[visit.public_id])).content.decode()
    assert 'id="fee-total" data-yen="300"' in page and page.count('id="fee-total"') == 1
    assert 'id="fee-form"' not in page  # taken once the forms are filed
    _filed(visit, actor, family)
    page = client.get(reverse("counter:visit", args=[visit.public_id])).content.decode()
    assert 'id="fee-due" data-yen="300"' in page and 'id="fee-form"' in page


def test_cash_is_recorded_as_a_payment_of_each_case(client, clerk, visit, actor, family, counter_methods):
    _filed(visit, actor, family)
    client.force_login(clerk)
    response = client.post(reverse("counter:action", args=[visit.public_id, "fee"]),
                           {"method": "cash", "amount": "300"})
    assert response.status_code == 302
    attempt = Attempt.objects.get()
    case = attempt.charge.submission
    assert case.visit_ref == visit.public_id and case.procedure_code == "seal-registration"
    assert (attempt.provider, attempt.method, attempt.amount_yen, attempt.state) == (
        "counter", "cash", 300, AttemptState.SUCCEEDED)
    assert (attempt.charge.kind, attempt.charge.status) == (Charge.Kind.COUNTER, Charge.Status.PAID)
    assert attempt.charge.revenue_code == "1401-01-03"
    assert AuditEvent.objects.filter(action="counter_fee", target_id=str(visit.public_id)).exists()

    page = client.get(reverse("counter:visit", args=[visit.public_id])).content.decode()
    assert 'id="fee-paid"' in page and 'id="fee-form"' not in page
    receipt = reverse("counter:fee_receipt", args=[visit.public_id, attempt.public_id])
    assert receipt in page  # the city issues a 領収書 for cash
    pdf = client.get(receipt)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    row = books.daily_rows(visit.municipality, books.city_today(attempt.finished_at), "counter")[0]
    assert (row.receipt_number, row.method, row.amount_yen) == (case.receipt_number, "cash", 300)


def test_no_receipt_for_cash_unless_the_city_says_so(client, clerk, visit, actor, family, counter_methods):
    counter_methods.issues_receipt = []
    counter_methods.save()
    _filed(visit, actor, family)
    client.force_login(clerk)
    client.post(reverse("counter:action", args=[visit.public_id, "fee"]), {"method": "cash", "amount": "300"})
    attempt = Attempt.objects.get()
    assert client.get(reverse("counter:fee_receipt", args=[visit.public_id, attempt.public_id])).status_code == 404


@pytest.mark.parametrize("method", ["terminal_card", "terminal_emoney", "terminal_qr"])
def test_a_terminal_payment_keeps_its_slip_and_gets_no_receipt(client, clerk, visit, actor, family,
                                                             counter_methods, method):
    counter_methods.issues_receipt = ["cash", method]  # even if a city lists it: the slip is the receipt
    counter_methods.save()
    _filed(visit, actor, family)
    client.force_login(clerk)
    client.post(reverse("counter:action", args=[visit.public_id, "fee"]),
                {"method": method, "amount": "３００円", "slip": "0042-7781"})
    attempt = Attempt.objects.get()
    assert (attempt.method, attempt.slip_number, attempt.amount_yen) == (method, "0042-7781", 300)
    assert client.get(reverse("counter:fee_receipt", args=[visit.public_id, attempt.public_id])).status_code == 404


@pytest.mark.parametrize("values, field", [
    ({"method": "cash", "amount": "200"}, "amount"),
    ({"method": "cash", "amount": "3000"}, "amount"),
    ({"method": "cash", "amount": ""}, "amount"),
    ({"method": "cash", "amount": "三百"}, "amount"),
    ({"method": "cash", "amount": "300.0"}, "amount"),
    ({"method": "terminal_card", "amount": "300", "slip": ""}, "slip"),
    ({"method": "terminal_card", "amount": "300", "slip": "=1+2"}, "slip"),
    ({"method": "bitcoin", "amount": "300"}, "method"),
])
def test_a_wrong_amount_or_slip_is_refused_next_to_its_field(client, clerk, visit, actor, family,
                                                            counter_methods, values, field):
    _filed(visit, actor, family)
    client.force_login(clerk)
    response = client.post(reverse("counter:action", args=[visit.public_id, "fee"]), values)
    assert response.status_code == 400
    body = response.content.decode()
    assert f'id="fee-{field}-error"' in body
    if values["amount"]:
        assert f'value="{values["amount"]}"' in body  # kept as typed
    assert not Attempt.objects.exists() and not Charge.objects.filter(status="paid").exists()


def test_a_method_the_city_did_not_turn_on_is_refused(client, clerk, visit, actor, family, counter_methods):
    counter_methods.methods = ["cash"]
    counter_methods.save()
    _filed(visit, actor, family)
    client.force_login(clerk)
    response = client.post(reverse("counter:action", args=[visit.public_id, "fee"]),
                           {"method": "terminal_qr", "amount": "300", "slip": "1"})
    assert response.status_code == 400
    assert not Attempt.objects.exists()


def test_a_double_submit_records_once(client, clerk, visit, actor, family, counter_methods):
    _filed(visit, actor, family)
    client.force_login(clerk)
    url = reverse("counter:action", args=[visit.public_id, "fee"])
    for _ in range(2):
        assert client.post(url, {"method": "cash", "amount": "300"}).status_code == 302
    assert Attempt.objects.count() == 1
    assert fees.record_payment(visit, "cash", "300", "", actor) == []  # the service alone too
    assert Attempt.objects.count() == 1


def test_not_before_filing(visit, actor, family, counter_methods):
    _bundle(visit, actor, family)
    assert visit.status == VisitStatus.OPEN
    with pytest.raises(fees.FeeRefused):
        fees.record_payment(visit, "cash", "300", "", actor)
    assert not Attempt.objects.exists()


def test_another_clerks_visit_is_not_theirs(client, staff, visit, actor, family, counter_methods):
    _filed(visit, actor, family)
    client.force_login(staff["kodomo-tanto"])
    response = client.post(reverse("counter:action", args=[visit.public_id, "fee"]),
                           {"method": "cash", "amount": "300"})
    assert response.status_code == 404
    assert not Attempt.objects.exists()
