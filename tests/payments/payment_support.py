"""What the payment tests share: a submission waiting for its fee, a city whose card and
konbini payments go to the local Stripe-protocol server, a signed webhook POST."""

import json

import pytest
from django.urls import reverse
from stripe_server import SECRET_KEY, WEBHOOK_SECRET, LocalStripe

from madoguchi.applications.models import Channel, Status, Submission, SubmissionVersion
from madoguchi.applications.receipts import new_receipt_number
from madoguchi.core.crypto import encrypt_json
from madoguchi.core.models import ActorKind, Department
from madoguchi.payments.models import ProviderSetting

FEE = {
    "lines": [
        {"code": "copy", "label": "住民票の写し", "unit_yen": 300, "quantity": 2, "amount_yen": 600, "exempt": False},
        {"code": "postage", "label": "郵送料（定形郵便）", "unit_yen": 110, "quantity": 1, "amount_yen": 110,
         "exempt": False},
    ],
    "exemptions": [], "total_yen": 710, "deferred": False, "deferred_note": "", "revenue_code": "14-1-1",
}


def awaiting_submission(account, fee: dict = FEE) -> Submission:
    """A submission stored お支払い待ち with its fee, as the online submit leaves it."""
    department = Department.objects.filter(municipality=account.municipality).first()
    submission = Submission.objects.create(
        municipality=account.municipality, receipt_number=new_receipt_number(),
        procedure_code="residence-certificate-copy", form_version=1, department=department,
        account=account, channel=Channel.ONLINE, actor_kind=ActorKind.RESIDENT,
        actor_ref=f"resident:{account.pk}", status=Status.AWAITING_PAYMENT,
        fee_yen=fee["total_yen"], fee_lines=fee)
    SubmissionVersion.objects.create(  # no answers needed: My Page shows an empty summary
        submission=submission, number=1, form_version=1, answers=encrypt_json({}, account.municipality),
        actor_kind=ActorKind.RESIDENT, actor_ref=f"resident:{account.pk}")
    return submission


def stripe_setting(city, server: LocalStripe, methods=("card", "konbini")) -> ProviderSetting:
    setting = ProviderSetting(municipality=city, provider="stripe", enabled=True, methods=list(methods),
                              issues_receipt=list(methods),
                              config={"api_base": server.url, "checkout_origin": server.url,
                                      "session_minutes": 60})
    setting.set_secrets({"secret_key": SECRET_KEY, "webhook_secret": WEBHOOK_SECRET})
    setting.save()
    return setting


@pytest.fixture
def stripe_server():
    with LocalStripe() as server:
        yield server


@pytest.fixture
def stripe_city(city, stripe_server):
    stripe_setting(city, stripe_server)
    return city


def post_webhook(client, server: LocalStripe, event: dict, signature: str | None = None):
    payload = json.dumps(event).encode()
    return client.post(reverse("payments:webhook", args=["stripe"]), data=payload,
                       content_type="application/json",
                       HTTP_STRIPE_SIGNATURE=signature if signature is not None else server.state.sign(payload))
