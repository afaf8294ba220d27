"""還付 by 会計課: asked for by one member, approved by another with the approver role;
partial allowed, never more than was paid; every step audited with ids only."""

from datetime import UTC, datetime

import pytest
from books_support import case, paid, receipts_for
from django.urls import reverse

from madoguchi.core.actors import Actor
from madoguchi.core.models import AuditEvent, Department, Role, StaffMembership
from madoguchi.payments import services
from madoguchi.payments.models import AttemptState, Charge, ProviderSetting, Refund

PAID_AT = datetime(2026, 3, 31, 1, 0, tzinfo=UTC)


@pytest.fixture
def office(city, django_user_model):
    """The demo city's 会計課 (a clerk and an approver) and a second approver; the other
    departments' staff are not in it."""
    kaikei = Department.objects.get(municipality=city, code="kaikei")
    users = {name: django_user_model.objects.get(username=name) for name in ("kaikei-tanto", "kaikei-kacho")}
    users["kaikei-jicho"] = django_user_model.objects.create_user("kaikei-jicho", password="x-pass-2026")
    StaffMembership.objects.create(user=users["kaikei-jicho"], department=kaikei, role=Role.APPROVER)
    return users


@pytest.fixture
def cash(city, resident):
    """A 600-yen fee paid in cash at the counter, through the service the counter uses."""
    ProviderSetting.objects.create(municipality=city, provider="counter", enabled=True,
                                   methods=["cash", "terminal_card"], issues_receipt=[])
    submission = case(city, resident)
    charge = services.open_charge(submission, Charge.Kind.COUNTER,
                                  {"lines": [], "total_yen": 600, "revenue_code": "14-01-01"})
    return services.record_counter_payment(charge, "cash", 600, "", Actor.system())


def as_user(client, user):
    client.force_login(user)
    return client


def ask(client, attempt, amount, reason="申請の取下げによる還付"):
    return client.post(reverse("payments:books_refund", args=[attempt.public_id]),
                       {"amount": amount, "reason": reason})


def approve(client, refund):
    return client.post(reverse("payments:books_refund_approve", args=[refund.public_id]))


def test_partial_refund_asked_by_one_and_approved_by_another(client, office, cash):
    response = ask(as_user(client, office["kaikei-tanto"]), cash, "２００")  # full-width digits too
    assert response.status_code == 302
    refund = Refund.objects.get(attempt=cash)
    assert (refund.amount_yen, refund.state, refund.requested_by) == (
        200, Refund.State.REQUESTED, f"staff:{office['kaikei-tanto'].pk}")

    approve(as_user(client, office["kaikei-kacho"]), refund)
    refund.refresh_from_db()
    assert refund.state == Refund.State.DONE  # cash: recorded as paid back from the drawer
    assert refund.approved_by == f"staff:{office['kaikei-kacho'].pk}"
    page = client.get(reverse("payments:books_payment", args=[cash.public_id]))
    assert 'id="refunded-yen" data-amount-yen="200"' in page.content.decode()


def test_the_sum_of_refunds_never_exceeds_what_was_paid(client, office, cash):
    as_user(client, office["kaikei-tanto"])
    assert ask(client, cash, "400").status_code == 302
    response = ask(client, cash, "201")  # 400 asked already, 600 paid
    assert response.status_code == 400
    body = response.content.decode()
    assert 'id="refund-amount-error"' in body and 'aria-invalid="true"' in body
    assert 'value="201"' in body  # kept as typed
    assert ask(client, cash, "200").status_code == 302
    assert ask(client, cash, "1").status_code == 400
    assert sum(r.amount_yen for r in Refund.objects.filter(attempt=cash)) == 600


def test_a_failed_refund_frees_its_amount(client, office, cash):
    Refund.objects.create(attempt=cash, amount_yen=600, reason="x", requested_by="staff:1",
                          state=Refund.State.FAILED, idempotency_key="failed-1")
    assert ask(as_user(client, office["kaikei-tanto"]), cash, "600").status_code == 302


@pytest.mark.parametrize("amount", ["", "0", "-100", "12.5", "三百", "1e3", "9999999999"])
def test_amounts_that_are_not_whole_yen_are_refused_next_to_the_field(client, office, cash, amount):
    response = ask(as_user(client, office["kaikei-tanto"]), cash, amount)
    assert response.status_code == 400
    assert 'id="refund-amount-error"' in response.content.decode()
    assert not Refund.objects.exists()


def test_a_reason_is_required(client, office, cash):
    response = ask(as_user(client, office["kaikei-tanto"]), cash, "100", reason="  ")
    assert response.status_code == 400
    assert 'id="refund-reason-error"' in response.content.decode()
    assert not Refund.objects.exists()


def test_the_requester_cannot_approve_their_own_refund(client, office, cash):
    as_user(client, office["kaikei-kacho"])  # an approver asks …
    ask(client, cash, "100")
    refund = Refund.objects.get()
    page = client.get(reverse("payments:books_payment", args=[cash.public_id])).content.decode()
    assert "approve-refund" not in page
    approve(client, refund)  # … and cannot approve it
    refund.refresh_from_db()
    assert refund.state == Refund.State.REQUESTED
    approve(as_user(client, office["kaikei-jicho"]), refund)  # another approver can
    refund.refresh_from_db()
    assert refund.state == Refund.State.DONE


def test_a_clerk_cannot_approve(client, office, cash):
    ask(as_user(client, office["kaikei-kacho"]), cash, "100")
    refund = Refund.objects.get()
    approve(as_user(client, office["kaikei-tanto"]), refund)
    refund.refresh_from_db()
    assert refund.state == Refund.State.REQUESTED


def test_only_the_accounts_office_sees_the_books(client, staff, office, cash):
    as_user(client, staff["shimin-kacho"])  # a department's approver is not 会計課
    for url in (reverse("payments:books"), reverse("payments:books_open"),
                reverse("payments:books_payment", args=[cash.public_id]),
                reverse("payments:books_csv", args=["2026-03-31", "counter"])):
        assert client.get(url).status_code == 403, url
    assert ask(client, cash, "100").status_code == 403
    assert not Refund.objects.exists()
    client.logout()
    assert client.get(reverse("payments:books")).status_code == 302  # to the staff login


def test_the_accounts_department_is_a_setting(client, settings, city, staff, cash):
    settings.MADOGUCHI_ACCOUNTS_DEPARTMENT = "shimin"
    as_user(client, staff["shimin-tanto"])
    assert client.get(reverse("payments:books")).status_code == 200


def test_every_step_is_audited_with_ids_only(client, office, cash):
    ask(as_user(client, office["kaikei-tanto"]), cash, "100", reason="窓口 花子さんの申出")
    refund = Refund.objects.get()
    approve(as_user(client, office["kaikei-kacho"]), refund)
    client.get(reverse("payments:books_payment", args=[cash.public_id]))
    client.get(reverse("payments:books_csv", args=["2026-03-31", "counter"]))
    wanted = ["payment_refund_requested", "payment_refund_approved", "payment_refunded", "export", "view"]
    actions = list(AuditEvent.objects.filter(action__in=wanted).values_list("action", "actor_ref", "detail"))
    assert {a for a, _, _ in actions} == set(wanted)
    who = {a: ref for a, ref, _ in actions}
    assert who["payment_refund_requested"] == f"staff:{office['kaikei-tanto'].pk}"
    assert who["payment_refund_approved"] == f"staff:{office['kaikei-kacho'].pk}"
    for _, _, detail in actions:
        assert "花子" not in str(detail)  # the reason stays on the refund, not in the log


def test_refunding_a_payment_that_took_no_money_is_refused(client, office, city, resident):
    failed = paid(case(city, resident), PAID_AT, provider="counter", method="cash", ref="",
                  state=AttemptState.FAILED)
    response = ask(as_user(client, office["kaikei-tanto"]), failed, "100")
    assert response.status_code == 400
    assert not Refund.objects.exists()


def test_another_citys_payment_is_not_found(client, office, other_city, cash):
    url = reverse("payments:books_payment", args=[cash.public_id])
    assert as_user(client, office["kaikei-tanto"]).get(url).status_code == 200
    Charge.objects.filter(pk=cash.charge_id).update(municipality=other_city)
    assert client.get(url).status_code == 404


def test_the_staff_receipt_follows_the_citys_setting(client, office, city, cash):
    as_user(client, office["kaikei-tanto"])
    url = reverse("payments:books_receipt", args=[cash.public_id])
    assert client.get(url).status_code == 404  # the city issues none for cash
    receipts_for(city, "counter", "cash")
    response = client.get(url)
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF-")


def test_an_online_refund_goes_through_the_provider(client, office, city, resident):
    """A card payment at the local Stripe-protocol server, refunded in part from the 会計課 page:
    the refund is made at the provider and its id kept; the daily file shows it."""
    from payment_support import awaiting_submission, stripe_setting
    from stripe_server import LocalStripe

    with LocalStripe() as server:
        stripe_setting(city, server)
        submission = awaiting_submission(resident)
        charge = services.charge_for(submission)
        attempt = services.start_attempt(charge, "stripe", "card", Actor.resident(resident.pk))
        server.state.complete(attempt.provider_ref)
        attempt = services.handle_return(attempt)
        assert attempt.state == AttemptState.SUCCEEDED

        ask(as_user(client, office["kaikei-tanto"]), attempt, "110", reason="郵送が不要になったため")
        approve(as_user(client, office["kaikei-kacho"]), Refund.objects.get(attempt=attempt))
        refund = Refund.objects.get(attempt=attempt)
        assert refund.state == Refund.State.DONE and refund.provider_ref.startswith("re_")
        intent = server.state.intents[server.state.sessions[attempt.provider_ref]["payment_intent"]]
        assert intent["amount_refunded"] == 110
    from madoguchi.payments import books

    rows = books.daily_rows(city, books.city_today(refund.done_at), "stripe")
    assert [(r.kind, r.amount_yen, r.refund_ref) for r in rows][-1] == ("還付", 110, refund.provider_ref)
