"""`kill -9` of a real `madoguchi run_outbox` in the middle of delivery loses no mail and repeats
at most the one mail in flight per kill.

The workers are separate processes that share this test's database (a file copy of the migrated
SQLite test database, or the PostgreSQL test database itself). The SMTP server is aiosmtpd in
this process, a few milliseconds slow per mail so that the kills land mid-batch; it counts
deliveries by Message-ID, which must be the same on every attempt of one outbox row.
"""

import asyncio
import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from email import message_from_bytes, policy
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection

from madoguchi.notify.models import OutboxMessage
from madoguchi.notify.services import enqueue_email

from conftest import free_port

MAILS = 200
KILLS = 5
MADOGUCHI = str(Path(sys.executable).with_name("madoguchi"))


class CountingInbox:
    """Counts each delivery by Message-ID and remembers which ids carried which code."""

    def __init__(self):
        self.by_id: Counter[str] = Counter()
        self.ids_of_code: dict[str, set[str]] = {}
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        await asyncio.sleep(0.004)
        message = message_from_bytes(envelope.content, policy=policy.default)
        code = re.search(r"確認コード: (\d{6})", message.get_content()).group(1)
        with self.lock:
            self.by_id[message["Message-ID"]] += 1
            self.ids_of_code.setdefault(code, set()).add(message["Message-ID"])
        return "250 OK"

    def deliveries(self) -> int:
        with self.lock:
            return sum(self.by_id.values())

    def codes(self) -> int:
        with self.lock:
            return len(self.ids_of_code)


@pytest.fixture
def inbox():
    from aiosmtpd.controller import Controller

    counting = CountingInbox()
    controller = Controller(counting, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield counting, controller.port
    controller.stop()


def _shared_database(tmp_path: Path) -> str:
    """A DATABASE_URL under which a worker process sees this test's rows."""
    if connection.vendor == "sqlite":
        path = tmp_path / "outbox.sqlite3"
        with connection.cursor() as cursor:
            cursor.execute("VACUUM INTO %s", [str(path)])
        return f"sqlite:///{path}"
    db = connection.settings_dict
    credentials = quote(db["USER"] or "") + (":" + quote(db["PASSWORD"]) if db["PASSWORD"] else "")
    return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _statuses(url: str) -> Counter:
    if url.startswith("sqlite:///"):
        with sqlite3.connect(url.removeprefix("sqlite:///")) as db:
            rows = db.execute("SELECT status FROM notify_outboxmessage").fetchall()
        return Counter(status for (status,) in rows)
    return Counter(OutboxMessage.objects.values_list("status", flat=True))


def _wait_for(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


@pytest.mark.django_db(transaction=True)
def test_kill_9_of_the_worker_loses_nothing_and_repeats_at_most_one_mail_per_kill(
        inbox, tmp_path, settings):
    counting, port = inbox
    settings.MADOGUCHI_OUTBOX_MODE = "worker"
    from madoguchi.core.models import Municipality

    city = Municipality.objects.create(slug="crash", code="999991", name="試験市")
    for n in range(MAILS):
        enqueue_email(city, f"visitor{n}@example.jp", "login_code",
                      {"code": f"{n:06d}", "minutes": 10}, dedupe_key=f"crash:{n}")
    url = _shared_database(tmp_path)
    env = {**os.environ, "DATABASE_URL": url, "MADOGUCHI_VAR_DIR": str(tmp_path),
           "MADOGUCHI_EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
           "MADOGUCHI_SMTP_HOST": "127.0.0.1", "MADOGUCHI_SMTP_PORT": str(port),
           "MADOGUCHI_ENCRYPTION_KEYS": ",".join(settings.MADOGUCHI_ENCRYPTION_KEYS),
           "MADOGUCHI_OUTBOX_LEASE_SECONDS": "1", "MADOGUCHI_LOG_LEVEL": "ERROR"}
    log = (tmp_path / "worker.log").open("ab")

    def start() -> subprocess.Popen:
        return subprocess.Popen([MADOGUCHI, "run_outbox", "--interval", "0.2"], env=env,
                                stdout=subprocess.DEVNULL, stderr=log)

    at_kill = []
    worker = None
    try:
        step = MAILS // (KILLS + 2)
        for _ in range(KILLS):
            worker = start()
            before = counting.deliveries()
            assert _wait_for(lambda b=before: counting.deliveries() >= b + step, 40), \
                (tmp_path / "worker.log").read_text()
            worker.send_signal(signal.SIGKILL)
            worker.wait()
            at_kill.append(counting.codes())
        worker = start()
        assert _wait_for(lambda: counting.codes() == MAILS, 60)
        assert _wait_for(lambda: _statuses(url) == Counter({"sent": MAILS}), 20), _statuses(url)
    finally:
        if worker is not None and worker.poll() is None:
            worker.terminate()
            worker.wait(10)
        log.close()

    assert all(delivered < MAILS for delivered in at_kill)  # every kill landed mid-delivery
    assert sorted(counting.ids_of_code) == [f"{n:06d}" for n in range(MAILS)]  # nothing lost
    # one Message-ID per outbox row, however often it was attempted
    assert all(len(ids) == 1 for ids in counting.ids_of_code.values())
    repeated = sum(count - 1 for count in counting.by_id.values())
    assert repeated <= KILLS, f"{repeated} repeated deliveries after {KILLS} kills"
