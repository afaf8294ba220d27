"""The department's work on a case: 受付, 差戻し and correction, 起案, 決裁, the notice, e-mail."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from madoguchi.applications import services as applications
from madoguchi.applications.models import IssuedDocument, Status, SubmissionVersion
from madoguchi.applications.workflow import TransitionError
from madoguchi.casework import services as casework
from madoguchi.casework.models import ChecklistTick, Decision
from madoguchi.catalog.loader import catalog
from madoguchi.core.actors import Actor
from madoguchi.core.models import AuditEvent, Department, Role, StaffMembership
from madoguchi.identity.models import ResidentAccount
from madoguchi.notify.models import OutboxMessage, OutboxStatus
from madoguchi.notify.services import deliver_pending

from conftest import login_resident
from support import submit_via_web

pytestmark = pytest.mark.django_db

CODE = "dog-registration-change"
RETURN_NOTE = "登録番号が鑑札と違うようです。鑑札を確認して修正してください。"


@pytest.fixture
def submitted(resident_client):
    return submit_via_web(resident_client, CODE, {"dog_name": "ポチ"})


# An application with a notice: 児童手当 (a 届出 such as the dog's is 受理, without a notice).
CLAIM = "child-allowance-claim"
CLAIM_CONTENT = {"approve-monthly_amount": "15000", "approve-start_month": "2026-12",
                 "approve-children": "0",
                 "approve-payment_months": ["feb", "apr", "jun", "aug", "oct", "dec"]}


@pytest.fixture
def claim(resident_client, staff, city, django_user_model):
    """A submitted 児童手当 claim; staff gains `kodomo-both`, clerk and approver of こども家庭課."""
    both = django_user_model.objects.create_user("kodomo-both", password="x-pass-2026")
    kodomo = Department.objects.get(municipality=city, code="kodomo")
    for role in (Role.CLERK, Role.APPROVER):
        StaffMembership.objects.create(user=both, department=kodomo, role=role)
    staff["kodomo-both"] = both
    return submit_via_web(resident_client, CLAIM)


def claim_ready(client, staff, case):
    """Accepted and its checklist ticked: ready for a proposal."""
    act(client, staff["kodomo-tanto"], case, "accept")
    for item in catalog()[CLAIM].checklist:
        ChecklistTick.objects.create(submission=case, item=item.id, ticked_by=staff["kodomo-tanto"])


def claim_pending(client, staff, case, outcome="approve", reason="", proposer="kodomo-tanto"):
    """Accepted, its checklist ticked, proposed (with the content 認定 states)."""
    claim_ready(client, staff, case)
    content = CLAIM_CONTENT if outcome == "approve" else {}
    act(client, staff[proposer], case, "propose", outcome=outcome, reason=reason, **content)
    assert case.status == Status.PENDING_APPROVAL


def act(client, user, case, action, **data):
    """POST a staff action as `user`; return the case page shown after the redirect (a refused
    proposal or 差戻し is shown at once, 400, with what was typed at its fields)."""
    client.force_login(user)
    response = client.post(reverse("casework:action", args=[case.public_id, action]), data)
    if action in ("propose", "return") and response.status_code == 400:
        case.refresh_from_db()
        return response.content.decode()
    assert response.status_code == 302
    assert response["Location"] == reverse("casework:case", args=[case.public_id])
    page = client.get(response["Location"]).content.decode()
    case.refresh_from_db()
    return page


def to_pending(client, staff, case, outcome="approve", reason="", proposer="kankyo-tanto"):
    act(client, staff["kankyo-tanto"], case, "accept")
    act(client, staff[proposer], case, "propose", outcome=outcome, reason=reason)
    assert case.status == Status.PENDING_APPROVAL


def test_accept_return_correct_resubmit_keeps_both_versions(client, resident, staff, submitted):
    clerk = staff["kankyo-tanto"]
    act(client, clerk, submitted, "accept")
    assert submitted.status == Status.ACCEPTED

    page = act(client, clerk, submitted, "return", message="   ", return_reason="missing")
    assert "refused-return-reason" in page
    assert submitted.status == Status.ACCEPTED

    act(client, clerk, submitted, "return", message=RETURN_NOTE, return_reason="missing")
    assert submitted.status == Status.RETURNED

    login_resident(client, resident)
    mine = client.get(reverse("applications:submission", args=[submitted.public_id]))
    assert mine.status_code == 200
    assert RETURN_NOTE in mine.content.decode()
    assert "申請内容を修正する" in mine.content.decode()

    submit_correction = client.post(reverse("applications:correct", args=[submitted.public_id]))
    assert submit_correction.status_code == 302
    draft_id = re.search(r"/drafts/([0-9a-f-]{36})/steps/0/", submit_correction["Location"]).group(1)
    step1 = reverse("applications:step", args=[draft_id, 1])
    page = client.get(step1).content.decode()
    assert 'value="ポチ"' in page  # the correction starts from what was submitted
    response = client.post(step1, {"_action": "next", "registration_number": "R5-999",
                                   "dog_name": "タロウ", "change_kind": "died",
                                   "change_date": "R5.4.1"})
    assert response.status_code == 302, response.content.decode()[:2000]
    response = client.post(reverse("applications:confirm", args=[draft_id]))
    assert response.status_code == 302

    submitted.refresh_from_db()
    assert submitted.status == Status.SUBMITTED
    versions = list(SubmissionVersion.objects.filter(submission=submitted).order_by("number"))
    assert [v.number for v in versions] == [1, 2]
    first, second = (applications.answers_of(v) for v in versions)
    assert first["dog_name"] == "ポチ" and first["change_kind"] == "owner_address"
    assert second["dog_name"] == "タロウ" and second["change_kind"] == "died"
    assert "old_address" not in second  # hidden by the new choice, so not kept

    client.force_login(clerk)
    case_page = client.get(reverse("casework:case", args=[submitted.public_id])).content.decode()
    assert "第1版" in case_page and "第2版" in case_page
    assert "ポチ" in case_page and "タロウ" in case_page


@pytest.mark.parametrize("action, field, text", [
    ("return", "message", "鑑札を確認してください。" * 200),  # 2,400 characters
    ("return", "message", "鑑札を\x00確認してください。"),
    ("propose", "reason", "理由" * 1001),
    ("propose", "reason", "理由\x1b[31m"),
])
def test_staff_texts_are_bounded_and_plain_on_the_pages_as_in_the_api(client, staff, submitted,
                                                                        action, field, text):
    """One rule for what staff write (a note, a notice's reason, a comment): the pages and the
    API both go through the service, which refuses more than 2,000 characters or a control
    character with a message, and changes nothing."""
    act(client, staff["kankyo-tanto"], submitted, "accept")
    page = act(client, staff["kankyo-tanto"], submitted, action,
               **{field: text, "outcome": "approve", "return_reason": "missing"})
    assert submitted.status == Status.ACCEPTED
    assert not Decision.objects.filter(submission=submitted).exists()
    assert 'class="msg msg-error"' in page
    with pytest.raises(casework.CaseActionError):
        casework.perform(action, submitted, staff["kankyo-tanto"], Actor.staff(staff["kankyo-tanto"]),
                         {field: text, "outcome": "approve", "return_reason": "missing"})


def test_empty_return_message_refused_by_service(staff, submitted):
    actor = Actor.staff(staff["kankyo-tanto"])
    with pytest.raises(casework.CaseActionError, match="差戻しの理由"):
        casework.return_for_correction(submitted, staff["kankyo-tanto"], actor, "\u3000 \n", reason="missing")
    submitted.refresh_from_db()
    assert submitted.status == Status.SUBMITTED


def test_approval_needs_a_different_approver_and_issues_a_notice(client, resident, staff, claim):
    both, clerk, approver = staff["kodomo-both"], staff["kodomo-tanto"], staff["kodomo-kacho"]
    claim_pending(client, staff, claim, proposer="kodomo-both")

    page = act(client, both, claim, "approve")
    assert "refused-own-proposal" in page
    assert claim.status == Status.PENDING_APPROVAL
    with pytest.raises(casework.CaseActionError, match="自分で決裁できません"):
        casework.approve(claim, both, Actor.staff(both))

    page = act(client, clerk, claim, "approve")
    assert "refused-approver-role" in page
    assert claim.status == Status.PENDING_APPROVAL
    with pytest.raises(casework.CaseActionError, match="決裁者の権限"):
        casework.approve(claim, clerk, Actor.staff(clerk))
    assert not IssuedDocument.objects.filter(submission=claim).exists()

    act(client, approver, claim, "approve", comment="確認しました")
    assert claim.status == Status.APPROVED
    decision = Decision.objects.get(submission=claim)
    assert decision.state == Decision.State.APPROVED
    assert decision.proposed_by == both and decision.approved_by == approver
    assert decision.notice_number

    notice = IssuedDocument.objects.get(submission=claim, kind=IssuedDocument.Kind.NOTICE)
    pdf = applications.document_bytes(notice)
    assert pdf.startswith(b"%PDF")

    login_resident(client, resident)
    mine = client.get(reverse("applications:submission", args=[claim.public_id])).content.decode()
    url = reverse("applications:document", args=[notice.public_id])
    assert url in mine
    download = client.get(url)
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    assert download.content == pdf

    other = ResidentAccount.objects.create(municipality=resident.municipality, email="jiro@example.jp")
    login_resident(client, other)
    assert client.get(url).status_code == 404

    verify_url = reverse("applications:verify", args=[notice.public_id])
    genuine = client.post(verify_url, {"pdf": SimpleUploadedFile("notice.pdf", pdf)})
    assert "このPDFは発行されたものと一致します" in genuine.content.decode()
    altered = pdf.replace(b"%PDF", b"%PDF ", 1)
    forged = client.post(verify_url, {"pdf": SimpleUploadedFile("notice.pdf", altered)})
    assert "このPDFは発行されたものと一致しません" in forged.content.decode()
    assert "一致します" not in forged.content.decode().replace("一致しません", "")


def test_an_approved_application_mail_points_to_its_notice(client, staff, claim, smtp):
    claim_pending(client, staff, claim)
    deliver_pending()
    smtp.messages.clear()
    act(client, staff["kodomo-kacho"], claim, "approve")
    deliver_pending()
    [(_, message)] = smtp.messages
    assert claim.receipt_number in message["Subject"]
    assert "決定通知書" in message.get_content()  # ja-only: the mail's wording


def test_rejection_needs_a_reason_and_issues_a_notice(client, staff, claim):
    clerk, approver = staff["kodomo-tanto"], staff["kodomo-kacho"]
    claim_ready(client, staff, claim)
    page = act(client, clerk, claim, "propose", outcome="reject", reason=" ")
    assert "refused-reject-reason" in page
    assert claim.status == Status.ACCEPTED
    assert not Decision.objects.filter(submission=claim).exists()

    page = act(client, clerk, claim, "propose", outcome="maybe")
    assert "refused-outcome" in page
    assert claim.status == Status.ACCEPTED

    act(client, clerk, claim, "propose", outcome="reject", reason="登録の記録が見つかりません。")
    assert claim.status == Status.PENDING_APPROVAL
    act(client, approver, claim, "approve")
    assert claim.status == Status.REJECTED
    notice = IssuedDocument.objects.get(submission=claim, kind=IssuedDocument.Kind.NOTICE)
    assert applications.document_bytes(notice).startswith(b"%PDF")
    assert Decision.objects.get(submission=claim).outcome == Decision.Outcome.REJECT


def test_send_back_returns_the_proposal_to_accepted(client, staff, submitted):
    to_pending(client, staff, submitted)
    act(client, staff["kankyo-kacho"], submitted, "send-back", comment="理由を書き足してください")
    assert submitted.status == Status.ACCEPTED
    decision = Decision.objects.get(submission=submitted)
    assert decision.state == Decision.State.SENT_BACK
    assert decision.approver_comment == "理由を書き足してください"
    assert not IssuedDocument.objects.filter(submission=submitted).exists()
    # a new proposal can follow, and only it is pending
    act(client, staff["kankyo-tanto"], submitted, "propose", outcome="approve")
    assert submitted.decisions.filter(state=Decision.State.PENDING).count() == 1


def test_illegal_transitions_are_refused(client, staff, claim):
    clerk, approver = staff["kodomo-tanto"], staff["kodomo-kacho"]
    actor = Actor.staff(approver)
    with pytest.raises(casework.CaseActionError):
        casework.approve(claim, approver, actor)
    with pytest.raises(casework.CaseActionError):
        casework.send_back(claim, approver, actor, "")
    with pytest.raises(casework.CaseActionError, match="進めません"):
        casework.propose_decision(claim, clerk, Actor.staff(clerk), "approve", "")
    with pytest.raises(TransitionError):
        applications.transition(claim, Status.APPROVED, actor)
    page = act(client, approver, claim, "approve")
    assert "refused-nothing-pending" in page
    claim.refresh_from_db()
    assert claim.status == Status.SUBMITTED
    assert not Decision.objects.filter(submission=claim).exists()

    claim_pending(client, staff, claim)
    act(client, approver, claim, "approve")
    assert claim.status == Status.APPROVED
    for action, data in [("accept", {}), ("return", {"message": "もう一度", "return_reason": "other"}),
                         ("propose", {"outcome": "approve"}), ("approve", {})]:
        page = act(client, clerk if action != "approve" else approver, claim, action, **data)
        assert claim.status == Status.APPROVED, action
    assert IssuedDocument.objects.filter(submission=claim).count() == 1


def test_unknown_action_is_404(client, staff, submitted):
    client.force_login(staff["kankyo-tanto"])
    response = client.post(reverse("casework:action", args=[submitted.public_id, "delete"]))
    assert response.status_code == 404


def test_staff_message_reaches_my_page(client, resident, staff, submitted):
    act(client, staff["kankyo-tanto"], submitted, "message", body="鑑札の写真を送ってください。")
    page = act(client, staff["kankyo-tanto"], submitted, "message", body="  ")
    assert "メッセージを入力してください" in page
    assert submitted.messages.count() == 1
    login_resident(client, resident)
    mine = client.get(reverse("applications:submission", args=[submitted.public_id])).content.decode()
    assert "鑑札の写真を送ってください。" in mine


def test_viewing_a_case_is_audited(client, resident, staff, submitted):
    clerk = staff["kankyo-tanto"]
    client.force_login(clerk)
    before = AuditEvent.objects.filter(action="view").count()
    assert client.get(reverse("casework:case", args=[submitted.public_id])).status_code == 200
    event = AuditEvent.objects.filter(action="view").latest("id")
    assert AuditEvent.objects.filter(action="view").count() == before + 1
    assert event.actor_ref == f"staff:{clerk.pk}"
    assert event.actor_kind == "staff"
    assert event.subject_ref == f"resident:{resident.pk}"
    assert event.target_type == "submission" and event.target_id == str(submitted.public_id)
    assert event.municipality_id == submitted.municipality_id


def test_decision_mail_is_sent_once(client, resident, staff, submitted, smtp):
    deliver_pending()  # the submission's own mail
    smtp.messages.clear()
    to_pending(client, staff, submitted)
    act(client, staff["kankyo-kacho"], submitted, "approve")
    assert deliver_pending() == 1
    assert len(smtp.messages) == 1
    recipients, message = smtp.messages[0]
    assert recipients == [resident.email]
    assert submitted.receipt_number in message["Subject"]
    # a 届出 is 受理 without a notice: the mail says so and promises no PDF
    assert "受理" in message["Subject"] and "受理" in message.get_content()  # ja-only: the mail's wording
    assert "決定通知書" not in message.get_content()  # ja-only: the mail's wording
    assert deliver_pending() == 0
    assert len(smtp.messages) == 1
    mail = OutboxMessage.objects.get(dedupe_key__startswith=f"status:{submitted.pk}:")
    assert mail.status == OutboxStatus.SENT and mail.attempts == 1


@pytest.mark.django_db(transaction=True)
def test_inline_outbox_delivers_after_commit(client, city, smtp, settings):
    settings.MADOGUCHI_OUTBOX_MODE = "inline"
    response = client.post(reverse("identity:login"), {"email": "taro@example.jp"})
    assert response.status_code == 302
    assert len(smtp.messages) == 1  # no deliver_pending(): sent right after the commit
    recipients, message = smtp.messages[0]
    assert recipients == ["taro@example.jp"]
    assert re.search(r"確認コード: \d{6}", message.get_content())
    assert OutboxMessage.objects.get().status == OutboxStatus.SENT
    assert deliver_pending() == 0
    assert len(smtp.messages) == 1


def test_a_received_notification_reads_as_received_not_approved(client, resident, staff, submitted):
    """A 届出 is 受理 (received), not 承認: My Page, the resident's status API, the staff queue and
    the case page name its final state so, while the status value stays `approved`."""
    from madoguchi.applications.workflow import RECEIVED

    to_pending(client, staff, submitted)
    act(client, staff["kankyo-kacho"], submitted, "approve")
    assert submitted.status == Status.APPROVED
    received, approved = str(RECEIVED), str(Status.APPROVED.label)

    case_page = client.get(reverse("casework:case", args=[submitted.public_id])).content.decode()
    status = case_page.split('id="case-status"', 1)[1].split("</span>", 1)[0]
    assert received in status and approved not in status
    queue = client.get(reverse("casework:queue"), {"status": "approved"}).content.decode()
    assert f"status-approved\">{received}<" in queue

    login_resident(client, resident)
    mine = client.get(reverse("applications:submission", args=[submitted.public_id])).content.decode()
    status = mine.split('id="submission-status"', 1)[1].split("</span>", 1)[0]
    assert received in status and approved not in status
    timeline = mine.split('data-status="approved"', 2)[-1].split("</li>", 1)[0]
    assert received in timeline
    listing = client.get(reverse("applications:mypage")).content.decode()
    assert f"status-approved\">{received}<" in listing
    status_api = client.get(f"/api/submissions/{submitted.receipt_number}/status",
                            headers={"X-Status-Token": applications.status_token(submitted)}).json()
    assert status_api["status"] == "approved" and status_api["status_label"] == received
    assert status_api["events"][-1]["label"] == received


def test_an_approved_application_still_reads_as_approved(client, staff, claim):
    claim_pending(client, staff, claim)
    act(client, staff["kodomo-kacho"], claim, "approve")
    page = client.get(reverse("casework:case", args=[claim.public_id])).content.decode()
    status = page.split('id="case-status"', 1)[1].split("</span>", 1)[0]
    assert str(Status.APPROVED.label) in status
