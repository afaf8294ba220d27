"""事後決済: the department fixes the fee of a case whose amount depends on the review (a 戸籍
request whose pages are unknown until the register is read), and the resident is asked to pay.

The procedure's fee lines come as a guide (label and unit price, as the city's fee ordinance
sets them); the clerk types how many of each (pages, copies) and, if the ordinance charges
something the lines do not name (or the procedure has no lines at all), one more line with its
amount, labelled 手数料 unless the clerk names it. The amounts are computed here,
in whole yen, never typed as a total, so the lines always add up.

Who: a member of the case's department with the clerk or approver role, as for 受付 on the case
page (the decision itself still needs the approver). When: while the case is 審査中 and its
procedure's fee is deferred, once. Then `payments.services.request_payment` moves the case to
お支払い待ち (the timeline, the audit log and the resident's mail are written by
applications.await_payment, once per request) and opens the charge the resident pays from My
Page the same way as online; the department sees 入金待ち until it is paid.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _

from madoguchi.applications.models import Status, Submission
from madoguchi.applications.services import SubmissionRefused
from madoguchi.catalog.fees import FeeLine, FeeQuote
from madoguchi.catalog.selectors import procedure_of_record
from madoguchi.core.actors import Actor
from madoguchi.core.models import Role
from madoguchi.core.roles import is_member_of
from madoguchi.payments import services as payments
from madoguchi.payments.models import Charge

MAX_QUANTITY = 999
MAX_YEN = 10_000_000
OTHER = "other"
DEFAULT_LABEL = "手数料"  # ja-only: stored with the fee line (what is stored is Japanese)


class FeeRefused(Exception):
    """`errors` maps an input's name to the message shown next to it."""

    def __init__(self, message: str, errors: dict[str, str] | None = None):
        super().__init__(message)
        self.errors = errors or {}


@dataclass(frozen=True)
class GuideLine:
    code: str
    label: str
    unit_yen: int
    quantity: int

    @property
    def input_name(self) -> str:
        return f"qty-{self.code}"


def can_fix(case: Submission, user) -> bool:
    return (case.status == Status.ACCEPTED and case.fee_deferred
            and not Charge.objects.filter(submission=case, kind=Charge.Kind.AFTER_REVIEW)
            .exclude(status=Charge.Status.CANCELLED).exists()
            and is_member_of(user, case.department, [Role.CLERK, Role.APPROVER]))


def guide(case: Submission) -> list[GuideLine]:
    """The procedure's lines as quoted at submit (unit price, the quantity the answers gave)."""
    stored = FeeQuote.from_json(case.fee_lines)
    return [GuideLine(line.code, line.label, line.unit_yen, line.quantity)
            for line in stored.lines if not line.exempt and line.code != OTHER]


def _whole(text: str, *, most: int) -> int | None:
    cleaned = unicodedata.normalize("NFKC", text or "").strip().replace(",", "").removesuffix("円").strip()  # ja-only: a typed yen sign
    if not cleaned:
        return None
    if not (cleaned.isascii() and cleaned.isdigit()) or int(cleaned) > most:
        raise ValueError
    return int(cleaned)


def quote_from(case: Submission, values) -> FeeQuote:
    """The lines the clerk fixed, from the form's inputs (qty-<code>, other_label, other_yen)."""
    errors: dict[str, str] = {}
    lines: list[FeeLine] = []
    for line in guide(case):
        try:
            quantity = _whole(values.get(line.input_name, ""), most=MAX_QUANTITY)
        except ValueError:
            errors[line.input_name] = _("数量は0から%(most)sまでの整数で入力してください。") % {"most": MAX_QUANTITY}
            continue
        if quantity:
            lines.append(FeeLine(line.code, line.label, line.unit_yen, quantity, line.unit_yen * quantity))
    label = (values.get("other_label", "") or "").strip()
    try:
        other = _whole(values.get("other_yen", ""), most=MAX_YEN)
    except ValueError:
        errors["other_yen"] = _("金額は円単位の数字で入力してください（例: 450）。")
        other = None
    label = label or DEFAULT_LABEL  # a procedure without lines is charged as plain 手数料
    if len(label) > 60:
        errors["other_label"] = _("内容は60文字以内で入力してください。")
    elif other:
        lines.append(FeeLine(OTHER, label, other, 1, other))
    if errors:
        raise FeeRefused(_("入力内容を確認してください。"), errors)
    total = sum(line.amount_yen for line in lines)
    if total <= 0:
        first = guide(case)[0].input_name if guide(case) else "other_yen"
        raise FeeRefused(_("請求する手数料を1円以上にしてください。"), {first: _("数量または金額を入力してください。")})
    procedure = procedure_of_record(case.municipality, case.procedure_code)
    revenue_code = procedure.payment.revenue_code if procedure is not None else ""
    return FeeQuote(lines=tuple(lines), total_yen=total, revenue_code=revenue_code)


def fix_fee(case: Submission, user, actor: Actor, values, note: str = "") -> Charge:
    """Fix the amount and ask the resident to pay; refused unless `can_fix`."""
    with transaction.atomic():
        locked = Submission.objects.select_for_update(of=("self",)).select_related("department").get(pk=case.pk)
        if not can_fix(locked, user):
            raise FeeRefused(_("この申請の手数料は、いまは確定できません（審査中の事後決済の申請だけ、一度確定できます）。"))
        fee = quote_from(locked, values)
        try:
            return payments.request_payment(locked, fee, actor, note=note)
        except (SubmissionRefused, payments.PaymentRefused) as exc:
            raise FeeRefused(str(exc)) from exc
