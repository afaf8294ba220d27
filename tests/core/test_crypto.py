"""Encryption at rest: nothing readable in the database, and key rotation with rotate_keys."""

import io

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from madoguchi.applications import services as applications
from madoguchi.applications.models import (
    Attachment,
    Draft,
    IssuedDocument,
    Message,
    SubmissionEvent,
    SubmissionSignature,
    SubmissionVersion,
)
from madoguchi.casework.models import Decision
from madoguchi.core import crypto
from madoguchi.core.actors import Actor
from madoguchi.core.management.commands.rotate_keys import ENCRYPTED_COLUMNS, NOT_ENCRYPTED_COLUMNS
from madoguchi.counter import bundle as counter_bundle
from madoguchi.counter.models import CounterVisit, Signature, VisitForm
from madoguchi.identity import cardauth
from madoguchi.identity.models import CardChallenge
from madoguchi.payments.models import ProviderSetting
from madoguchi.queueing import reservations
from madoguchi.queueing import services as queueing
from madoguchi.queueing.models import Reservation, Ticket, VisitPurpose
from madoguchi.register.models import Resident
from madoguchi.register.seeding import generate_register

from support import pdf_bytes, png_bytes, submit_via_web

pytestmark = pytest.mark.django_db

NAME = "髙橋 﨑子"  # what support.valid_value types into name fields
MESSAGE = "鑑札番号は R5-123 です"


@pytest.fixture
def keys(settings):
    """Use the key ring named by the test; the cache is cleared on every change."""

    def use(*ring):
        settings.MADOGUCHI_ENCRYPTION_KEYS = list(ring)
        crypto._ring.cache_clear()

    yield use
    crypto._ring.cache_clear()


@pytest.fixture
def stored(resident_client, resident):
    """One of everything that is encrypted: draft, version, attachment, message, document."""
    submission = submit_via_web(resident_client, "child-allowance-claim")
    applications.post_message(submission, MESSAGE, Actor.resident(resident.pk))
    applications.issue_document(submission, IssuedDocument.Kind.NOTICE, "決定通知書", pdf_bytes())
    challenge = cardauth.new_challenge(resident.municipality, "session", "sign", "髙橋".encode())
    challenge.certificate = crypto.encrypt_bytes(b"certificate DER")
    challenge.save()
    SubmissionSignature.objects.create(
        version=submission.current_version, certificate=crypto.encrypt_bytes(b"signing DER"),
        signature="c2ln", digest="0" * 64, serial="1", issuer="CN=test", verified_at=timezone.now())
    generate_register(resident.municipality, 2, seed=1)
    call_command("load_queue_demo", "--history-weeks", "0", stdout=io.StringIO())
    purpose = VisitPurpose.objects.filter(group__municipality=resident.municipality).first()
    for key in ("ahead-1", "ahead-2", "crypto-test"):
        ticket, _ = queueing.issue_ticket(purpose, key)
    queueing.ask_for_notice(ticket, "hanako@example.jp", 1)  # two ahead: not told yet, kept
    slot = reservations.open_slots(purpose)[0]
    reservations.book(slot, purpose, "crypto-test", email="hanako@example.jp")
    visit = CounterVisit.objects.create(municipality=resident.municipality,
                                        clerk=apps.get_model("auth", "User").objects.get(username="shimin-tanto"))
    VisitForm.objects.create(visit=visit, procedure_code="moving-in", form_version=1,
                             answers=crypto.encrypt_json({"new_address": "デモ市中央町1番2号"}))
    Signature.objects.create(visit=visit, image=crypto.encrypt_bytes(png_bytes()))
    SubmissionEvent.objects.create(submission=submission, to_status="returned", actor_kind="staff",
                                   actor_ref="staff:1", note=MESSAGE)
    Decision.objects.create(submission=submission, outcome="reject", reason=MESSAGE,
                            approver_comment=MESSAGE, proposed_by=visit.clerk)
    setting = ProviderSetting(municipality=resident.municipality, provider="stripe", enabled=False)
    setting.set_secrets({"secret_key": "sk_test_crypto", "webhook_secret": "whsec_crypto"})
    setting.save()
    return submission


def _plain():
    """Every encrypted value, decrypted with the current key ring."""
    return {
        "drafts": [applications.answers_of(d) for d in Draft.objects.order_by("pk")],
        "versions": [applications.answers_of(v) for v in SubmissionVersion.objects.order_by("pk")],
        "attachments": [crypto.decrypt_bytes(a.data) for a in Attachment.objects.order_by("pk")],
        "messages": [applications.message_text(m) for m in Message.objects.order_by("pk")],
        "documents": [applications.document_bytes(d) for d in IssuedDocument.objects.order_by("pk")],
        "card_payloads": [cardauth.payload_of(c) for c in CardChallenge.objects.order_by("pk")],
        "card_certificates": [crypto.decrypt_bytes(c.certificate)
                              for c in CardChallenge.objects.order_by("pk")],
        "signatures": [crypto.decrypt_bytes(s.certificate)
                       for s in SubmissionSignature.objects.order_by("pk")],
        "my_numbers": [crypto.decrypt_bytes(r.my_number) for r in Resident.objects.order_by("pk")],
        "queue_contacts": [crypto.decrypt_bytes(t.contact)
                           for t in Ticket.objects.exclude(contact=None).order_by("pk")]
        + [crypto.decrypt_bytes(r.contact) for r in Reservation.objects.order_by("pk")],
        "counter_forms": [counter_bundle.answers_of(f) for f in VisitForm.objects.order_by("pk")],
        "counter_signatures": [crypto.decrypt_bytes(s.image) for s in Signature.objects.order_by("pk")],
        "notes": list(SubmissionEvent.objects.order_by("pk").values_list("note", flat=True)),
        "decisions": list(Decision.objects.order_by("pk").values_list("reason", "approver_comment")),
        "payment_secrets": [p.secret_values for p in ProviderSetting.objects.order_by("pk")],
    }


def _raw(table: str, column: str) -> list[bytes]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} ORDER BY id")  # noqa: S608
        return [bytes(row[0]) for row in cursor.fetchall()]


def test_every_encrypted_column_is_covered_by_rotate_keys():
    binary = {(m._meta.app_label, m.__name__, f.name) for m in apps.get_models()
              for f in m._meta.get_fields() if f.get_internal_type() == "BinaryField"}
    assert binary == set(ENCRYPTED_COLUMNS) | set(NOT_ENCRYPTED_COLUMNS)


def test_nothing_readable_is_stored(stored):
    version = applications.answers_of(stored.current_version)
    name = version["claimant_name"]
    assert name.replace("\u3000", " ") == NAME
    raw_versions = _raw(SubmissionVersion._meta.db_table, "answers")
    raw_drafts = _raw(Draft._meta.db_table, "answers")
    for blob in raw_versions + raw_drafts:
        for needle in (name, "髙橋", "﨑子", "claimant_name", "鹿児島", "892-0816"):
            assert needle.encode() not in blob
            assert needle.encode("unicode_escape") not in blob
        assert blob.startswith(b"gAAAAA")  # a Fernet token
    for blob in _raw(Message._meta.db_table, "body"):
        assert "鑑札".encode() not in blob and b"R5-123" not in blob
    for blob in _raw(Attachment._meta.db_table, "data"):
        assert not blob.startswith(b"\x89PNG") and png_bytes()[:16] not in blob
    for blob in _raw(IssuedDocument._meta.db_table, "data"):
        assert b"%PDF" not in blob


def test_rotate_keys_moves_everything_to_the_new_key(stored, keys, settings):
    old = settings.MADOGUCHI_ENCRYPTION_KEYS[0]
    before = _plain()
    assert all(before.values())
    raw_before = _raw(SubmissionVersion._meta.db_table, "answers")
    new = crypto.generate_key()

    keys(new)
    with pytest.raises(crypto.DecryptionError):
        _plain()  # not yet: everything is still under the old key

    keys(new, old)
    out = io.StringIO()
    call_command("rotate_keys", "--batch-size", "2", stdout=out)
    report = out.getvalue()
    for app_label, model_name, field in ENCRYPTED_COLUMNS:
        count = apps.get_model(app_label, model_name).objects.exclude(**{field: None}).count()
        assert count > 0
        assert f"{app_label}.{model_name}.{field}: {count}\n" in report
    assert "髙橋" not in report and MESSAGE not in report and "@" not in report
    assert _raw(SubmissionVersion._meta.db_table, "answers") != raw_before

    keys(new)  # the old key is gone
    assert _plain() == before

    keys(crypto.generate_key())  # an unrelated key reads nothing
    with pytest.raises(crypto.DecryptionError):
        applications.answers_of(SubmissionVersion.objects.first())
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt_bytes(Attachment.objects.first().data)


def test_rotate_keys_twice_is_harmless(stored, keys, settings):
    before = _plain()
    call_command("rotate_keys", stdout=io.StringIO())
    call_command("rotate_keys", stdout=io.StringIO())
    assert _plain() == before


def test_encrypt_round_trip_and_wrong_key(keys):
    first, second = crypto.generate_key(), crypto.generate_key()
    keys(first)
    token = crypto.encrypt_json({"name": NAME})
    assert NAME.encode() not in token
    keys(second, first)
    assert crypto.decrypt_json(token) == {"name": NAME}
    rotated = crypto.rotate(token)
    keys(second)
    assert crypto.decrypt_json(rotated) == {"name": NAME}
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt_json(token)
