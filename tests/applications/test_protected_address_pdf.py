"""支援措置 in the PDFs made for an applicant: the 受付票 (My Page) and the 決定通知書 carry no
protected resident's address when the applicant is someone else, however the form wrote it;
the protected resident's own documents (her account linked with the card) carry it; a lifted
mark masks nothing. The answers themselves are kept as given."""

import io

import pytest
from django.urls import reverse
from protected_residents import (
    PLAIN_WRITTEN,
    REGISTERED,
    WRITTEN,
    lift,
    link,
    masked,
    protect,
    resident_at,
)
from pypdf import PdfReader

from madoguchi.applications import services as applications
from madoguchi.applications.models import IssuedDocument, Status
from madoguchi.casework import services as casework
from madoguchi.casework.models import ChecklistTick
from madoguchi.catalog import loader
from madoguchi.core.actors import Actor

from support import submit_via_web

pytestmark = pytest.mark.django_db

CODE = "child-allowance-claim"  # an application: its decision issues a notice
CONTENT = {"monthly_amount": 15000, "start_month": "2026-12", "children": [0],
           "payment_months": ["feb", "apr", "jun", "aug", "oct", "dec"]}
ANSWERS = {"claimant_name": "山田 太郎", "claimant_address": WRITTEN}


def _text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return "".join(page.extract_text() for page in reader.pages).replace(" ", "").replace("\u3000", "")


@pytest.fixture
def misaki(city):
    return resident_at(city, "70000000021", REGISTERED)


@pytest.fixture
def mark(city, staff, misaki):
    return protect(city, staff, misaki)


def _receipt(client, submission) -> str:
    response = client.get(reverse("applications:receipt", args=[submission.public_id]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    return _text(b"".join(response) if response.streaming else response.content)


def _notice(submission, staff) -> str:
    clerk, approver = staff["kodomo-tanto"], staff["kodomo-kacho"]
    casework.accept(submission, clerk, Actor.staff(clerk))
    for item in loader.catalog()[CODE].checklist:
        ChecklistTick.objects.create(submission=submission, item=item.id, ticked_by=clerk)
    casework.propose_decision(submission, clerk, Actor.staff(clerk), "approve", "", CONTENT)
    casework.approve(submission, approver, Actor.staff(approver))
    submission.refresh_from_db()
    assert submission.status == Status.APPROVED
    notice = IssuedDocument.objects.get(submission=submission, kind=IssuedDocument.Kind.NOTICE)
    return _text(applications.document_bytes(notice))


def test_another_applicants_receipt_and_notice_carry_no_protected_address(resident_client, staff, mark):
    submission = submit_via_web(resident_client, CODE, ANSWERS)
    assert applications.answers_of(submission.current_version)["claimant_address"] == WRITTEN  # kept
    for text in (_receipt(resident_client, submission), _notice(submission, staff)):
        assert WRITTEN not in text and "本町" not in text
        assert masked() in text
        assert "山田太郎" in text  # the rest is printed as it was


def test_the_protected_residents_own_receipt_and_notice_carry_her_address(
        city, resident, resident_client, staff, misaki, mark):
    link(city, resident, misaki)
    submission = submit_via_web(resident_client, CODE, ANSWERS)
    for text in (_receipt(resident_client, submission), _notice(submission, staff)):
        assert WRITTEN in text and masked() not in text


def test_a_lifted_mark_masks_nothing_in_the_pdfs(resident_client, staff, mark):
    lift(staff, mark)
    submission = submit_via_web(resident_client, CODE, ANSWERS)
    for text in (_receipt(resident_client, submission), _notice(submission, staff)):
        assert WRITTEN in text and masked() not in text


def test_a_clerks_message_on_my_page_masks_a_protected_address_for_anyone_else(
        city, resident, resident_client, staff, misaki, mark):
    """The mail only says a message came; the message itself is read on My Page."""
    submission = submit_via_web(resident_client, CODE, {**ANSWERS, "claimant_address": PLAIN_WRITTEN})
    clerk = staff["kodomo-tanto"]
    applications.post_message(submission, f"{WRITTEN} の方の書類を確認しています。", Actor.staff(clerk), staff_user=clerk)
    page = resident_client.get(reverse("applications:submission", args=[submission.public_id])).content.decode()
    assert WRITTEN not in page and masked() in page
    link(city, resident, misaki)  # she is the applicant: her own address stays
    page = resident_client.get(reverse("applications:submission", args=[submission.public_id])).content.decode()
    assert WRITTEN in page
