"""The receipt (受付票) PDF, rendered on request from the stored submission.

What it prints passes core.redaction first: a 支援措置's protected address (typed into any
answer, the applicant's own or another person's) is masked unless the applicant is that
resident (`recipients_of`)."""

from django.urls import reverse
from django.utils import translation

from madoguchi.applications import engine
from madoguchi.applications.services import answers_of
from madoguchi.catalog.selectors import procedure_of_record
from madoguchi.core import branding, cities, i18n, redaction
from madoguchi.core.pdf import ReceiptData, render_receipt
from madoguchi.core.pdf.receipt import FeeRow
from madoguchi.identity.models import ResidentAccount
from madoguchi.register.models import Resident


def recipients_of(submission) -> list[str]:
    """Who a document made for the applicant goes to, as core.redaction names them: the
    applicant's account and register record, where set (no query: the ids are on the row)."""
    found = []
    if submission.account_id:
        found.append(ResidentAccount(pk=submission.account_id).ref)
    if submission.resident_id:
        found.append(Resident(pk=submission.resident_id).ref)
    return found


def receipt_pdf(submission) -> bytes:
    procedure = procedure_of_record(submission.municipality, submission.procedure_code)
    version = submission.versions.order_by("number").first()
    form = procedure.form(version.form_version)
    department = submission.department
    fee = submission.fee_quote.localized(procedure)  # the 受付票 is the resident's, in their language
    return render_receipt(
        ReceiptData(
            municipality_name=submission.municipality.name,
            department_name=department.shown_name,
            department_contact=" / ".join(x for x in [department.phone, department.shown_counter] if x),
            procedure_title=procedure.title,
            receipt_number=submission.receipt_number,
            submitted_at=submission.submitted_at,
            status_url=i18n.with_language(cities.public_url(submission.municipality, reverse("applications:submission",
                                                             args=[submission.public_id])),
                                          translation.get_language()),
            rows=redaction.mask_values(redaction.masker(submission.municipality, recipients_of(submission)),
                                       engine.flat_rows(form, answers_of(version))),
            fee_yen=submission.fee_yen,
            fee_lines=tuple(FeeRow(x.label, x.unit_yen, x.quantity, x.amount_yen, x.exempt)
                            for x in fee.lines),
            fee_exemptions=fee.exemptions,
            fee_deferred_note=fee.deferred_note if fee.deferred else "",
            fee_status=submission.get_status_display() if submission.awaiting_payment else "",
            letterhead=branding.letterhead(submission.municipality),
        )
    )
