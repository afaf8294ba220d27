"""The outbox: each mail is claimed, sent and marked on its own, so a crash repeats at most the
one in flight; every attempt of a row carries the same Message-ID; addresses and texts are
encrypted at rest and erased after delivery by `madoguchi dispose`."""

import re
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from madoguchi.core.models import Municipality
from madoguchi.notify.models import OutboxMessage, OutboxStatus
from madoguchi.notify.services import deliver_one, deliver_pending, enqueue_email

SEND = EmailBackend.send_messages


class Killed(BaseException):
    """Stands for `kill -9`: no `except Exception` catches it and no code after it runs."""


def _queue(city, count: int) -> list[OutboxMessage]:
    return [enqueue_email(city, f"visitor{n}@example.jp", "login_code",
                          {"code": f"{n:06d}", "minutes": 10}, dedupe_key=f"test:{n}")
            for n in range(count)]


def _raw(column: str) -> list:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM notify_outboxmessage ORDER BY id")  # noqa: S608
        return [None if value is None else bytes(value) for (value,) in cursor.fetchall()]


def _die_after(sends: int, before_sending: bool = False):
    """A mail backend that is killed during its `sends`-th message (before or after it left)."""
    calls = []

    def send_messages(self, messages):
        calls.append(1)
        if before_sending and len(calls) == sends:
            raise Killed
        count = SEND(self, messages)
        if len(calls) == sends:
            raise Killed
        return count
    return send_messages


def test_a_crash_mid_batch_repeats_only_the_mail_in_flight(city, monkeypatch, settings):
    settings.MADOGUCHI_OUTBOX_LEASE_SECONDS = 0  # the dead worker's claim has run out
    _queue(city, 5)
    monkeypatch.setattr(EmailBackend, "send_messages", _die_after(3))
    with pytest.raises(Killed):
        deliver_pending()
    monkeypatch.setattr(EmailBackend, "send_messages", SEND)
    deliver_pending()
    received = Counter(message.to[0] for message in mail.outbox)
    assert set(received) == {f"visitor{n}@example.jp" for n in range(5)}  # none lost
    assert sum(received.values()) - len(received) == 1  # only the third is repeated
    assert received["visitor2@example.jp"] == 2
    assert set(OutboxMessage.objects.values_list("status", flat=True)) == {OutboxStatus.SENT}


def test_a_second_worker_never_takes_a_mail_in_flight(city, monkeypatch):
    _queue(city, 1)
    other_worker = []

    def send_while_another_worker_runs(self, messages):
        if not other_worker:
            other_worker.append("running")
            other_worker[0] = deliver_pending()
        return SEND(self, messages)
    monkeypatch.setattr(EmailBackend, "send_messages", send_while_another_worker_runs)
    assert deliver_pending() == 1
    assert other_worker == [0] and len(mail.outbox) == 1


def test_a_claim_of_a_dead_worker_is_taken_over_when_its_lease_ends(city, monkeypatch, settings):
    settings.MADOGUCHI_OUTBOX_LEASE_SECONDS = 60
    [message] = _queue(city, 1)
    monkeypatch.setattr(EmailBackend, "send_messages", _die_after(1, before_sending=True))
    with pytest.raises(Killed):
        deliver_pending()
    monkeypatch.setattr(EmailBackend, "send_messages", SEND)
    assert deliver_pending() == 0  # still claimed: the worker may only be slow
    message.refresh_from_db()
    assert message.status == OutboxStatus.PENDING and message.claimed_until > timezone.now()
    assert deliver_pending(now=message.claimed_until + timedelta(seconds=1)) == 1
    assert len(mail.outbox) == 1
    message.refresh_from_db()
    assert message.status == OutboxStatus.SENT and message.attempts == 2


def test_every_attempt_of_a_row_carries_the_same_message_id(city, smtp, monkeypatch, settings):
    settings.MADOGUCHI_OUTBOX_LEASE_SECONDS = 0
    _queue(city, 2)
    real = type(mail.get_connection()).send_messages
    calls = []

    def die_after_the_first(self, messages):
        count = real(self, messages)
        calls.append(1)
        if len(calls) == 1:
            raise Killed
        return count
    monkeypatch.setattr(type(mail.get_connection()), "send_messages", die_after_the_first)
    with pytest.raises(Killed):
        deliver_pending()
    deliver_pending()
    ids = [(to[0], message["Message-ID"]) for to, message in smtp.messages]
    assert len(ids) == 3
    first = {i for to, i in ids if to == "visitor0@example.jp"}
    second = {i for to, i in ids if to == "visitor1@example.jp"}
    assert len(first) == 1 and len(second) == 1 and first != second
    [message_id] = first
    assert re.fullmatch(r"<[0-9a-f]{32}@madoguchi\.invalid>", message_id)
    assert "visitor" not in message_id and "test:" not in message_id


def test_addresses_and_texts_are_encrypted_at_rest(city):
    _queue(city, 2)
    for column in ("recipient", "body"):
        for blob in _raw(column):
            assert blob.startswith(b"mk1:") and b":gAAAAA" in blob  # a Fernet token under the city's key
            assert b"visitor" not in blob and b"@example.jp" not in blob
            assert "確認コード".encode() not in blob


def test_the_model_reads_plain_text_and_a_sent_mail_keeps_no_text(city):
    [message] = _queue(city, 1)
    message.refresh_from_db()
    assert message.recipient == "visitor0@example.jp"
    assert "000000" in message.body
    assert deliver_pending() == 1
    message.refresh_from_db()
    assert message.status == OutboxStatus.SENT and message.body is None
    assert message.recipient == "visitor0@example.jp"  # kept until the retention task
    assert mail.outbox[0].to == ["visitor0@example.jp"]


def test_dispose_erases_the_addresses_of_delivered_and_failed_mail(city, settings, capsys):
    sent, failed, waiting, recent = _queue(city, 4)
    assert deliver_one(sent.pk) and deliver_one(recent.pk)
    OutboxMessage.objects.filter(pk=failed.pk).update(status=OutboxStatus.FAILED)
    past = timezone.now() - timedelta(days=settings.MADOGUCHI_OUTBOX_RETENTION_DAYS + 1)
    OutboxMessage.objects.exclude(pk=recent.pk).update(created_at=past)
    call_command("dispose")
    out = capsys.readouterr().out
    assert "outbox_recipients: 2" in out and "@" not in out
    rows = {m.pk: m for m in OutboxMessage.objects.all()}
    assert rows[sent.pk].recipient is None and rows[failed.pk].recipient is None
    assert rows[failed.pk].body is None
    assert rows[waiting.pk].recipient is not None and rows[waiting.pk].body is not None
    assert rows[recent.pk].recipient is not None  # sent today: kept for the retention period
    assert [rows[m.pk].status for m in (sent, failed)] == [OutboxStatus.SENT, OutboxStatus.FAILED]


@pytest.mark.django_db(transaction=True)
def test_the_migration_encrypts_the_rows_already_queued():
    # The city is made with today's model: only notify goes back, so the table has today's columns.
    pk = Municipality.objects.create(slug="mig", code="999992", name="移行市").pk
    executor = MigrationExecutor(connection)
    first = [("notify", "0001_initial")]
    latest = [key for key in executor.loader.graph.leaf_nodes() if key[0] == "notify"]
    executor.migrate(first)
    old = executor.loader.project_state(first).apps
    city = old.get_model("core", "Municipality").objects.get(pk=pk)
    Outbox = old.get_model("notify", "OutboxMessage")  # noqa: N806 - a model class
    Outbox.objects.create(municipality=city, recipient="old@example.jp", subject="件名",
                          body="確認コード: 123456\n", dedupe_key="old:1")
    Outbox.objects.create(municipality=city, recipient="sent@example.jp", subject="件名",
                          body="", dedupe_key="old:2", status="sent")
    executor = MigrationExecutor(connection)
    executor.migrate(latest)
    pending, sent = OutboxMessage.objects.order_by("pk")
    assert pending.recipient == "old@example.jp" and "123456" in pending.body
    assert sent.recipient == "sent@example.jp" and sent.body is None
    assert pending.mail_id != sent.mail_id
    assert all(b"@" not in blob for blob in _raw("recipient"))


def test_make_run_starts_the_retry_loop_beside_the_web_server():
    """In the one-machine mode a mail whose first, in-process send died with its process is
    retried by the `run_outbox` loop that `make run` starts (and stops) with runserver."""
    makefile = (Path(__file__).resolve().parents[2] / "Makefile").read_text()
    recipe = re.search(r"^run:.*?\n((?:\t.*\n)+)", makefile, re.MULTILINE).group(1)
    assert re.search(r"madoguchi run_outbox", recipe)
    assert recipe.index("run_outbox") < recipe.index("runserver")


def test_a_mail_whose_every_attempt_was_cut_off_is_given_up(city, settings):
    """Attempts are counted when claimed, so a mail that kills its worker each time ends as
    `failed` after MAX_ATTEMPTS claims instead of being tried forever."""
    from madoguchi.notify.services import MAX_ATTEMPTS

    doomed, fine = _queue(city, 2)
    OutboxMessage.objects.filter(pk=doomed.pk).update(
        attempts=MAX_ATTEMPTS, claimed_until=timezone.now() - timedelta(seconds=1))
    assert deliver_pending() == 1
    assert [m.to for m in mail.outbox] == [["visitor1@example.jp"]]
    doomed.refresh_from_db()
    assert doomed.status == OutboxStatus.FAILED and doomed.attempts == MAX_ATTEMPTS



@pytest.mark.parametrize("asked, rendered, link", [
    ("en", "en", "/mypage/?lang=en"), ("ko", "ko", "/mypage/?lang=ko"),
    ("", "ja", "/mypage/"), ("xx", "ja", "/mypage/"),  # not chosen or not spoken: Japanese
])
def test_a_mail_is_written_in_the_recipients_language(city, monkeypatch, asked, rendered, link):
    """Subject and body are rendered under the recipient's language, decided when queued (not
    the staff member's who caused it), and the My Page link carries it."""
    from django.template import loader
    from django.utils import translation

    from madoguchi.notify import services

    seen = {}
    real = loader.render_to_string

    def spy(name, context=None, *args, **kwargs):
        seen["language"], seen["url"] = translation.get_language(), context["mypage_url"]
        return real(name, context, *args, **kwargs)

    monkeypatch.setattr(services, "render_to_string", spy)
    with translation.override("ja"):  # a staff member's request
        message = enqueue_email(city, "resident@example.jp", "status_returned",
                                {"submission": type("S", (), {"receipt_number": "K7M3-9PXR"})()},
                                dedupe_key=f"lang-{asked}", language=asked)
    assert seen["language"] == rendered
    assert seen["url"].endswith(link)
    assert message.subject and "K7M3-9PXR" in message.subject


def test_without_a_language_the_mail_follows_the_page_it_was_asked_from(city, monkeypatch):
    from django.utils import translation

    from madoguchi.notify import services

    seen = {}
    real = services.render_to_string
    monkeypatch.setattr(services, "render_to_string",
                        lambda *a, **k: seen.setdefault("language", translation.get_language()) and real(*a, **k))
    with translation.override("vi"):
        enqueue_email(city, "resident@example.jp", "login_code", {"code": "123456", "minutes": 10},
                      dedupe_key="lang-page")
    assert seen["language"] == "vi"
