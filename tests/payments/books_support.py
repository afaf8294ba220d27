"""Payments made by hand for the books tests: a case, its charge and attempts at given times."""

import uuid
from datetime import datetime

from madoguchi.applications.models import Status, Submission
from madoguchi.applications.receipts import new_receipt_number
from madoguchi.core.models import Department
from madoguchi.payments.models import Attempt, AttemptState, Charge, ProviderSetting, Refund

LINES = [{"code": "copy", "label": "住民票の写し", "unit_yen": 300, "quantity": 2, "amount_yen": 600,
          "exempt": False}]


def case(city, account, procedure="residence-certificate-copy", status=Status.SUBMITTED, **fields):
    return Submission.objects.create(
        municipality=city, receipt_number=new_receipt_number(), procedure_code=procedure,
        form_version=1, department=Department.objects.get(municipality=city, code="shimin"),
        account=account, actor_kind="resident", actor_ref=account.ref, status=status, **fields)


def awaiting_case(city, account):
    """A case stored お支払い待ち for two copies (600円), as the online submit leaves it."""
    return case(city, account, status=Status.AWAITING_PAYMENT, fee_yen=600,
                fee_lines={"lines": LINES, "total_yen": 600, "revenue_code": "14-01-01"})


def paid(submission, at: datetime, *, provider="stripe", method="card", amount=600, ref=None,
         state=AttemptState.SUCCEEDED, kind=Charge.Kind.AT_SUBMIT, revenue_code="14-01-01", slip=""):
    charge = Charge.objects.filter(submission=submission).first() or Charge.objects.create(
        municipality=submission.municipality, submission=submission, kind=kind, amount_yen=amount,
        lines=LINES if amount == 600 else [], revenue_code=revenue_code, status=Charge.Status.PAID,
        paid_at=at)
    attempt = Attempt.objects.create(
        charge=charge, provider=provider, method=method, idempotency_key=uuid.uuid4().hex,
        provider_ref=ref if ref is not None else f"cs_{uuid.uuid4().hex[:10]}", state=state,
        amount_yen=amount, finished_at=at, slip_number=slip)
    if charge.paid_attempt_id is None:
        charge.paid_attempt = attempt
        charge.save(update_fields=["paid_attempt"])
    return attempt


def refund(attempt, amount, at: datetime | None, state=Refund.State.DONE, reason="申請の取下げ"):
    return Refund.objects.create(attempt=attempt, amount_yen=amount, reason=reason, requested_by="staff:1",
                                 approved_by="staff:2", state=state, idempotency_key=uuid.uuid4().hex,
                                 provider_ref=f"re_{uuid.uuid4().hex[:8]}" if state == Refund.State.DONE else "",
                                 done_at=at)


def receipts_for(city, provider, *methods):
    return ProviderSetting.objects.update_or_create(
        municipality=city, provider=provider,
        defaults={"enabled": True, "methods": list(methods), "issues_receipt": list(methods)})[0]
