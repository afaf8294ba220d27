"""The 会計課 pages (daily close, files, open items) and the resident's 領収書 from My Page."""

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from books_support import case, paid, receipts_for, refund
from django.urls import reverse
from django.utils import timezone

from madoguchi.core.models import AuditEvent
from madoguchi.identity.models import ResidentAccount
from madoguchi.payments import books
from madoguchi.payments.models import Attempt, AttemptState, Refund

from conftest import login_resident

AT = datetime(2026, 3, 31, 3, 0, tzinfo=UTC)


@pytest.fixture
def kaikei(city, client, django_user_model):
    """A clerk of the demo city's 会計課, logged in."""
    user = django_user_model.objects.get(username="kaikei-tanto")
    client.force_login(user)
    return user


def test_daily_close_shows_totals_and_links_each_providers_file(client, kaikei, city, resident):
    receipts_for(city, "stripe", "card")
    receipts_for(city, "counter", "cash")
    paid(case(city, resident), AT)
    page = client.get(reverse("payments:books") + "?day=2026-03-31").content.decode()
    assert 'data-provider="stripe"' in page and 'data-provider="counter"' in page
    csv_url = reverse("payments:books_csv", args=["2026-03-31", "stripe"])
    assert csv_url in page
    response = client.get(csv_url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="shuno-999999-20260331-stripe.csv"' in response["Content-Disposition"]
    assert response["Cache-Control"] == "no-store"
    assert response.content.decode("utf-8-sig").count("\r\n") == 2  # the header and one payment
    assert AuditEvent.objects.filter(action="export", target_id="2026-03-31:stripe").exists()


@pytest.mark.parametrize("day, provider", [("2026-02-30", "stripe"), ("yesterday", "stripe"),
                                           ("2026-03-31", "nosuch")])
def test_a_bad_day_or_provider_is_not_found(client, kaikei, day, provider):
    assert client.get(reverse("payments:books_csv", args=[day, provider])).status_code == 404


def test_a_bad_day_on_the_close_page_falls_back_to_today(client, kaikei):
    assert client.get(reverse("payments:books") + "?day=31/03/2026").status_code == 200


def test_open_items_list_what_needs_a_look_and_review_clears_it(client, kaikei, city, resident):
    now = timezone.now()
    stuck = paid(case(city, resident), now, state=AttemptState.PENDING)
    Attempt.objects.filter(pk=stuck.pk).update(finished_at=None, expires_at=now - timedelta(hours=2))
    fresh = paid(case(city, resident), now, state=AttemptState.PENDING)
    Attempt.objects.filter(pk=fresh.pk).update(finished_at=None, expires_at=now + timedelta(minutes=20))
    twice_case = case(city, resident)
    paid(twice_case, now)
    twice = paid(twice_case, now, state=AttemptState.DUPLICATE)
    Attempt.objects.filter(pk=twice.pk).update(flag_reason="duplicate", flagged_at=now)
    mismatch = paid(case(city, resident), now)
    Attempt.objects.filter(pk=mismatch.pk).update(flag_reason="amount_mismatch", flagged_at=now)
    failed = refund(paid(case(city, resident), now), 100, None, state=Refund.State.FAILED)

    page = client.get(reverse("payments:books_open")).content.decode()
    sections = {name: page.split(f'id="{name}"')[1].split("</section>")[0]
                for name in ("unreconciled", "duplicates", "flagged", "stuck-refunds")}
    assert str(stuck.public_id) in sections["unreconciled"]
    assert str(fresh.public_id) not in page  # still within its time: the job will settle it
    assert str(twice.public_id) in sections["duplicates"]
    assert str(mismatch.public_id) in sections["flagged"]
    assert failed.attempt.charge.submission.receipt_number in sections["stuck-refunds"]

    assert client.post(reverse("payments:books_review", args=[twice.public_id])).status_code == 302
    page = client.get(reverse("payments:books_open")).content.decode()
    assert str(twice.public_id) not in page
    assert AuditEvent.objects.filter(action="payment_flag_cleared", target_id=str(twice.public_id)).exists()


@pytest.fixture
def card_payment(city, resident):
    return paid(case(city, resident), AT, ref="cs_test_123")


def test_the_resident_downloads_their_receipt_when_the_city_issues_one(client, city, resident, card_payment):
    login_resident(client, resident)
    url = reverse("payments:receipt", args=[card_payment.charge.submission.public_id])
    assert client.get(url).status_code == 404  # the city has not turned 領収書 on for card
    receipts_for(city, "stripe", "card")
    response = client.get(url)
    assert response.status_code == 200 and response.content.startswith(b"%PDF-")
    assert response["Cache-Control"] == "no-store"
    assert AuditEvent.objects.filter(action="download", target_type="payment_receipt",
                                     target_id=str(card_payment.public_id)).exists()


def test_no_receipt_for_someone_elses_payment_or_a_duplicate(client, city, resident, card_payment):
    receipts_for(city, "stripe", "card")
    url = reverse("payments:receipt", args=[card_payment.charge.submission.public_id])
    stranger = ResidentAccount.objects.create(municipality=city, email="stranger@example.jp")
    assert login_resident(client, stranger).get(url).status_code == 404
    assert client.get(reverse("payments:receipt", args=[uuid.uuid4()])).status_code == 404
    Attempt.objects.filter(pk=card_payment.pk).update(state=AttemptState.DUPLICATE)
    assert login_resident(client, resident).get(url).status_code == 404


def test_a_logged_out_visitor_is_sent_to_log_in(client, card_payment):
    response = client.get(reverse("payments:receipt", args=[card_payment.charge.submission.public_id]))
    assert response.status_code == 302


def test_today_is_the_citys_day():
    assert books.city_today(datetime(2026, 3, 31, 14, 59, tzinfo=UTC)) == date(2026, 3, 31)
    assert books.city_today(datetime(2026, 3, 31, 15, 0, tzinfo=UTC)) == date(2026, 4, 1)


def test_the_pay_page_and_the_return_page_link_the_receipt_where_the_city_issues_one(
        client, city, resident, card_payment):
    submission = card_payment.charge.submission
    login_resident(client, resident)
    receipt = reverse("payments:receipt", args=[submission.public_id])
    pages = [reverse("payments:pay", args=[submission.public_id]),
             reverse("payments:return", args=[card_payment.public_id])]
    for url in pages:  # the city issues none for card yet: no link to a 404
        assert 'id="receipt-link"' not in client.get(url).content.decode()
    receipts_for(city, "stripe", "card")
    for url in pages:
        html = client.get(url).content.decode()
        assert f'id="receipt-link" href="{receipt}"' in html
    assert client.get(receipt).status_code == 200
