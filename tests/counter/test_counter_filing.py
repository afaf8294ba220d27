"""Filing a signed visit: one case per form in its department's queue, linked as one visit."""

import io
from datetime import timedelta

import pytest
import test_counter_services as shared
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from madoguchi.applications import selectors as app_selectors
from madoguchi.applications.models import Channel, IssuedDocument, Status, Submission
from madoguchi.applications.services import answers_of, document_bytes
from madoguchi.casework import selectors as case_selectors
from madoguchi.casework import services as casework
from madoguchi.casework.models import ChecklistTick
from madoguchi.catalog.loader import catalog
from madoguchi.core.actors import Actor
from madoguchi.core.crypto import decrypt_bytes
from madoguchi.core.models import AuditEvent
from madoguchi.counter import bundle, services
from madoguchi.counter.models import VisitStatus
from madoguchi.identity.card.pkcs11 import CardFace
from madoguchi.identity.emailcode import issue_api_token
from madoguchi.notify.models import OutboxMessage
from madoguchi.register.codes import Status as RegisterStatus
from madoguchi.register.models import RegisterLink

ADDRESS, PNG = shared.ADDRESS, shared.PNG
_fill_every_blank, _moving_in_visit = shared._fill_every_blank, shared._moving_in_visit
# The service tests' fixtures, used here under the same names.
clerk, actor, family, visit = shared.clerk, shared.actor, shared.family, shared.visit

FOUR_DEPARTMENTS = {"shimin", "kokuho", "kodomo", "kankyo"}


def _signed_moving_in(visit, actor, family):
    _moving_in_visit(visit, actor, family, timezone.localdate())
    _fill_every_blank(visit, actor)
    services.confirm(visit, actor)
    services.sign(visit, actor, PNG)
    visit.refresh_from_db()
    return visit


def _pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return "".join(page.extract_text() for page in reader.pages).replace(" ", "").replace("\n", "")


def test_a_signed_moving_in_visit_files_a_case_per_form_in_four_departments(visit, actor, family):
    _signed_moving_in(visit, actor, family)
    cases = services.file_visit(visit, actor)
    codes = {c.procedure_code for c in cases}
    assert {"moving-in", "nhi-enrollment", "child-allowance-claim", "child-medical-subsidy",
            "dog-registration-change"} <= codes
    assert {c.department.code for c in cases} >= FOUR_DEPARTMENTS
    assert len({c.receipt_number for c in cases}) == len(cases) == visit.forms.count()
    for case in cases:
        assert case.channel == Channel.COUNTER and case.status == Status.SUBMITTED
        assert case.visit_ref == visit.public_id and case.resident == family["head"]
        assert case.account is None and case.actor_ref == actor.ref
        assert case.events.get().to_status == Status.SUBMITTED
        assert case.counter_form.visit == visit
    visit.refresh_from_db()
    assert visit.status == VisitStatus.FILED and visit.duration_seconds is not None
    assert visit.finished_at >= visit.signed_at >= visit.called_at
    event = AuditEvent.objects.get(action="counter_file")
    assert event.subject_ref == family["head"].ref and len(event.detail["cases"]) == len(cases)
    assert not OutboxMessage.objects.exists()  # no account, no address: nothing is mailed


def test_the_filed_answers_are_the_signed_ones_with_their_sources(visit, actor, family):
    _signed_moving_in(visit, actor, family)
    signed = {e.procedure.code: e for e in bundle.entries(visit)}
    for case in services.file_visit(visit, actor):
        version = case.current_version
        entry = signed[case.procedure_code]
        assert decrypt_bytes(version.answers)  # stored encrypted
        assert answers_of(version) == entry.answers
        assert version.sources == entry.form.sources


def test_each_case_carries_its_standard_form_with_the_signature(visit, actor, family):
    _signed_moving_in(visit, actor, family)
    cases = services.file_visit(visit, actor)
    moving_in = next(c for c in cases if c.procedure_code == "moving-in")
    document = moving_in.documents.get(kind=IssuedDocument.Kind.FORM)
    data = document_bytes(document)
    text = _pdf_text(data)
    assert "山田太郎" in text and "タブレットで署名" in text
    assert PdfReader(io.BytesIO(data)).pages[-1].images  # the signature is drawn in


def test_filing_twice_files_nothing_more(visit, actor, family):
    _signed_moving_in(visit, actor, family)
    first = services.file_visit(visit, actor)
    again = services.file_visit(visit, actor)
    assert [c.pk for c in again] == [c.pk for c in first]
    assert Submission.objects.filter(visit_ref=visit.public_id).count() == len(first)


def test_nothing_is_filed_before_the_signature(visit, actor, family):
    _moving_in_visit(visit, actor, family, timezone.localdate())
    with pytest.raises(services.VisitRefused, match="署名の後"):
        services.file_visit(visit, actor)
    assert not Submission.objects.exists()


def test_a_linked_account_sees_the_counter_cases_and_gets_their_mail(visit, actor, family, resident):
    RegisterLink.objects.create(municipality=visit.municipality, account=resident,
                                resident=family["head"], linked_by="signing_certificate")
    _signed_moving_in(visit, actor, family)
    cases = services.file_visit(visit, actor)
    assert {c.account for c in cases} == {resident}
    assert set(app_selectors.submissions_of(resident)) == set(cases)
    mails = [m.recipient for m in OutboxMessage.objects.all()]  # encrypted: read, not filtered
    assert mails == [resident.email] * len(cases)


def test_each_department_sees_its_own_cases_and_the_whole_visit(visit, actor, family, staff, client):
    _signed_moving_in(visit, actor, family)
    cases = services.file_visit(visit, actor)
    kodomo = staff["kodomo-tanto"]
    queue = list(case_selectors.queue(kodomo, visit.municipality, channel=Channel.COUNTER))
    assert queue and {c.department.code for c in queue} == {"kodomo"}
    assert set(queue) == {c for c in cases if c.department.code == "kodomo"}
    others = case_selectors.same_visit(queue[0], kodomo)
    assert len(others) == len(cases) - 1
    assert {o["s"].department.code for o in others if o["open"]} == {"kodomo"}

    client.force_login(kodomo)
    page = client.get(reverse("casework:case", args=[queue[0].public_id])).content.decode()
    assert "窓口" in page and "山田\u3000太郎" in page and "同じ来庁で受け付けた手続" in page
    assert all(c.receipt_number in page for c in cases)
    listing = client.get(reverse("casework:queue"), {"channel": "counter"}).content.decode()
    assert queue[0].receipt_number in listing


# What 認定 states, per procedure the counter files into こども家庭課 (the file's `decision:`).
DECISION_CONTENT = {
    "child-allowance-claim": {"monthly_amount": 15000, "start_month": "2026-12", "children": [0],
                              "payment_months": ["feb", "apr", "jun", "aug", "oct", "dec"]},
    "child-medical-subsidy": {"children": [0], "start_date": "2026-11-01"},
}


def test_a_counter_case_goes_through_approval_without_an_address(visit, actor, family, staff):
    _signed_moving_in(visit, actor, family)
    case = next(c for c in services.file_visit(visit, actor) if c.department.code == "kodomo")
    drafter, approver = staff["kodomo-tanto"], staff["kodomo-kacho"]
    casework.accept(case, drafter, Actor.staff(drafter))
    procedure = catalog()[case.procedure_code]
    for item in procedure.checklist:
        ChecklistTick.objects.create(submission=case, item=item.id, ticked_by=drafter)
    casework.propose_decision(case, drafter, Actor.staff(drafter), "approve", "",
                              DECISION_CONTENT.get(case.procedure_code, {}))
    notice = casework.approve(case, approver, Actor.staff(approver))
    case.refresh_from_db()
    assert case.status == Status.APPROVED and notice.kind == IssuedDocument.Kind.NOTICE
    assert "山田太郎" in _pdf_text(document_bytes(notice))
    assert not OutboxMessage.objects.exists()


def test_okuyami_the_deceased_is_found_and_the_family_member_applies(visit, actor, family):
    wife, head = family["wife"], family["head"]
    head.status = RegisterStatus.DECEASED
    head.save(update_fields=["status"])
    face = CardFace(name=wife.name, address=ADDRESS, birth_date=wife.birth_date.isoformat(),
                    gender="2", my_number=decrypt_bytes(wife.my_number).decode())
    services.identify_by_card(visit, actor, face)
    assert services.search_by_kana(visit, actor, head.kana, head.birth_date) == []
    assert services.search_by_kana(visit, actor, head.kana, head.birth_date,
                                   include_deceased=True) == [head]
    with pytest.raises(services.VisitRefused):
        services.choose(visit, actor, head.pk)  # a deceased person is never the visitor
    services.choose(visit, actor, head.pk, represented=True)
    services.set_proxy(visit, wife.name, "妻")
    shared._answer_first_options(services.start_event(visit, "death"),
                                 timezone.localdate() - timedelta(days=1))
    visit.refresh_from_db()
    bundle.build(visit, actor)
    _fill_every_blank(visit, actor)
    services.confirm(visit, actor)
    services.sign(visit, actor, PNG)
    cases = services.file_visit(visit, actor)
    assert cases and {c.resident for c in cases} == {wife}


def test_a_resident_who_moved_away_cannot_be_represented(visit, actor, family):
    son = family["son"]
    son.status = RegisterStatus.MOVED_OUT
    son.save(update_fields=["status"])
    with pytest.raises(services.VisitRefused):
        services.choose(visit, actor, son.pk, represented=True)
    assert services.search_by_kana(visit, actor, son.kana, son.birth_date, include_deceased=True) == []


def test_the_staff_api_lists_counter_cases_with_their_visit(visit, actor, family, staff, client):
    _signed_moving_in(visit, actor, family)
    cases = services.file_visit(visit, actor)
    token = issue_api_token(visit.municipality, staff_user=staff["kokuho-tanto"])
    headers = {"Authorization": f"Bearer {token}"}
    listed = client.get("/api/staff/cases", {"channel": "counter"}, headers=headers).json()
    assert {c["receipt_number"] for c in listed} == {
        c.receipt_number for c in cases if c.department.code == "kokuho"}
    assert {(c["channel"], c["visit"]) for c in listed} == {("counter", str(visit.public_id))}
    assert client.get("/api/staff/cases", {"channel": "online"}, headers=headers).json() == []
