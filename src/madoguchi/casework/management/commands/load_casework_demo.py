"""A 児童手当 認定請求 in the demo city, accepted and its checklist ticked: ready for こども家庭課 to
propose 認定 with its content (casework/decisions.py) and an approver to decide.

Made through the services a resident and a clerk use (the API's submission, 受付), so the case is
like any other. Idempotent: run again, it finds the same case (the submission's idempotency key).
It is a casework command, not part of load_demo, because core may not import applications."""

import io

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from PIL import Image

from madoguchi.applications import attachments
from madoguchi.applications import services as applications
from madoguchi.applications.models import Status, Submission
from madoguchi.casework import services as casework
from madoguchi.casework.models import ChecklistTick
from madoguchi.catalog.selectors import get_procedure
from madoguchi.core.actors import Actor
from madoguchi.core.models import Municipality
from madoguchi.identity.models import ResidentAccount

CODE = "child-allowance-claim"
EMAIL = "jidouteate.demo@example.jp"
KEY = "demo-child-allowance-claim"


def _passbook() -> bytes:
    """A plain image standing in for the passbook's page (the demo shows no real account)."""
    buffer = io.BytesIO()
    Image.new("RGB", (320, 200), (240, 240, 235)).save(buffer, format="PNG")
    return buffer.getvalue()


def _answers(proof: str) -> dict:
    # ja-only: demo data (a fictional family of the demo city)
    return {
        "claimant_name": "窓口 花子", "claimant_kana": "マドグチ ハナコ", "claimant_birth_date": "1990-05-10",  # ja-only: demo data
        "claimant_my_number": "123456789018", "claimant_postal_code": "8920816",
        "claimant_address": "鹿児島県鹿児島市山下町11番1号", "claimant_phone": "099-224-1111",  # ja-only: demo data
        "claimant_occupation": "会社員", "claimant_pension": "kosei", "has_spouse": "no",  # ja-only: demo data
        "bank_name": "デモ銀行", "branch_name": "本店", "account_type": "ordinary",  # ja-only: demo data
        "account_number": "1234567", "account_holder_kana": "マドグチ ハナコ",  # ja-only: demo data
        "children": [
            {"name": "窓口 一郎", "kana": "マドグチ イチロウ", "birth_date": "2024-06-15",  # ja-only: demo data
             "relationship": "child", "living": "together"},
            {"name": "窓口 二郎", "kana": "マドグチ ジロウ", "birth_date": "2026-10-01",  # ja-only: demo data
             "relationship": "child", "living": "together"},
        ],
        "older_children": "no", "account_proof": proof, "consent": True,
    }


class Command(BaseCommand):
    help = "Create a child allowance claim in a demo city, accepted and ready to decide."

    def add_arguments(self, parser):
        parser.add_argument("--city", default="demo", help="the demo city's slug (default: demo)")

    def handle(self, *args, **options):
        city = Municipality.objects.filter(slug=options["city"]).first()
        if city is None:
            raise CommandError(f"no city {options['city']!r}: run load_demo first")
        procedure = get_procedure(city, CODE)
        clerk = get_user_model().objects.filter(username="kodomo-tanto").first()
        if procedure is None or clerk is None:
            raise CommandError(f"the demo city has no {CODE} or no kodomo-tanto: run load_demo first")
        account, _ = ResidentAccount.objects.get_or_create(municipality=city, email=EMAIL)
        case = Submission.objects.filter(
            municipality=city, idempotency_key=applications.scoped_idempotency_key(account, KEY)).first()
        if case is None:
            proof = attachments.store(account, "passbook.png", _passbook(), ["png"])
            try:
                case, _created = applications.submit_answers(
                    account, procedure, _answers(str(proof.public_id)), Actor.resident(account.pk), KEY)
            except applications.SubmissionRefused as exc:
                raise CommandError(f"the demo claim was refused: {exc.errors}") from exc
        if case.status == Status.SUBMITTED:
            casework.accept(case, clerk, Actor.staff(clerk))
        for item in procedure.checklist:
            ChecklistTick.objects.get_or_create(submission=case, item=item.id, defaults={"ticked_by": clerk})
        case.refresh_from_db()
        self.stdout.write(self.style.SUCCESS(f"{CODE} {case.receipt_number}: {case.status}"))
