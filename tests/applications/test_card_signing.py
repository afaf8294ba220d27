"""A card-required procedure: pre-filled from the signing certificate, signed, then submitted."""

import hashlib
from datetime import date

import pytest
from cryptography.hazmat.primitives.serialization import Encoding
from django.urls import reverse

from madoguchi.applications import services, signing
from madoguchi.applications.models import Draft, Submission, SubmissionSignature
from madoguchi.applications.services import answers_of
from madoguchi.catalog.loader import catalog
from madoguchi.core.actors import Actor
from madoguchi.core.crypto import decrypt_bytes
from madoguchi.identity import trust
from madoguchi.identity.jpki.jcs import canonicalize
from madoguchi.identity.jpki.testing import make_card, sample_person

from support import card_client_answer, fill_form

pytestmark = pytest.mark.django_db
CODE = "residence-certificate-copy"


def _start(client):
    client.post(reverse("applications:start", args=[CODE]))
    return Draft.objects.latest("id")


def _filled_draft(client):
    draft = _start(client)
    fill_form(client, lambda i: reverse("applications:step", args=[draft.public_id, i]),
              catalog()[CODE].current_form)
    return draft


def _sign(client, draft, key_owner):
    response = client.post(reverse("applications:confirm", args=[draft.public_id]))
    assert response["Location"] == reverse("applications:sign", args=[draft.public_id])
    draft.refresh_from_db()
    return card_client_answer(draft.signing_challenge.public_id, key_owner.signing_cert,
                              key_owner.sign)


def test_the_procedure_cannot_be_submitted_unsigned(resident_client, card):
    draft = _filled_draft(resident_client)
    with pytest.raises(services.SubmissionRefused, match="署名が必要"):
        services.submit_draft(draft, catalog()[CODE], Actor.resident(draft.account_id))
    assert not Submission.objects.exists()


@pytest.mark.parametrize("name", ["applications:sign", "applications:prefill"])
def test_a_post_with_no_card_request_under_way_is_sent_back_not_a_500(resident_client, name):
    """A direct POST (or one after the challenge was disposed of) has no challenge to claim."""
    draft = _filled_draft(resident_client)
    assert draft.signing_challenge is None
    response = resident_client.post(reverse(name, args=[draft.public_id]))
    assert response.status_code == 302
    assert not Submission.objects.exists()


def test_sign_and_submit_stores_a_verifiable_signature(resident_client, card, staff, client):
    draft = _filled_draft(resident_client)
    assert _sign(resident_client, draft, card)["state"] == "verified"
    response = resident_client.post(reverse("applications:sign", args=[draft.public_id]))
    submission = Submission.objects.get(draft=draft)
    assert response["Location"] == reverse("applications:submitted", args=[submission.public_id])
    signature = SubmissionSignature.objects.get(version__submission=submission)
    answers = answers_of(submission.current_version)
    signed = signing.signed_bytes(draft, catalog()[CODE], answers)
    assert signature.digest == hashlib.sha256(signed).hexdigest()
    assert b"\xe9\xab\x99" not in bytes(signature.certificate)  # 髙 is not readable at rest
    assert decrypt_bytes(signature.certificate) == card.signing_cert.public_bytes(Encoding.DER)
    client.force_login(staff["shimin-tanto"])
    page = client.get(reverse("casework:case", args=[submission.public_id])).content.decode()
    assert "電子署名" in page and "有効" in page and "髙橋" in page


def test_the_signed_bytes_are_canonical_json_of_what_the_department_receives(resident_client):
    draft = _filled_draft(resident_client)
    answers = answers_of(draft)
    data = signing.signed_bytes(draft, catalog()[CODE], answers)
    assert data == canonicalize({"municipality": "999999", "procedure": CODE,
                                 "form_version": draft.form_version,
                                 "answers": {k: v for k, v in answers.items() if k != "__raw__"},
                                 "attachments": {}})


def test_changing_an_answer_after_signing_needs_a_new_signature(resident_client, card):
    draft = _filled_draft(resident_client)
    _sign(resident_client, draft, card)
    url = reverse("applications:step", args=[draft.public_id, 0])
    resident_client.post(url, {"_action": "save", "requester_phone": "099-000-9999"})
    response = resident_client.post(reverse("applications:sign", args=[draft.public_id]),
                                    follow=True)
    assert "もう一度確認して署名してください" in response.content.decode()
    assert not Submission.objects.exists()


def test_a_signature_by_an_authentication_certificate_is_refused(resident_client, card):
    draft = _filled_draft(resident_client)
    resident_client.post(reverse("applications:confirm", args=[draft.public_id]))
    draft.refresh_from_db()
    answer = card_client_answer(draft.signing_challenge.public_id, card.auth_cert,
                                card.authenticate)
    assert answer["reason"] == "wrong_kind"
    response = resident_client.post(reverse("applications:sign", args=[draft.public_id]),
                                    follow=True)
    assert answer["message"] in response.content.decode()
    assert not Submission.objects.exists()


def test_a_revoked_signing_certificate_is_refused(resident_client, ca, card_keys):
    moved = make_card(ca, sample_person(), signing_key=card_keys[2], auth_key=card_keys[3])
    ca.revoke(moved.signing_cert.serial_number)  # e.g. the resident moved house
    ca.write_crls()
    trust.reset()
    draft = _filled_draft(resident_client)
    answer = _sign(resident_client, draft, moved)
    assert answer["reason"] == "revoked" and "失効" in answer["message"]


def test_prefill_from_the_signing_certificate(resident_client, card):
    draft = _start(resident_client)
    resident_client.post(reverse("applications:prefill_start", args=[draft.public_id]))
    draft.refresh_from_db()
    assert card_client_answer(draft.signing_challenge.public_id, card.signing_cert,
                              card.sign)["state"] == "verified"
    response = resident_client.post(reverse("applications:prefill", args=[draft.public_id]))
    assert response.status_code == 302
    draft.refresh_from_db()
    answers = answers_of(draft)
    assert answers["requester_name"] == card.person.name
    assert answers["requester_birth_date"] == card.person.birth_date.isoformat()
    assert draft.sources["requester_name"] == "certificate"
    page = resident_client.get(reverse("applications:step", args=[draft.public_id, 0]))
    assert card.person.name in page.content.decode()


def test_the_api_refuses_a_card_required_procedure(resident, city):
    with pytest.raises(services.SubmissionRefused, match="署名が必要"):
        services.submit_answers(resident, catalog()[CODE], {}, Actor.resident(resident.pk), "k1")


def test_card_prefill_links_the_register_and_adds_what_the_certificate_lacks(resident_client, ca,
                                                                               card_keys, resident):
    from madoguchi.register.seeding import generate_register
    from madoguchi.register.services import linked_resident

    generate_register(resident.municipality, 20, seed=1)  # the fixed 山田 household comes first
    hanako = make_card(ca, sample_person(name="山田 花子", address="デモ県デモ市本町二丁目3番4号",
                                         birth_date=date(1990, 8, 3), name_kana="ヤマダ ハナコ"),
                       signing_key=card_keys[0], auth_key=card_keys[1])
    draft = _start(resident_client)
    resident_client.post(reverse("applications:prefill_start", args=[draft.public_id]))
    draft.refresh_from_db()
    card_client_answer(draft.signing_challenge.public_id, hanako.signing_cert, hanako.sign)
    resident_client.post(reverse("applications:prefill", args=[draft.public_id]))
    assert linked_resident(resident).name == "山田\u3000花子"
    draft.refresh_from_db()
    assert draft.sources["requester_name"] == "certificate"  # the certificate's value is kept
    assert "register" in draft.sources.values()  # and the register adds what it lacks
    # once-only: the next form starts filled from the register
    later = _start(resident_client)
    assert "register" in later.sources.values()
