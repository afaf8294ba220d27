"""core/fastinsert.py: a row created by the compiled INSERT equals, column by column, the row
Django's own save() writes from the same arguments (encrypted, JSON, UUID default,
auto_now_add and foreign key columns included), on SQLite and on PostgreSQL alike; and the
fast path is taken only where nothing of Django's save machinery is skipped that matters."""

import uuid
from datetime import timedelta

import pytest
from django.apps import apps
from django.db import IntegrityError, connection, models, transaction
from django.db.models import signals
from django.db.models.functions import Now
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from madoguchi.applications.models import Status, Submission, SubmissionEvent, SubmissionVersion
from madoguchi.catalog.selectors import department_for, get_procedure
from madoguchi.core import fastinsert
from madoguchi.core.crypto import encrypt_json
from madoguchi.core.models import AuditEvent
from madoguchi.identity.models import ResidentAccount
from madoguchi.notify.models import OutboxMessage

FAST = {Submission, SubmissionVersion, SubmissionEvent, AuditEvent, OutboxMessage}


def fast_models():
    return {m for m in apps.get_models()
            if isinstance(m._default_manager.get_queryset(), fastinsert.FastInsertQuerySet)}


def test_the_hot_models_use_the_fast_manager_and_nothing_else_does_unknowingly():
    assert fast_models() == FAST


@pytest.mark.parametrize("model", sorted(FAST, key=lambda m: m.__name__))
def test_no_save_signal_receiver_is_connected_to_a_fast_model(model):
    """A receiver would make every create() take Django's path (still correct, but the fast
    path lost without anyone noticing): connect none to these models, or drop the manager."""
    assert not signals.pre_save.has_listeners(model)
    assert not signals.post_save.has_listeners(model)
    assert fastinsert.eligible(model)


def _columns(model, pk) -> dict:
    """The row as stored: every column, run through a cursor without Django's converters
    (so encrypted columns are their tokens and SQLite's timestamps its text)."""
    names = [f.attname for f in model._meta.local_concrete_fields]
    sql, params = model._base_manager.filter(pk=pk).values_list(*names).query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return dict(zip(names, row, strict=True))


def _both(model, build):
    """Create one row the fast way and one through Django's save() from the same arguments;
    return the instances and their stored columns."""
    fast = model.objects.create(**build())
    with CaptureQueriesContext(connection) as queries:
        slow = models.QuerySet(model).create(**build())  # Django's own create() and save()
    assert len(queries) == 1  # the reference path is one INSERT as well
    for obj in (fast, slow):
        assert obj.pk is not None and not obj._state.adding and obj._state.db == "default"
    return fast, slow, _columns(model, fast.pk), _columns(model, slow.pk)


def _same(fast_row, slow_row, *, differ=(), close=(), encrypted=(), uuids=()):
    """Columns must be equal except the id, timestamps taken a moment apart (close), UUIDs
    drawn apart (uuids) and Fernet tokens (encrypted: compared after decrypting)."""
    from madoguchi.core.crypto import decrypt_bytes

    for column in fast_row:
        a, b = fast_row[column], slow_row[column]
        if column == "id" or column in differ:
            continue
        if column in close:
            assert a is not None and b is not None
            if isinstance(a, str):  # SQLite keeps timestamps as text
                a, b = (timezone.datetime.fromisoformat(v) for v in (a, b))
            assert abs(a - b) < timedelta(seconds=30), column
        elif column in encrypted:
            if a is None:
                assert b is None, column
                continue
            assert bytes(a) != bytes(b)  # each token has its own IV
            assert decrypt_bytes(bytes(a)) == decrypt_bytes(bytes(b)), column
        elif column in uuids:
            assert a is not None and b is not None and a != b, column
            assert uuid.UUID(str(a)) and uuid.UUID(str(b))
        else:
            if isinstance(a, memoryview) or isinstance(b, memoryview):
                a, b = bytes(a), bytes(b)
            assert a == b, column


@pytest.fixture
def account(city):
    return ResidentAccount.objects.create(municipality=city, email="fast@example.jp")


@pytest.fixture
def submission(city, account):
    return Submission.objects.create(
        municipality=city, receipt_number="F-0001", procedure_code="dog-registration-change",
        form_version=1, department=department_for(city, get_procedure(city, "dog-registration-change")),
        account=account, actor_kind="resident", actor_ref=account.ref)


@pytest.mark.django_db
def test_a_submission_row(city, account):
    department = department_for(city, get_procedure(city, "dog-registration-change"))
    numbers = iter(["F-1001", "F-1002"])

    def build():
        return dict(municipality=city, receipt_number=next(numbers), procedure_code="dog-registration-change",
                    form_version=3, department=department, account=account, actor_kind="resident",
                    actor_ref=account.ref, idempotency_key=None, fee_yen=300)

    fast, slow, a, b = _both(Submission, build)
    _same(a, b, differ={"receipt_number"}, close={"submitted_at", "updated_at"},
          uuids={"public_id"})
    assert a["receipt_number"] == "F-1001" and a["status"] == Status.SUBMITTED
    assert fast.submitted_at == Submission.objects.get(pk=fast.pk).submitted_at
    assert fast.public_id == Submission.objects.get(pk=fast.pk).public_id
    # Columns the INSERT returns (a db_default's) are set on the instance as Django sets them.
    for field in Submission._meta.db_returning_fields:
        assert getattr(fast, field.attname) == getattr(slow, field.attname) or field.primary_key
    assert fast.fee_lines == slow.fee_lines == {} and fast.fee_deferred is slow.fee_deferred is False


@pytest.mark.django_db
def test_a_version_row_with_encrypted_answers_and_json(submission, account):
    numbers = iter([1, 2])
    answers = encrypt_json({"dog_name": "ポチ", "owner_name": "髙橋 﨑子"}, submission.municipality_id)

    def build():
        return dict(submission=submission, number=next(numbers), form_version=1, answers=answers,
                    sources={"dog_name": "resident", "nested": {"a": [1, "二"]}},
                    actor_kind="resident", actor_ref=account.ref)

    fast, slow, a, b = _both(SubmissionVersion, build)
    _same(a, b, differ={"number"}, close={"created_at"})
    stored = SubmissionVersion.objects.get(pk=fast.pk)
    assert stored.sources == {"dog_name": "resident", "nested": {"a": [1, "二"]}}
    assert bytes(stored.answers) == answers


@pytest.mark.django_db
def test_an_event_row_with_an_encrypted_note(submission, account):
    for note in ("", "書類が足りません"):
        fast, slow, a, b = _both(SubmissionEvent, lambda note=note: dict(
            submission=submission, to_status=Status.RETURNED, from_status=Status.ACCEPTED,
            actor_kind="staff", actor_ref="staff:1", note=note))
        _same(a, b, close={"at"}, encrypted={"note"})
        assert SubmissionEvent.objects.get(pk=fast.pk).note == note


@pytest.mark.django_db
def test_an_audit_row_with_json_detail(city):
    def build():
        return dict(municipality=city, actor_kind="resident", actor_ref="resident:1",
                    ip_address="192.0.2.1", subject_ref="resident:1", action="submit",
                    target_type="submission", target_id=str(uuid.UUID(int=7)),
                    detail={"procedure": "dog-registration-change", "form_version": 2})

    fast, slow, a, b = _both(AuditEvent, build)
    _same(a, b, close={"at"})
    assert AuditEvent.objects.get(pk=fast.pk).detail == {"procedure": "dog-registration-change",
                                                         "form_version": 2}


@pytest.mark.django_db
def test_an_outbox_row_with_encrypted_address_and_text_and_a_uuid_default(city):
    keys = iter(["fast:1", "fast:2"])

    def build():
        return dict(municipality=city, recipient="taro@example.jp", subject="受付しました",
                    body="本文\n", dedupe_key=next(keys))

    fast, slow, a, b = _both(OutboxMessage, build)
    _same(a, b, differ={"dedupe_key"}, close={"created_at", "next_attempt_at"},
          encrypted={"recipient", "body", "routes"}, uuids={"mail_id"})
    stored = OutboxMessage.objects.get(pk=fast.pk)
    assert (stored.recipient, stored.body, stored.mail_id) == ("taro@example.jp", "本文\n", fast.mail_id)
    assert b"taro@example.jp" not in bytes(a["recipient"])


@pytest.mark.django_db
def test_a_receiver_sends_the_row_through_djangos_save(city):
    seen = []

    def receiver(sender, instance, **kwargs):
        seen.append(instance.action)

    signals.pre_save.connect(receiver, sender=AuditEvent)
    try:
        AuditEvent.objects.create(municipality=city, actor_kind="system", actor_ref="system",
                                  action="checked", target_type="t", target_id="1")
    finally:
        signals.pre_save.disconnect(receiver, sender=AuditEvent)
    assert seen == ["checked"]


@pytest.mark.django_db
def test_an_expression_goes_through_djangos_save(city):
    event = AuditEvent.objects.create(municipality=city, actor_kind="system", actor_ref="system",
                                      action="checked", target_type="t", target_id="1", at=Now())
    assert AuditEvent.objects.get(pk=event.pk).at is not None


@pytest.mark.django_db
def test_the_audit_log_still_refuses_an_update(city):
    event = AuditEvent.objects.create(municipality=city, actor_kind="system", actor_ref="system",
                                      action="checked", target_type="t", target_id="1")
    with pytest.raises(PermissionError):
        event.save()


@pytest.mark.django_db
def test_a_failed_insert_marks_the_transaction_for_rollback_as_djangos_does(city):
    OutboxMessage.objects.create(municipality=city, recipient="a@example.jp", subject="s",
                                 body="b", dedupe_key="dup")
    with transaction.atomic():
        with pytest.raises(IntegrityError):
            OutboxMessage.objects.create(municipality=city, recipient="a@example.jp",
                                         subject="s", body="b", dedupe_key="dup")
        assert transaction.get_connection().needs_rollback  # the block is rolled back


@pytest.mark.django_db
def test_a_fast_create_is_one_statement_seen_by_query_capture(city):
    with CaptureQueriesContext(connection) as queries:
        AuditEvent.objects.create(municipality=city, actor_kind="system", actor_ref="system",
                                  action="checked", target_type="t", target_id="1")
    assert len(queries) == 1 and queries[0]["sql"].startswith("INSERT INTO")


def _prepared(prefix: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements WHERE statement LIKE %s",
                       [prefix + "%"])
        return [row[0] for row in cursor.fetchall()]


@pytest.mark.django_db
def test_on_postgresql_the_compiled_statements_are_prepared_once_per_connection(city, account):
    if connection.vendor != "postgresql":
        pytest.skip("prepared statements are PostgreSQL's (SQLite has no server to prepare on)")
    from madoguchi.identity.emailcode import api_token, issue_api_token

    token = issue_api_token(city, account=account)
    for _ in range(3):
        AuditEvent.objects.create(municipality=city, actor_kind="system", actor_ref="system",
                                  action="checked", target_type="t", target_id="1")
        assert api_token(city, token).account == account
    assert len(_prepared('INSERT INTO "core_auditevent"')) == 1
    assert len(_prepared('SELECT "identity_apitoken"')) == 1


@pytest.mark.django_db
def test_behind_a_transaction_pooler_nothing_is_prepared(city, settings):
    settings.MADOGUCHI_DB_POOLER = "transaction"
    with fastinsert.statement_cursor(connection) as cursor:
        assert type(cursor.cursor) is type(connection.cursor().cursor)  # Django's own
    AuditEvent.objects.create(municipality=city, actor_kind="system", actor_ref="system",
                              action="pooled", target_type="t", target_id="1")
    assert AuditEvent.objects.filter(action="pooled").count() == 1
