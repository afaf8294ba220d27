"""Encryption at rest: nothing readable in the database, and key rotation with rotate_keys.

Each city's rows are under its own data key (tests/core/test_city_keys.py tests the cities
apart); these tests cover every encrypted column, rotation and the tokens written before
per-city keys (the deployment's old ring)."""

import io
import json

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
    ProtectionHold,
    SubmissionEvent,
    SubmissionSignature,
    SubmissionVersion,
)
from madoguchi.casework.models import Decision
from madoguchi.core import crypto, keyring
from madoguchi.core.actors import Actor
from madoguchi.core.keyring import ENCRYPTED_COLUMNS, NOT_ENCRYPTED_COLUMNS
from madoguchi.core.models import CityKey, Municipality
from madoguchi.counter import bundle as counter_bundle
from madoguchi.counter.models import CounterVisit, Signature, VisitForm
from madoguchi.feedback.models import SurveyAnswer
from madoguchi.handoff.models import Handoff
from madoguchi.identity import cardauth
from madoguchi.identity.models import CardChallenge
from madoguchi.notify import services as notify
from madoguchi.notify.models import ChannelSetting, Contact, ContactChallenge, OutboxMessage
from madoguchi.payments.models import ProviderSetting
from madoguchi.queueing import reservations
from madoguchi.queueing import services as queueing
from madoguchi.queueing.models import Reservation, Ticket, VisitPurpose
from madoguchi.register import protection
from madoguchi.register.models import Resident, SupportMeasure
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
        keyring.forget()

    yield use
    crypto._ring.cache_clear()
    keyring.forget()


@pytest.fixture
def stored(resident_client, resident):
    """One of everything that is encrypted: draft, version, attachment, message, document."""
    submission = submit_via_web(resident_client, "child-allowance-claim")
    applications.post_message(submission, MESSAGE, Actor.resident(resident.pk))
    applications.issue_document(submission, IssuedDocument.Kind.NOTICE, "決定通知書", pdf_bytes())
    challenge = cardauth.new_challenge(resident.municipality, "session", "sign", "髙橋".encode())
    challenge.certificate = crypto.encrypt_bytes(b"certificate DER", resident.municipality)
    challenge.save()
    SubmissionSignature.objects.create(
        version=submission.current_version, certificate=crypto.encrypt_bytes(b"signing DER", resident.municipality),
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
                             answers=crypto.encrypt_json({"new_address": "デモ市中央町1番2号"}, visit.municipality))
    Signature.objects.create(visit=visit, image=crypto.encrypt_bytes(png_bytes(), visit.municipality))
    SubmissionEvent.objects.create(submission=submission, to_status="returned", actor_kind="staff",
                                   actor_ref="staff:1", note=MESSAGE)
    Decision.objects.create(submission=submission, outcome="reject", reason=MESSAGE,
                            approver_comment=MESSAGE, proposed_by=visit.clerk,
                            content='{"monthly_amount": 15000}')
    Handoff.objects.create(municipality=submission.municipality, submission=submission,
                           target="crypto-test", kind="file", event="decided", version=1,
                           decision=json.dumps({"reason": MESSAGE}), give_up_at=timezone.now())
    setting = ProviderSetting(municipality=resident.municipality, provider="stripe", enabled=False)
    setting.set_secrets({"secret_key": "sk_test_crypto", "webhook_secret": "whsec_crypto"})
    setting.save()
    city = resident.municipality
    channel = ChannelSetting(municipality=city, channel="sms", enabled=False)
    channel.set_secrets({"account_sid": "AC-crypto", "auth_token": "token-crypto"})
    channel.save()
    notify.add_contact(city, resident.ref, "sms", "+819012345678", label="…5678")
    ContactChallenge.objects.create(municipality=city, person=resident.ref, channel="sms", secret_digest="0" * 64,
                                    address="+819087654321", expires_at=timezone.now())
    message = OutboxMessage.objects.order_by("pk").first()
    message.routes = json.dumps([{"channel": "email", "address": "hanako@example.jp"}])
    message.save(update_fields=["routes"])
    SurveyAnswer.objects.create(municipality=city, touchpoint="online", rating=4, answered_on=timezone.localdate(),
                                comment="山田花子です。電話 090-1234-5678 までご連絡ください。")
    protected = Resident.objects.filter(municipality=city).order_by("pk").first()
    protection.mark(city, Actor.system(), protected, against={"name": "加害 次郎"})
    ProtectionHold.objects.create(submission=submission, protected_ids=[protected.pk], note=MESSAGE)
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
        "decisions": list(Decision.objects.order_by("pk").values_list("reason", "approver_comment", "content")),
        "handoffs": list(Handoff.objects.order_by("pk").values_list("decision", flat=True)),
        "payment_secrets": [p.secret_values for p in ProviderSetting.objects.order_by("pk")],
        "channel_secrets": [c.secret_values for c in ChannelSetting.objects.order_by("pk")],
        "contacts": list(Contact.objects.order_by("pk").values_list("address", flat=True)),
        "challenges": list(ContactChallenge.objects.order_by("pk").values_list("address", flat=True)),
        "routes": list(OutboxMessage.objects.exclude(routes=None).order_by("pk").values_list("routes", flat=True)),
        "survey_comments": list(SurveyAnswer.objects.order_by("pk").values_list("comment", flat=True)),
        "support_measures": [protection.against_of(m) for m in SupportMeasure.objects.order_by("pk")],
        "hold_notes": list(ProtectionHold.objects.order_by("pk").values_list("note", flat=True)),
    }


def _raw(table: str, column: str) -> list[bytes]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} ORDER BY id")  # noqa: S608
        return [bytes(row[0]) for row in cursor.fetchall() if row[0] is not None]


def test_every_encrypted_column_is_covered_by_rotate_keys():
    binary = {(m._meta.app_label, m.__name__, f.name) for m in apps.get_models()
              for f in m._meta.get_fields() if f.get_internal_type() == "BinaryField"}
    assert binary == {c[:3] for c in ENCRYPTED_COLUMNS} | set(NOT_ENCRYPTED_COLUMNS)


def test_every_encrypted_column_knows_its_city():
    """The path to the city rotate_keys (and a city's export) follows ends at Municipality, and an
    EncryptedTextField encrypts by the same path."""
    for column in ENCRYPTED_COLUMNS:
        model = apps.get_model(column.app_label, column.model)
        target = model
        for hop in column.city.split("__"):
            target = target._meta.get_field(hop).related_model
        assert target is Municipality, column
        field = model._meta.get_field(column.field)
        if isinstance(field, crypto.EncryptedTextField):
            assert field.city == column.city, column


def _token_key_ids(table: str, column: str) -> set[str | None]:
    return {crypto.key_id_of(blob) for blob in _raw(table, column) if blob}


def test_nothing_readable_is_stored(stored):
    version = applications.answers_of(stored.current_version)
    name = version["claimant_name"]
    assert name.replace("\u3000", " ") == NAME
    raw_versions = _raw(SubmissionVersion._meta.db_table, "answers")
    raw_drafts = _raw(Draft._meta.db_table, "answers")
    primary = keyring.primary(stored.municipality)[0]
    for blob in raw_versions + raw_drafts:
        for needle in (name, "髙橋", "﨑子", "claimant_name", "鹿児島", "892-0816"):
            assert needle.encode() not in blob
            assert needle.encode("unicode_escape") not in blob
        assert blob.startswith(b"mk1:" + primary.encode() + b":gAAAAA")  # a Fernet token, the city's key
    for blob in _raw(Message._meta.db_table, "body"):
        assert "鑑札".encode() not in blob and b"R5-123" not in blob
    for blob in _raw(Attachment._meta.db_table, "data"):
        assert not blob.startswith(b"\x89PNG") and png_bytes()[:16] not in blob
    for blob in _raw(IssuedDocument._meta.db_table, "data"):
        assert b"%PDF" not in blob
    for column in ENCRYPTED_COLUMNS:  # every column: only tokens under the city's one key
        table = apps.get_model(column.app_label, column.model)._meta.db_table
        assert _token_key_ids(table, column.field) == {primary}, column


def test_rotate_keys_moves_everything_to_the_new_key(stored, settings):
    city = stored.municipality
    before = _plain()
    assert all(before.values())
    old = keyring.primary(city)[0]
    raw_before = _raw(SubmissionVersion._meta.db_table, "answers")

    out = io.StringIO()
    call_command("rotate_keys", "--batch-size", "2", "--no-wait", stdout=out)
    report = out.getvalue()
    new = keyring.primary(city)[0]
    assert new != old
    for column in ENCRYPTED_COLUMNS:
        model = apps.get_model(column.app_label, column.model)
        count = model.objects.exclude(**{column.field: None}).count()
        assert count > 0
        assert f"{city.slug} {column.app_label}.{column.model}.{column.field}: {count}\n" in report
        assert _token_key_ids(model._meta.db_table, column.field) == {new}, column
    assert "髙橋" not in report and MESSAGE not in report and "@" not in report
    assert _raw(SubmissionVersion._meta.db_table, "answers") != raw_before
    assert CityKey.objects.get(key_id=old).retired_at is not None  # retired, kept
    assert keyring.active_key_ids(city) == [new]

    keyring.forget()
    assert _plain() == before
    CityKey.objects.filter(key_id=old).delete()  # the old key is gone: nothing needed it
    assert _plain() == before


def test_rotate_keys_twice_is_harmless(stored):
    before = _plain()
    call_command("rotate_keys", "--no-wait", stdout=io.StringIO())
    call_command("rotate_keys", "--no-wait", stdout=io.StringIO())
    assert _plain() == before
    assert CityKey.objects.filter(municipality=stored.municipality).count() == 3
    assert len(keyring.active_key_ids(stored.municipality)) == 1


def test_an_interrupted_rotation_resumes_with_its_key(stored, monkeypatch):
    """Killed half-way, the city has two active keys and rows under both: run again, it goes on
    with the newest key instead of making a third, and ends with every row under it."""
    city = stored.municipality
    before = _plain()
    new = keyring.add_key(city)  # what the killed run had done
    keyring.forget()
    applications.post_message(stored, "after the new key", Actor.resident(stored.account_id))
    out = io.StringIO()
    call_command("rotate_keys", "--city", city.slug, "--no-wait", stdout=out)
    assert f"resuming with {new}" in out.getvalue()
    assert keyring.active_key_ids(city) == [new]
    assert _token_key_ids(SubmissionVersion._meta.db_table, "answers") == {new}
    assert _plain()["versions"] == before["versions"]


def test_tokens_written_before_city_keys_still_read_and_move_to_the_city_key(stored, keys, settings):
    """Data stored by an earlier Madoguchi (un-prefixed tokens of MADOGUCHI_ENCRYPTION_KEYS)
    reads as before; rotate_keys moves it under the city's key."""
    legacy = crypto.legacy_ring()
    version = stored.current_version
    answers = applications.answers_of(version)
    SubmissionVersion.objects.filter(pk=version.pk).update(
        answers=legacy.encrypt(json.dumps(answers, ensure_ascii=False).encode()))
    SubmissionEvent.objects.filter(submission=stored).update(note=crypto.Sealed(legacy.encrypt(MESSAGE.encode())))
    Resident.objects.filter(pk=Resident.objects.first().pk).update(my_number=legacy.encrypt(b"123456789018"))
    assert crypto.key_id_of(_raw(SubmissionVersion._meta.db_table, "answers")[0]) is None
    before = _plain()
    assert MESSAGE in before["notes"] and b"123456789018" in before["my_numbers"]

    call_command("rotate_keys", "--no-wait", stdout=io.StringIO())
    primary = keyring.primary(stored.municipality)[0]
    for column in ENCRYPTED_COLUMNS:
        table = apps.get_model(column.app_label, column.model)._meta.db_table
        assert None not in _token_key_ids(table, column.field), column
    assert _token_key_ids(SubmissionVersion._meta.db_table, "answers") == {primary}
    assert _plain() == before

    keys(crypto.generate_key(), *settings.MADOGUCHI_ENCRYPTION_KEYS)
    call_command("rotate_keys", "--rewrap", stdout=io.StringIO())
    keys(settings.MADOGUCHI_ENCRYPTION_KEYS[0])  # the old deployment key is dropped
    assert _plain() == before


def test_an_update_with_text_is_refused_rather_than_left_unencrypted(stored):
    with pytest.raises(ValueError, match="encrypted when the row is saved"):
        SubmissionEvent.objects.filter(submission=stored).update(note=MESSAGE)


def test_encrypt_round_trip_and_wrong_key(city, keys):
    token = crypto.encrypt_json({"name": NAME}, city)
    assert NAME.encode() not in token
    assert crypto.decrypt_json(token) == {"name": NAME}
    keys(crypto.generate_key())  # a deployment key that did not wrap the city's key
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt_json(token)
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt_bytes(b"mk1:nokey")
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt_bytes(b"mk1:0000000000000000:gAAAAAB")
