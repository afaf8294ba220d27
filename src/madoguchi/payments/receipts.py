"""Which payments get a 領収書, and the 領収書 of one payment.

The city decides per method (ProviderSetting.issues_receipt lists the methods whose payments
get one). Whatever the setting says, a cashless payment at the counter's terminal never gets
one: the terminal's own slip is the receipt, and cities say two receipts for one payment
confuse residents and auditors alike. A second payment of a paid charge (二重決済, paid back)
gets none either. The PDF is made on request from the records (nothing stored): the same
payment gives the same 領収書 each time.
"""

from django.utils.translation import gettext as _

from madoguchi.catalog.selectors import procedure_of_record
from madoguchi.core import branding
from madoguchi.core.pdf.payment_receipt import (
    PaymentReceiptData,
    ReceiptLine,
    render_payment_receipt,
)
from madoguchi.payments.models import (
    COUNTER_METHODS,
    Attempt,
    AttemptState,
    Method,
    ProviderSetting,
)

TERMINAL_METHODS = frozenset(str(m) for m in COUNTER_METHODS if m != Method.CASH)
PROVIDER_LABELS = {"stripe": "Stripe", "paypay": "PayPay"}


def available(attempt: Attempt) -> bool:
    if attempt.state != AttemptState.SUCCEEDED or attempt.method in TERMINAL_METHODS:
        return False
    setting = ProviderSetting.objects.filter(municipality_id=attempt.charge.municipality_id,
                                             provider=attempt.provider).first()
    return setting is not None and attempt.method in (setting.issues_receipt or [])


def paid_attempt(submission) -> Attempt | None:
    """The payment whose 領収書 My Page offers: the latest that paid one of its charges."""
    return (Attempt.objects.filter(charge__submission=submission, state=AttemptState.SUCCEEDED)
            .select_related("charge__municipality", "charge__submission").order_by("-finished_at").first())


def receipt_id(attempt: Attempt) -> str:
    """The 領収書番号: the payment's id, as the daily file's 決済ID column gives it."""
    return str(attempt.public_id)


def _lines(charge) -> tuple[ReceiptLine, ...]:
    lines = charge.lines.get("lines", []) if isinstance(charge.lines, dict) else charge.lines or []
    found = tuple(ReceiptLine(str(x.get("label", "")), int(x.get("unit_yen", 0)), int(x.get("quantity", 1)),
                              int(x.get("amount_yen", 0))) for x in lines)
    return found if sum(x.amount_yen for x in found) == charge.amount_yen else ()


def render(attempt: Attempt) -> bytes:
    """The 領収書 in the active language (the resident's page); the procedure's title as the
    catalogue gives it in that language."""
    charge = attempt.charge
    submission = charge.submission
    municipality = charge.municipality
    procedure = procedure_of_record(municipality, submission.procedure_code)
    title = procedure.title if procedure is not None else submission.procedure_code
    exempt = [_("%(label)sは免除（0円）") % {"label": x.get("label", "")}
              for x in (charge.lines if isinstance(charge.lines, list) else []) if x.get("exempt")]
    return render_payment_receipt(PaymentReceiptData(
        municipality_name=municipality.name,
        receipt_id=receipt_id(attempt),
        receipt_number=submission.receipt_number,
        procedure_title=title,
        lines=_lines(charge),
        total_yen=attempt.amount_yen,
        method_label=str(Method(attempt.method).label) if attempt.method in Method.values else attempt.method,
        paid_at=attempt.finished_at,
        provider_label=PROVIDER_LABELS.get(attempt.provider, ""),
        provider_reference=attempt.provider_ref,
        lines_note=tuple(exempt),
        letterhead=branding.letterhead(municipality),
    ))
