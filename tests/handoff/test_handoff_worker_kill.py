"""`kill -9` of a real `madoguchi run_handoffs` while the business system is taking the case:
the next worker delivers it again with the same webhook-id, and the deduping system holds the
case once. The worker shares this test's database (tests/security/test_outbox_crash.py's copy)."""

import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from django.db import connection
from django.test import Client
from handoff_support import CODE
from target_server import TargetServer, new_secret

from madoguchi.casework import services as casework
from madoguchi.core.actors import Actor
from madoguchi.handoff.models import Handoff
from madoguchi.identity.models import ResidentAccount

from conftest import login_resident
from support import submit_via_web

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "security"))
from test_outbox_crash import MADOGUCHI, _shared_database, _wait_for  # noqa: E402


def _rows(url: str) -> list[tuple]:
    query = "SELECT state, attempts, interruptions, claimed_until FROM handoff_handoff"
    if url.startswith("sqlite:///"):
        with sqlite3.connect(url.removeprefix("sqlite:///")) as db:
            return db.execute(query).fetchall()
    return list(Handoff.objects.values_list("state", "attempts", "interruptions", "claimed_until"))


def _lease_runs_out(url: str) -> None:
    """Stands for the lease's time passing (MADOGUCHI_HANDOFF_LEASE_SECONDS, 120 s by default)."""
    query = "UPDATE handoff_handoff SET claimed_until = '2000-01-01 00:00:00'"
    if url.startswith("sqlite:///"):
        with sqlite3.connect(url.removeprefix("sqlite:///")) as db:
            db.execute(query)
        return
    with connection.cursor() as cursor:
        cursor.execute(query)


@pytest.mark.django_db(transaction=True)
def test_kill_9_mid_delivery_delivers_once_to_a_deduping_target(city, staff, tmp_path, settings,
                                                                audit_log_flushable):
    server = TargetServer(new_secret()).start()
    server.delay = 30  # takes the case, then answers late: the worker is killed while it waits
    try:
        secret_file = tmp_path / "target.secret"
        secret_file.write_text(server.secret)
        config = tmp_path / "config" / "demo"
        config.mkdir(parents=True)
        (config / "handoff.yaml").write_text(yaml.safe_dump({"targets": [{
            "name": "api", "kind": "http", "procedures": [CODE], "events": ["accepted"],
            "url": server.url, "secret_file": str(secret_file), "timeout_seconds": 60}]}))
        settings.MADOGUCHI_HANDOFF_CONFIG_DIR = str(tmp_path / "config")
        settings.MADOGUCHI_HANDOFF_MODE = "worker"
        account = ResidentAccount.objects.create(municipality=city, email="kill@example.jp")
        case = submit_via_web(login_resident(Client(), account), CODE)
        clerk = staff["kodomo-tanto"]
        casework.accept(case, clerk, Actor.staff(clerk))
        public_id = str(Handoff.objects.get(submission=case).public_id)

        url = _shared_database(tmp_path)
        env = {**os.environ, "DATABASE_URL": url, "MADOGUCHI_VAR_DIR": str(tmp_path),
               "MADOGUCHI_MUNICIPAL_CATALOG_DIR": str(tmp_path / "config"),  # handoff.yaml's default home
               "MADOGUCHI_HANDOFF_CONFIG_DIR": str(tmp_path / "config"),
               "MADOGUCHI_ENCRYPTION_KEYS": ",".join(settings.MADOGUCHI_ENCRYPTION_KEYS),
               "MADOGUCHI_LOG_LEVEL": "ERROR"}
        log = (tmp_path / "worker.log").open("ab")

        def start() -> subprocess.Popen:
            return subprocess.Popen([MADOGUCHI, "run_handoffs", "--interval", "0.2"], env=env,
                                    stdout=subprocess.DEVNULL, stderr=log)

        worker = start()
        try:
            assert _wait_for(lambda: len(server.posts) == 1, 60), (tmp_path / "worker.log").read_text()
        finally:
            worker.send_signal(signal.SIGKILL)
            worker.wait()
        assert server.accepted == {public_id: server.accepted[public_id]}  # it took the case
        [(state, attempts, _i, claimed)] = _rows(url)
        assert (state, attempts) == ("pending", 1) and claimed is not None  # the outcome was lost

        server.delay = 0
        _lease_runs_out(url)
        worker = start()
        try:
            assert _wait_for(lambda: _rows(url)[0][0] == "delivered", 60), (tmp_path / "worker.log").read_text()
        finally:
            worker.send_signal(signal.SIGTERM)
            worker.wait(timeout=30)
        assert _rows(url)[0][:3] == ("delivered", 2, 1)
        assert server.posts == [public_id, public_id]  # sent twice, with the same webhook-id
        assert list(server.accepted) == [public_id]  # held once
    finally:
        server.stop()
