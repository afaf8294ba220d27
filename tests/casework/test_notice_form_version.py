"""The decision notice names the applicant from the form the application was made with, even
after the city has published a new version of the form whose field ids differ."""

import io
import json

import pytest
import yaml
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
OWNER = {"claimant_name": "山田 太郎", "claimant_address": "鹿児島県鹿児島市山下町11番1号"}
CONTENT = {"monthly_amount": 15000, "start_month": "2026-12", "children": [0],
           "payment_months": ["feb", "apr", "jun", "aug", "oct", "dec"]}


def _renamed(value):
    """The same form with every `claimant_…` id (and every reference to one) renamed `holder_…`."""
    text = json.dumps(value, ensure_ascii=False).replace('"claimant_', '"holder_')
    return json.loads(text)


@pytest.fixture
def newer_form(settings, tmp_path):
    """A catalogue directory over the base whose procedure gains a form version with new ids."""
    base = loader.catalog()[CODE].model_dump(mode="json", by_alias=True, exclude_none=True)
    newer = _renamed(base["forms"][-1]) | {"version": base["forms"][-1]["version"] + 1}
    (tmp_path / f"{CODE}.yaml").write_text(
        yaml.safe_dump(base | {"forms": [*base["forms"], newer]}, allow_unicode=True), encoding="utf-8")

    def publish():
        settings.MADOGUCHI_CATALOG_DIRS = [*settings.MADOGUCHI_CATALOG_DIRS, tmp_path]
        loader.reload()
        assert loader.catalog()[CODE].current_form.version == newer["version"]

    yield publish
    loader.reload()


def _pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return "".join(page.extract_text() for page in reader.pages).replace(" ", "").replace("\u3000", "")


def test_the_notice_names_the_applicant_from_the_submitted_forms_version(resident_client, staff, newer_form):
    submitted = submit_via_web(resident_client, CODE, OWNER)
    submitted_version = submitted.current_version.form_version
    newer_form()  # the city publishes a new form between the submission and the decision
    clerk, approver = staff["kodomo-tanto"], staff["kodomo-kacho"]
    casework.accept(submitted, clerk, Actor.staff(clerk))
    for item in loader.catalog()[CODE].checklist:
        ChecklistTick.objects.create(submission=submitted, item=item.id, ticked_by=clerk)
    casework.propose_decision(submitted, clerk, Actor.staff(clerk), "approve", "", CONTENT)
    casework.approve(submitted, approver, Actor.staff(approver))
    submitted.refresh_from_db()
    assert submitted.status == Status.APPROVED
    assert submitted.current_version.form_version == submitted_version

    notice = IssuedDocument.objects.get(submission=submitted, kind=IssuedDocument.Kind.NOTICE)
    text = _pdf_text(applications.document_bytes(notice))
    assert "山田太郎" in text
    assert "鹿児島県鹿児島市山下町11番1号" in text
