"""The city's books (会計課): the daily CSV for 収納消込 and what the accounts office must look at.

ja-only file: the CSV's columns and row kinds are a fixed format that 会計課 imports.

The CSV, one file per day and per provider, is what 会計課 matches against the provider's own
report of the same day (Stripe's balance report, PayPay's settlement file, the counter's
cash-register and terminal close). One row per movement of money on that day:

- 収納 (a payment): an attempt that took money (`succeeded`, or `duplicate` — a second
  payment of a paid charge, which took money too and is paid back by its own 還付 row);
- 還付 (a refund): a refund the provider (or the cashier) completed that day, whichever day
  the payment was.

The day is the city's day in Asia/Tokyo (00:00–24:00 JST), whatever the server's clock: a
payment at 23:59 JST on 31 March belongs to 31 March even though it is 14:59 UTC. Providers
report per day in the account's time zone; a Japanese account's is JST.

What the file holds is money and ids only: the 受付番号, the procedure, the 歳入科目 code, the
amount, the method and provider, the provider's own ids, the times. No answer value, no name,
no address, no e-mail: the 受付番号 is the one link back to the case, as on a paper 納付書. It
is written through `core.csvsafe` (the project's only CSV writer: a cell that would start a
formula in a spreadsheet is neutralised), UTF-8 with a BOM and CRLF, which Excel opens as is.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Count, Q, Sum
from django.utils import timezone

from madoguchi.catalog.selectors import procedure_of_record
from madoguchi.core import csvsafe
from madoguchi.core.days import day_bounds, day_of
from madoguchi.core.models import Municipality
from madoguchi.payments.models import Attempt, AttemptState, Refund

CITY_TZ = ZoneInfo("Asia/Tokyo")  # every 市区町村 keeps Japan's time; so do its books

PAYMENT, REFUND = "収納", "還付"

# The columns, in order, in the city's own words (docs/payments.md explains each).
COLUMNS = (
    "取引区分",          # 収納 | 還付
    "受付番号",
    "手続コード",
    "手続名",
    "歳入科目コード",
    "徴収区分",          # at_submit | after_review | counter
    "金額",              # yen, integer: the payment's amount, or the refund's
    "支払方法",          # card | konbini | paypay | cash | terminal_card | terminal_emoney | terminal_qr
    "決済事業者",        # provider code: stripe | paypay | counter
    "決済事業者の取引ID",  # the provider's id of the payment (Checkout Session, merchantPaymentId)
    "還付の取引ID",       # the provider's id of the refund (還付 rows)
    "端末伝票番号",      # the counter terminal's slip number
    "支払日時",          # when the payment succeeded, JST, ISO 8601
    "還付日時",          # when the refund was completed (還付 rows), JST
    "還付済額",          # all refunds completed on the payment so far (yen)
    "二重決済",          # 1 when the payment paid an already-paid charge (refunded automatically)
    "決済ID",            # Madoguchi's id of the payment (the 領収書番号)
)


@dataclass(frozen=True)
class BookRow:
    kind: str
    receipt_number: str
    procedure_code: str
    procedure_title: str
    revenue_code: str
    charge_kind: str
    amount_yen: int
    method: str
    provider: str
    provider_ref: str
    refund_ref: str
    slip_number: str
    paid_at: datetime | None
    refunded_at: datetime | None
    refunded_yen: int
    duplicate: bool
    payment_id: str

    def cells(self) -> list:
        return [self.kind, self.receipt_number, self.procedure_code, self.procedure_title,
                self.revenue_code, self.charge_kind, self.amount_yen, self.method, self.provider,
                self.provider_ref, self.refund_ref, self.slip_number, _iso(self.paid_at),
                _iso(self.refunded_at), self.refunded_yen, "1" if self.duplicate else "0",
                self.payment_id]


def _iso(moment: datetime | None) -> str:
    return moment.astimezone(CITY_TZ).isoformat(timespec="seconds") if moment else ""


def city_today(now: datetime | None = None) -> date:
    return day_of(now or timezone.now())


PAID_STATES = (AttemptState.SUCCEEDED, AttemptState.DUPLICATE)


def paid_attempts(municipality: Municipality):
    """Every attempt that took money in this city."""
    return Attempt.objects.filter(charge__municipality=municipality, state__in=PAID_STATES)


def refunded_yen(attempt: Attempt) -> int:
    """Refunds completed on a payment so far."""
    return attempt.refunds.filter(state=Refund.State.DONE).aggregate(t=Sum("amount_yen"))["t"] or 0


def daily_rows(municipality: Municipality, day: date, provider: str) -> list[BookRow]:
    """The day's 収納 rows (by time paid), then its 還付 rows (by time completed)."""
    start, end = day_bounds(day)
    payments = list(
        paid_attempts(municipality).filter(provider=provider, finished_at__gte=start, finished_at__lt=end)
        .select_related("charge__submission").annotate(
            done_refunds=Sum("refunds__amount_yen", filter=Q(refunds__state=Refund.State.DONE)))
        .order_by("finished_at", "pk"))
    refunds = list(
        Refund.objects.filter(attempt__charge__municipality=municipality, attempt__provider=provider,
                              state=Refund.State.DONE, done_at__gte=start, done_at__lt=end)
        .select_related("attempt__charge__submission").order_by("done_at", "pk"))
    totals = _refund_totals([r.attempt_id for r in refunds])
    titles: dict[str, str] = {}
    rows = [_row(municipality, titles, a, PAYMENT, a.amount_yen, a.done_refunds or 0) for a in payments]
    rows += [_row(municipality, titles, r.attempt, REFUND, r.amount_yen, totals.get(r.attempt_id, 0), r)
             for r in refunds]
    return rows


def _refund_totals(attempt_ids: list[int]) -> dict[int, int]:
    found = (Refund.objects.filter(attempt_id__in=attempt_ids, state=Refund.State.DONE)
             .values("attempt_id").annotate(t=Sum("amount_yen")))
    return {row["attempt_id"]: row["t"] for row in found}


def _title(municipality: Municipality, titles: dict[str, str], code: str) -> str:
    if code not in titles:
        procedure = procedure_of_record(municipality, code, language="ja")
        titles[code] = procedure.title if procedure is not None else ""
    return titles[code]


def _row(municipality, titles, attempt: Attempt, kind: str, amount: int, refunded: int,
         refund: Refund | None = None) -> BookRow:
    charge = attempt.charge
    submission = charge.submission
    return BookRow(
        kind=kind, receipt_number=submission.receipt_number,
        procedure_code=submission.procedure_code,
        procedure_title=_title(municipality, titles, submission.procedure_code),
        revenue_code=charge.revenue_code, charge_kind=charge.kind, amount_yen=amount,
        method=attempt.method, provider=attempt.provider, provider_ref=attempt.provider_ref,
        refund_ref=refund.provider_ref if refund else "", slip_number=attempt.slip_number,
        paid_at=attempt.finished_at, refunded_at=refund.done_at if refund else None,
        refunded_yen=refunded, duplicate=attempt.state == AttemptState.DUPLICATE,
        payment_id=str(attempt.public_id))


def write_csv(rows: list[BookRow], handle) -> None:
    writer = csvsafe.writer(handle, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    writer.writerows(row.cells() for row in rows)


def daily_csv(municipality: Municipality, day: date, provider: str) -> bytes:
    """The file as downloaded: UTF-8 with a BOM (Excel reads it as UTF-8), CRLF."""
    out = io.StringIO()
    write_csv(daily_rows(municipality, day, provider), out)
    return out.getvalue().encode("utf-8-sig")


def csv_filename(municipality: Municipality, day: date, provider: str) -> str:
    return f"shuno-{municipality.code}-{day:%Y%m%d}-{provider}.csv"


def day_totals(municipality: Municipality, day: date) -> list[dict]:
    """Per provider: the day's payments (count, yen) and refunds (count, yen); the daily close
    page shows these beside the downloads."""
    start, end = day_bounds(day)
    paid = (paid_attempts(municipality).filter(finished_at__gte=start, finished_at__lt=end)
            .values("provider").annotate(count=Count("id"), yen=Sum("amount_yen")))
    back = (Refund.objects.filter(attempt__charge__municipality=municipality, state=Refund.State.DONE,
                                  done_at__gte=start, done_at__lt=end)
            .values("attempt__provider").annotate(count=Count("id"), yen=Sum("amount_yen")))
    totals: dict[str, dict] = {}
    for row in paid:
        totals.setdefault(row["provider"], zero_totals(row["provider"])).update(paid=row["count"], paid_yen=row["yen"])
    for row in back:
        code = row["attempt__provider"]
        totals.setdefault(code, zero_totals(code)).update(refunds=row["count"], refunded_yen=row["yen"])
    return [totals[code] for code in sorted(totals)]


def zero_totals(provider: str) -> dict:
    return {"provider": provider, "paid": 0, "paid_yen": 0, "refunds": 0, "refunded_yen": 0}


# --- what 会計課 must look at ---------------------------------------------------------------

@dataclass(frozen=True)
class OpenItems:
    unreconciled: list  # attempts not final whose time is past: the job has not settled them
    duplicates: list  # 二重決済: attempts that paid a charge already paid
    flagged: list  # attempts the services flagged (amount mismatch, dispute …), not reviewed
    refunds: list  # refunds failed, or requested/approved and not done for a day

    @property
    def count(self) -> int:
        return len(self.unreconciled) + len(self.duplicates) + len(self.flagged) + len(self.refunds)


STUCK_REFUND = timedelta(days=1)
LIMIT = 200  # each list on the page; more means something is wrong and the page says so


def open_items(municipality: Municipality, now: datetime | None = None) -> OpenItems:
    now = now or timezone.now()
    attempts = Attempt.objects.filter(charge__municipality=municipality).select_related(
        "charge__submission")
    unreconciled = attempts.filter(state__in=[AttemptState.CREATED, AttemptState.PENDING]).filter(
        Q(expires_at__lt=now) | Q(next_check_at__lt=now - timedelta(hours=1))).order_by("created_at")
    duplicates = attempts.filter(state=AttemptState.DUPLICATE, reviewed_at__isnull=True).order_by(
        "finished_at")
    flagged = attempts.filter(flagged_at__isnull=False, reviewed_at__isnull=True).exclude(
        state=AttemptState.DUPLICATE).order_by("flagged_at")
    refunds = Refund.objects.filter(attempt__charge__municipality=municipality).filter(
        Q(state=Refund.State.FAILED)
        | Q(state__in=[Refund.State.REQUESTED, Refund.State.APPROVED], requested_at__lt=now - STUCK_REFUND)
    ).select_related("attempt__charge__submission").order_by("requested_at")
    return OpenItems(list(unreconciled[:LIMIT]), list(duplicates[:LIMIT]), list(flagged[:LIMIT]),
                     list(refunds[:LIMIT]))
