"""Read queries for the resident's side. Every query is scoped to the resident's account."""

from madoguchi.applications.models import Draft, IssuedDocument, Submission


def submissions_of(account):
    return Submission.objects.filter(account=account).order_by("-submitted_at")


def submission_of(account, public_id) -> Submission | None:
    return Submission.objects.filter(account=account, public_id=public_id).first()


def draft_of(account, public_id) -> Draft | None:
    return Draft.objects.filter(account=account, public_id=public_id).first()


def document_of(account, public_id) -> IssuedDocument | None:
    return IssuedDocument.objects.filter(submission__account=account, public_id=public_id).first()


def submission_by_receipt(municipality, receipt_number: str) -> Submission | None:
    return Submission.objects.filter(municipality=municipality, receipt_number=receipt_number).first()
