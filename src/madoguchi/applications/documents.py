"""The receipt (受付票) PDF, rendered on request from the stored submission."""

from django.urls import reverse

from madoguchi.applications import engine
from madoguchi.applications.services import answers_of
from madoguchi.catalog.selectors import procedure_of_record
from madoguchi.core.pdf import ReceiptData, render_receipt


def public_url(path: str) -> str:
    from django.conf import settings

    return settings.MADOGUCHI_PUBLIC_URL.rstrip("/") + path


def receipt_pdf(submission) -> bytes:
    procedure = procedure_of_record(submission.municipality, submission.procedure_code)
    version = submission.versions.order_by("number").first()
    form = procedure.form(version.form_version)
    department = submission.department
    return render_receipt(
        ReceiptData(
            municipality_name=submission.municipality.name,
            department_name=department.name,
            department_contact=" / ".join(x for x in [department.phone, department.counter] if x),
            procedure_title=procedure.title,
            receipt_number=submission.receipt_number,
            submitted_at=submission.submitted_at,
            status_url=public_url(reverse("applications:submission", args=[submission.public_id])),
            rows=engine.flat_rows(form, answers_of(version)),
            fee_yen=submission.fee_yen,
        )
    )
