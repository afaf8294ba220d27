"""The fee of a counter visit: the total due for its whole bundle, and the payment the clerk
records (cash, or the city's terminal: card, 電子マネー, QR).

The visitor pays once for the visit, but the city's books are per case: one 受付番号, one
歳入科目, one row in the 収納消込 file. So one amount taken at the counter is recorded as one
payment per filed case that owes a fee (each for that case's own total), all carrying the
terminal's one slip number — the rows of the counter's daily file that share a slip add up to
the terminal's transaction. The records are the online ones (payments.models.Charge and
Attempt through payments.services.record_counter_payment), so refunds, the daily file and the
open items treat counter money like any other.

The amount the clerk types must be the total due, to the yen: a wrong figure is refused next
to its field and nothing is recorded. The visit's row is locked while recording, so a double
submit records once; the second finds nothing left to pay.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from django.db import transaction
from django.utils.translation import gettext as _

from madoguchi.applications.models import Submission
from madoguchi.catalog.fees import FeeQuote, quote
from madoguchi.catalog.selectors import procedure_of_record
from madoguchi.core import audit
from madoguchi.core.actors import Actor
from madoguchi.counter import bundle
from madoguchi.counter.models import CounterVisit, VisitStatus
from madoguchi.payments import services as payments
from madoguchi.payments.models import COUNTER_METHODS, Attempt, AttemptState, Charge, Method

TERMINAL_METHODS = tuple(m for m in COUNTER_METHODS if m != Method.CASH)
SLIP = re.compile(r"^[A-Za-z0-9][A-Za-z0-9\-]{0,63}$")
MAX_YEN = 10_000_000  # far above any counter fee; a longer figure is a typing slip


class FeeRefused(Exception):
    """Shown next to `field` (method, amount or slip) on the clerk's page."""

    def __init__(self, message: str, field: str = ""):
        super().__init__(message)
        self.field = field


@dataclass
class FeeItem:
    """One form of the bundle (before filing) or one filed case, with its fee."""

    title: str
    quote: FeeQuote
    submission: Submission | None = None
    paid: list[Attempt] = field(default_factory=list)

    @property
    def due_yen(self) -> int:
        return 0 if self.paid else self.quote.total_yen if self.quote.due else 0


@dataclass
class VisitFees:
    items: list[FeeItem]

    @property
    def total_yen(self) -> int:
        """Everything the bundle costs now (deferred fees are fixed later by the department)."""
        return sum(i.quote.total_yen for i in self.items if i.quote.due)

    @property
    def due_yen(self) -> int:
        return sum(i.due_yen for i in self.items)

    @property
    def paid_yen(self) -> int:
        return sum(a.amount_yen for i in self.items for a in i.paid)

    @property
    def deferred(self) -> list[FeeItem]:
        return [i for i in self.items if i.quote.deferred]

    @property
    def charged(self) -> bool:
        return any(not i.quote.empty for i in self.items)

    @property
    def attempts(self) -> list[Attempt]:
        return [a for i in self.items for a in i.paid]


def _paid_attempts(submissions: list[Submission]) -> dict[int, list[Attempt]]:
    found: dict[int, list[Attempt]] = {}
    for attempt in Attempt.objects.filter(
            charge__submission__in=submissions, charge__kind=Charge.Kind.COUNTER,
            state=AttemptState.SUCCEEDED).select_related("charge").order_by("pk"):
        found.setdefault(attempt.charge.submission_id, []).append(attempt)
    return found


def visit_fees(visit: CounterVisit) -> VisitFees:
    """Before filing: each form's quote from its answers as they stand. After: each case's
    quote as stored when it was filed, and what has been paid for it."""
    if visit.status == VisitStatus.FILED:
        cases = [f.submission for f in visit.forms.select_related("submission") if f.submission_id]
        paid = _paid_attempts(cases)
        return VisitFees([FeeItem(_title(visit, c), FeeQuote.from_json(c.fee_lines), c, paid.get(c.pk, []))
                          for c in cases])
    return VisitFees([FeeItem(e.procedure.title, quote(e.procedure, e.answers))
                      for e in bundle.entries(visit)])


def _title(visit: CounterVisit, case: Submission) -> str:
    procedure = procedure_of_record(visit.municipality, case.procedure_code, language="ja")
    return procedure.title if procedure is not None else case.procedure_code


def parse_yen(text: str) -> int:
    """「1,050」「１０５０」「1050円」 → 1050. Anything but a whole number of yen is refused."""
    cleaned = unicodedata.normalize("NFKC", text or "").strip().replace(",", "").removesuffix("円").strip()  # ja-only: a typed yen sign
    if not cleaned:
        raise FeeRefused(_("受け取った金額を入力してください。"), "amount")
    if not cleaned.isdigit() or not cleaned.isascii() or len(cleaned) > len(str(MAX_YEN)):
        raise FeeRefused(_("金額は円単位の数字で入力してください（例: 1050）。"), "amount")
    return int(cleaned)


def methods(municipality) -> list[tuple[str, str]]:
    """(method, label) the city takes at its counters: the counter provider's setting."""
    setting = payments.setting_for(municipality, "counter")
    offered = [m for m in (setting.methods if setting else []) if m in COUNTER_METHODS]
    return [(m, Method(m).label) for m in offered]


def _method(municipality, value: str) -> str:
    if value not in dict(methods(municipality)):
        raise FeeRefused(_("支払方法を選んでください。"), "method")
    return value


def _slip(method: str, text: str) -> str:
    slip = unicodedata.normalize("NFKC", text or "").strip()
    if method == Method.CASH:
        return ""
    if not slip:
        raise FeeRefused(_("端末の伝票番号（利用控えの番号）を入力してください。"), "slip")
    if not SLIP.match(slip):
        raise FeeRefused(_("伝票番号は英数字とハイフンで、64文字以内で入力してください。"), "slip")
    return slip


@transaction.atomic
def record_payment(visit: CounterVisit, method: str, amount_text: str, slip_text: str,
                   actor: Actor) -> list[Attempt]:
    """Record the fee taken for the visit's filed cases. Returns the payments recorded (empty
    when everything was already paid: a double submit)."""
    method = _method(visit.municipality, method)
    slip = _slip(method, slip_text)
    amount = parse_yen(amount_text)
    visit = CounterVisit.objects.select_for_update().get(pk=visit.pk)
    if visit.status != VisitStatus.FILED:
        raise FeeRefused(_("手数料は、各課へ送付した後で記録します。"))
    fees = visit_fees(visit)
    due = [item for item in fees.items if item.due_yen > 0]
    if not due:
        return []
    if amount != fees.due_yen:
        raise FeeRefused(_("お支払いいただく金額は %(due)s円です（入力: %(typed)s円）。") % {
            "due": f"{fees.due_yen:,}", "typed": f"{amount:,}"}, "amount")
    recorded = []
    for item in due:
        charge = _open_charge(item)
        recorded.append(payments.record_counter_payment(charge, method, charge.amount_yen, slip, actor))
    audit.record(visit.municipality, actor, "counter_fee", "counter_visit", visit.public_id,
                 method=method, amount_yen=amount, attempts=[str(a.public_id) for a in recorded])
    return recorded


def _open_charge(item: FeeItem) -> Charge:
    """The case's open counter charge, or a new one for its stored quote."""
    charge = Charge.objects.filter(submission=item.submission, status=Charge.Status.DUE).first()
    if charge is not None and charge.amount_yen == item.due_yen:
        return charge
    return payments.open_charge(item.submission, Charge.Kind.COUNTER, item.quote)
