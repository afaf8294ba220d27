"""The seal in the approval: casework/services.py::_issue_notice seals every notice with the
city's seal; a city without one (where a seal is required) cannot approve, and nothing is saved."""

import pytest

from madoguchi.applications import services as applications
from madoguchi.applications.models import IssuedDocument, Status
from madoguchi.casework import services as casework
from madoguchi.casework.models import ChecklistTick
from madoguchi.catalog.loader import catalog
from madoguchi.core.actors import Actor
from madoguchi.core.pdf import seal
from madoguchi.core.seal_ca import SealTestCA

from support import submit_via_web

pytestmark = pytest.mark.django_db

CODE = "child-allowance-claim"
REASON = "所得が所得制限限度額を超えているため。"  # ja-only: test data


@pytest.fixture
def pending(resident_client, staff):
    """A case whose rejection waits for the approver (a rejection needs only its reason)."""
    case = submit_via_web(resident_client, CODE)
    clerk = staff["kodomo-tanto"]
    casework.accept(case, clerk, Actor.staff(clerk))
    for item in catalog()[CODE].checklist:
        ChecklistTick.objects.get_or_create(submission=case, item=item.id, defaults={"ticked_by": clerk})
    casework.perform("propose", case, clerk, Actor.staff(clerk), {"outcome": "reject", "reason": REASON})
    case.refresh_from_db()
    assert case.status == Status.PENDING_APPROVAL
    return case


def approve(case, staff):
    approver = staff["kodomo-kacho"]
    return casework.approve(case, approver, Actor.staff(approver))


def test_without_a_seal_the_approval_is_refused_and_nothing_is_saved(settings, pending, staff):
    settings.MADOGUCHI_SEAL_REQUIRED = True
    with pytest.raises(casework.CaseActionError) as refused:
        approve(pending, staff)
    assert refused.value.code == "seal"
    pending.refresh_from_db()
    assert pending.status == Status.PENDING_APPROVAL
    assert not IssuedDocument.objects.filter(submission=pending, kind=IssuedDocument.Kind.NOTICE).exists()


def test_the_issued_notice_carries_the_citys_seal(settings, pending, staff, tmp_path):
    ca = SealTestCA.create(tmp_path)
    city = pending.municipality
    city.seal_config = ca.write_seal("demo", city.name).config()
    city.save()
    settings.MADOGUCHI_SEAL_REQUIRED = True
    settings.MADOGUCHI_SEAL_TRUST_ROOTS = [str(ca.root_path)]
    approve(pending, staff)
    notice = IssuedDocument.objects.get(submission=pending, kind=IssuedDocument.Kind.NOTICE)
    found = seal.validate(applications.document_bytes(notice), municipality=city)
    assert found.ok and found.signer == f"{city.name}長"  # ja-only: test data (the mayor's 職責)
