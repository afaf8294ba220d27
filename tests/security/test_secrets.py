"""Secrets at rest and in logs: the 差戻し note and the decision's reason are encrypted (with
the data migration and key rotation covering them), and no answer value reaches a log line."""

import io
import logging

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from madoguchi.applications.models import Status, SubmissionEvent
from madoguchi.casework.models import Decision

from conftest import login_resident
from support import submit_via_web

CODE = "dog-registration-change"
NOTE = "鑑札番号 X-4711-ZZ が登録と違います（差戻しの秘密）"
REASON = "申請者 山田太郎 様の登録記録 R-9931-QQ が見つかりません"
COMMENT = "決裁者のメモ C-5150-KK"


def _raw(table: str, column: str, pk: int) -> bytes:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk])  # noqa: S608
        value = cursor.fetchone()[0]
    return bytes(value) if not isinstance(value, str) else value.encode()


def _act(client, user, case, action, **data):
    client.force_login(user)
    response = client.post(reverse("casework:action", args=[case.public_id, action]), data)
    assert response.status_code == 302
    case.refresh_from_db()


@pytest.fixture
def submitted(resident_client):
    return submit_via_web(resident_client, CODE, {"dog_name": "ポチ"})


@pytest.mark.django_db
def test_return_note_is_stored_encrypted_and_shown_to_both_sides(client, resident, staff, submitted):
    clerk = staff["kankyo-tanto"]
    _act(client, clerk, submitted, "accept")
    _act(client, clerk, submitted, "return", message=NOTE, return_reason="missing")
    assert submitted.status == Status.RETURNED

    event = SubmissionEvent.objects.get(submission=submitted, to_status=Status.RETURNED)
    assert event.note == NOTE
    raw = _raw(SubmissionEvent._meta.db_table, "note", event.pk)
    assert NOTE.encode() not in raw and b"X-4711-ZZ" not in raw
    assert raw.startswith(b"mk1:") and b":gAAAAA" in raw  # a Fernet token under the city's key

    case_page = client.get(reverse("casework:case", args=[submitted.public_id])).content.decode()
    assert NOTE in case_page
    client.logout()
    login_resident(client, resident)
    page = client.get(reverse("applications:submission", args=[submitted.public_id])).content.decode()
    assert NOTE in page


@pytest.mark.django_db
def test_decision_reason_and_comment_are_stored_encrypted(client, staff, submitted):
    clerk, approver = staff["kankyo-tanto"], staff["kankyo-kacho"]
    _act(client, clerk, submitted, "accept")
    _act(client, clerk, submitted, "propose", outcome="approve", reason=REASON)  # a 届出 is 受理
    _act(client, approver, submitted, "approve", comment=COMMENT)
    assert submitted.status == Status.APPROVED

    decision = Decision.objects.get(submission=submitted)
    assert (decision.reason, decision.approver_comment) == (REASON, COMMENT)
    for column, secret in (("reason", b"R-9931-QQ"), ("approver_comment", b"C-5150-KK")):
        assert secret not in _raw(Decision._meta.db_table, column, decision.pk)
    event = SubmissionEvent.objects.get(submission=submitted, to_status=Status.APPROVED)
    assert event.note == REASON
    assert b"R-9931-QQ" not in _raw(SubmissionEvent._meta.db_table, "note", event.pk)


@pytest.mark.django_db
def test_rotate_keys_re_encrypts_notes_and_reasons(client, staff, submitted, settings):
    clerk = staff["kankyo-tanto"]
    _act(client, clerk, submitted, "accept")
    _act(client, clerk, submitted, "propose", outcome="approve", reason=REASON)
    event = SubmissionEvent.objects.create(submission=submitted, to_status=Status.RETURNED,
                                           actor_kind="staff", actor_ref="staff:1", note=NOTE)
    decision = Decision.objects.get(submission=submitted)
    old_key = settings.MADOGUCHI_ENCRYPTION_KEYS[0]
    new_key = Fernet.generate_key().decode()
    before = _raw(SubmissionEvent._meta.db_table, "note", event.pk)

    settings.MADOGUCHI_ENCRYPTION_KEYS = [new_key, old_key]
    call_command("rotate_keys", stdout=io.StringIO())
    settings.MADOGUCHI_ENCRYPTION_KEYS = [new_key]  # the old key is dropped

    assert _raw(SubmissionEvent._meta.db_table, "note", event.pk) != before
    assert SubmissionEvent.objects.get(pk=event.pk).note == NOTE
    assert Decision.objects.get(pk=decision.pk).reason == REASON


def test_the_data_migration_encrypts_existing_rows(audit_log_flushable, city, resident, client):
    """Rows written as plain text before the change are encrypted by the migration."""
    login_resident(client, resident)
    submission = submit_via_web(client, CODE, {"dog_name": "ポチ"})
    from django.contrib.auth.models import User

    user = User.objects.create_user("migration-clerk")
    targets = [("applications", "0003_counter_filing"), ("casework", "0001_initial")]
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO applications_submissionevent (submission_id, at, from_status, to_status,"
                " actor_kind, actor_ref, note) VALUES (%s, CURRENT_TIMESTAMP, '', 'returned', 'staff',"
                " 'staff:1', %s)", [submission.pk, NOTE])
            cursor.execute(
                "INSERT INTO casework_decision (submission_id, outcome, reason, state, proposed_by_id,"
                " proposed_at, approver_comment, notice_number) VALUES (%s, 'reject', %s, 'pending',"
                " %s, CURRENT_TIMESTAMP, '', '')", [submission.pk, REASON, user.pk])
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())

    event = SubmissionEvent.objects.get(submission=submission, to_status=Status.RETURNED)
    decision = Decision.objects.get(submission=submission)
    assert (event.note, decision.reason, decision.approver_comment) == (NOTE, REASON, "")
    assert b"X-4711-ZZ" not in _raw(SubmissionEvent._meta.db_table, "note", event.pk)
    assert b"R-9931-QQ" not in _raw(Decision._meta.db_table, "reason", decision.pk)
    # Every other event (written empty) still reads as empty text.
    assert all(e.note == "" for e in SubmissionEvent.objects.exclude(pk=event.pk))


# --- logs -------------------------------------------------------------------------------------

SECRET_ANSWER = "1990-02-30"  # a birth date typed by a resident
SECRET_NAME = "瀬戸内寂聴子"


def _everything_logged(caplog) -> str:
    """Every captured record as the handlers would print it, plus its parts."""
    parts = [caplog.text]
    for record in caplog.records:
        parts += [record.getMessage(), str(record.args), str(record.exc_text or ""),
                  str(record.exc_info or "")]
    return "\n".join(parts)


@pytest.mark.django_db
def test_a_500_while_reading_answers_logs_no_answer_value(client, resident, monkeypatch, caplog):
    """The leak: an exception raised on a stored value quotes it (`Invalid isoformat string:
    '1990-02-30'`) and the request logger printed that message inside the traceback."""
    from datetime import date

    from madoguchi.applications import engine

    login_resident(client, resident)
    submission = submit_via_web(client, CODE, {"dog_name": "ポチ"})

    def summary(form, answers):
        answers = {**answers, "birth_date": f"平成2年2月30日 ({SECRET_ANSWER})"}
        return date.fromisoformat(answers["birth_date"])  # ValueError quoting the value

    monkeypatch.setattr(engine, "summary", summary)
    client.raise_request_exception = False
    caplog.set_level(logging.DEBUG)

    response = client.get(reverse("applications:submission", args=[submission.public_id]))

    assert response.status_code == 500
    logged = _everything_logged(caplog)
    assert SECRET_ANSWER not in logged and "平成2年" not in logged
    errors = [r for r in caplog.records if r.name == "django.request" and r.levelno == logging.ERROR]
    assert errors, "the 500 must still be logged"
    assert "ValueError" in logged and "summary" in logged  # type and place, not the value


@pytest.mark.django_db
@pytest.mark.parametrize("exception", [KeyError(SECRET_NAME), ValueError(f"invalid date {SECRET_ANSWER!r}")])
def test_no_logger_prints_an_exception_message(caplog, exception):
    caplog.set_level(logging.DEBUG)
    log = logging.getLogger("madoguchi.anything")
    try:
        try:
            raise exception
        except Exception as inner:
            raise RuntimeError(f"while reading {SECRET_NAME}") from inner
    except RuntimeError as exc:
        log.exception("reading answers failed")
        log.warning("failed: %s", exc)
        log.error(exc)
    logged = _everything_logged(caplog)
    assert SECRET_NAME not in logged and SECRET_ANSWER not in logged
    assert type(exception).__name__ in logged and "RuntimeError" in logged
    assert len(caplog.records) == 3


def test_containers_of_values_passed_to_a_logger_are_withheld(caplog):
    caplog.set_level(logging.DEBUG)
    log = logging.getLogger("madoguchi.anything")
    log.info("answers %s, params %s, count %s", {"birth_date": SECRET_ANSWER}, [SECRET_NAME], 3)
    assert SECRET_ANSWER not in caplog.text and SECRET_NAME not in caplog.text
    assert "count 3" in caplog.text and "<dict of 1 withheld>" in caplog.text
    log.warning("answers %s", {"birth_date": SECRET_ANSWER})  # a lone dict: logging unpacks it
    assert SECRET_ANSWER not in caplog.text


@pytest.mark.django_db
def test_the_error_report_shows_no_post_values_locals_or_exception_message(rf, settings):
    from django.views.debug import get_exception_reporter_class

    settings.DEBUG = False
    request = rf.post("/drafts/x/", {"birth_date": SECRET_ANSWER, "name": SECRET_NAME})
    answer = SECRET_ANSWER  # a frame local, as a view's local variable would be
    try:
        raise ValueError(f"invalid date {answer!r}")
    except ValueError:
        import sys

        report = get_exception_reporter_class(request)(request, *sys.exc_info())
        text = report.get_traceback_text() + report.get_traceback_html()
    assert SECRET_ANSWER not in text and SECRET_NAME not in text
    assert "ValueError" in text
