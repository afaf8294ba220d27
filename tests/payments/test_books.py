"""The 収納消込 file: one per city day (Asia/Tokyo) and provider; money and ids only."""

import csv
import io
from datetime import UTC, date, datetime

import pytest
from books_support import case, paid, refund

from madoguchi.applications.models import SubmissionVersion
from madoguchi.core.crypto import encrypt_json
from madoguchi.payments import books
from madoguchi.payments.models import AttemptState, Refund

DAY = date(2026, 3, 31)
# 31 March in Tokyo runs from 15:00 UTC on 30 March to 15:00 UTC on 31 March.
JUST_IN = datetime(2026, 3, 30, 15, 0, 0, tzinfo=UTC)        # 00:00:00 JST 31 March
LAST_SECOND = datetime(2026, 3, 31, 14, 59, 59, tzinfo=UTC)  # 23:59:59 JST 31 March
NEXT_DAY = datetime(2026, 3, 31, 15, 0, 0, tzinfo=UTC)       # 00:00:00 JST 1 April
DAY_BEFORE = datetime(2026, 3, 30, 14, 59, 59, tzinfo=UTC)   # 23:59:59 JST 30 March


def rows_of(data: bytes) -> list[dict]:
    assert data.startswith("\ufeff".encode())  # Excel opens it as UTF-8
    text = data.decode("utf-8-sig")
    assert "\r\n" in text
    return list(csv.DictReader(io.StringIO(text)))


@pytest.fixture
def day_of_payments(city, resident):
    first = case(city, resident)
    at_midnight = paid(first, JUST_IN, ref="cs_first")
    late = paid(case(city, resident), LAST_SECOND, ref="cs_late", amount=710)
    paid(case(city, resident), NEXT_DAY, ref="cs_tomorrow")
    paid(case(city, resident), DAY_BEFORE, ref="cs_yesterday")
    paid(case(city, resident), JUST_IN, provider="paypay", method="paypay", ref="pp_1")
    return at_midnight, late


def test_columns_in_order_and_the_days_payments_only(city, day_of_payments):
    data = books.daily_csv(city, DAY, "stripe")
    header = data.decode("utf-8-sig").splitlines()[0].split(",")
    assert tuple(header) == books.COLUMNS
    rows = rows_of(data)
    assert [r["決済事業者の取引ID"] for r in rows] == ["cs_first", "cs_late"]  # JST day, by time paid
    first = rows[0]
    at_midnight, _ = day_of_payments
    assert first["取引区分"] == "収納"
    assert first["受付番号"] == at_midnight.charge.submission.receipt_number
    assert first["手続コード"] == "residence-certificate-copy"
    assert first["手続名"] == "住民票の写しの交付請求"
    assert first["歳入科目コード"] == "14-01-01"
    assert (first["金額"], first["支払方法"], first["決済事業者"]) == ("600", "card", "stripe")
    assert first["支払日時"] == "2026-03-31T00:00:00+09:00"
    assert rows[1]["支払日時"] == "2026-03-31T23:59:59+09:00"
    assert (first["還付済額"], first["二重決済"], first["決済ID"]) == ("0", "0", str(at_midnight.public_id))


def test_per_provider(city, day_of_payments):
    rows = rows_of(books.daily_csv(city, DAY, "paypay"))
    assert [(r["決済事業者の取引ID"], r["支払方法"]) for r in rows] == [("pp_1", "paypay")]
    assert rows_of(books.daily_csv(city, DAY, "counter")) == []


def test_refunds_are_rows_on_the_day_they_were_made(city, resident, day_of_payments):
    at_midnight, late = day_of_payments
    refund(at_midnight, 300, NEXT_DAY)                   # done on 1 April
    refund(late, 110, LAST_SECOND)                       # done on 31 March
    refund(late, 100, None, state=Refund.State.REQUESTED)  # not done: no row, not counted
    march = rows_of(books.daily_csv(city, DAY, "stripe"))
    assert [(r["取引区分"], r["金額"], r["還付済額"]) for r in march] == [
        ("収納", "600", "300"), ("収納", "710", "110"), ("還付", "110", "110")]
    assert march[2]["還付日時"] == "2026-03-31T23:59:59+09:00"
    assert march[2]["還付の取引ID"].startswith("re_")
    april = rows_of(books.daily_csv(city, date(2026, 4, 1), "stripe"))
    assert [(r["取引区分"], r["金額"], r["決済事業者の取引ID"]) for r in april] == [
        ("収納", "600", "cs_tomorrow"), ("還付", "300", "cs_first")]


def test_a_duplicate_payment_is_a_row_and_says_so(city, resident):
    submission = case(city, resident)
    paid(submission, JUST_IN, ref="cs_a")
    twice = paid(submission, LAST_SECOND, ref="cs_b", state=AttemptState.DUPLICATE)
    refund(twice, 600, LAST_SECOND, reason="二重決済")
    rows = rows_of(books.daily_csv(city, DAY, "stripe"))
    assert [(r["取引区分"], r["二重決済"]) for r in rows] == [("収納", "0"), ("収納", "1"), ("還付", "1")]


def test_unpaid_attempts_are_not_in_the_books(city, resident):
    submission = case(city, resident)
    for state in (AttemptState.FAILED, AttemptState.EXPIRED, AttemptState.CANCELLED, AttemptState.PENDING):
        paid(submission, JUST_IN, state=state)
    assert rows_of(books.daily_csv(city, DAY, "stripe")) == []


def test_no_answer_value_and_nothing_personal(city, resident):
    submission = case(city, resident)
    SubmissionVersion.objects.create(
        submission=submission, number=1, form_version=1, actor_kind="resident", actor_ref=resident.ref,
        answers=encrypt_json({"name": "窓口 花子", "address": "デモ市本町1丁目2番3号", "copies": 2}, city))
    paid(submission, JUST_IN)
    text = books.daily_csv(city, DAY, "stripe").decode("utf-8-sig")
    for personal in ("窓口 花子", "本町", resident.email, "hanako"):
        assert personal not in text


def test_cells_that_would_run_as_formulas_are_neutralised(city, resident):
    submission = case(city, resident)
    paid(submission, JUST_IN, ref="=HYPERLINK(\"http://x\")", revenue_code="+1-2")
    row = rows_of(books.daily_csv(city, DAY, "stripe"))[0]
    assert row["決済事業者の取引ID"] == "'=HYPERLINK(\"http://x\")"
    assert row["歳入科目コード"] == "'+1-2"


def test_another_citys_payments_stay_out(city, other_city, resident):
    from madoguchi.core.models import Department
    from madoguchi.identity.models import ResidentAccount

    Department.objects.create(municipality=other_city, code="shimin", name="市民課")
    stranger = ResidentAccount.objects.create(municipality=other_city, email="x@example.jp")
    paid(case(other_city, stranger), JUST_IN)
    assert rows_of(books.daily_csv(city, DAY, "stripe")) == []


def test_day_totals_per_provider(city, resident, day_of_payments):
    at_midnight, _ = day_of_payments
    refund(at_midnight, 300, LAST_SECOND)
    totals = {t["provider"]: t for t in books.day_totals(city, DAY)}
    assert totals["stripe"] == {"provider": "stripe", "paid": 2, "paid_yen": 1310, "refunds": 1,
                                "refunded_yen": 300}
    assert totals["paypay"]["paid_yen"] == 600


def test_filename_names_city_day_and_provider(city):
    assert books.csv_filename(city, DAY, "stripe") == "shuno-999999-20260331-stripe.csv"
