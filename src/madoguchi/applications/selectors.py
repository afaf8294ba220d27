"""Read queries for the resident's side. Every query is scoped to the resident's account."""

from madoguchi.applications.models import Channel, Draft, IssuedDocument, Status, Submission


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


def payment_status(submission: Submission, fresh: bool = False) -> str:
    """Where the case's fee stands, for the resident and the API: `none` (no fee), `deferred`
    (the department fixes the amount after review), `due` (お支払い待ち), `paid` (paid online),
    `counter` (taken at the counter, recorded there). Read from the status and the timeline,
    which the payments app moves on payment (applications never reads the payments tables).
    `fresh`: the submission was created by this request, so it cannot have been paid yet (no
    query)."""
    if submission.status == Status.AWAITING_PAYMENT:
        return "due"
    if not fresh and submission.events.filter(from_status=Status.AWAITING_PAYMENT).exclude(
            to_status=Status.WITHDRAWN).exists():
        return "paid"
    if submission.fee_deferred:
        return "deferred"
    if submission.fee_yen > 0 and submission.channel == Channel.COUNTER:
        return "counter"
    return "none"
