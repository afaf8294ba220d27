"""The receipt (受付票) PDF, rendered on request from the stored submission."""

from django.urls import reverse
from django.utils import translation

from madoguchi.applications import engine
from madoguchi.applications.services import answers_of
from madoguchi.catalog.selectors import procedure_of_record
from madoguchi.core import branding, cities, i18n
from madoguchi.core.pdf import ReceiptData, render_receipt
from madoguchi.core.pdf.receipt import FeeRow


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
            rows=engine.flat_rows(form, answers_of(version)),
            fee_yen=submission.fee_yen,
            fee_lines=tuple(FeeRow(x.label, x.unit_yen, x.quantity, x.amount_yen, x.exempt)
                            for x in fee.lines),
            fee_exemptions=fee.exemptions,
            fee_deferred_note=fee.deferred_note if fee.deferred else "",
            fee_status=submission.get_status_display() if submission.awaiting_payment else "",
            letterhead=branding.letterhead(submission.municipality),
        )
    )
