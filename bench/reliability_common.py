"""Shared by bench/reliability_outbox.py and bench/reliability_submissions.py: a PostgreSQL
database of the run's own, gunicorn on a loopback port, an SMTP server that counts mails by
Message-ID, a burst of API submissions whose workers are killed with `kill -9`, and writing a
section of docs/reliability.md.

Everything stays on 127.0.0.1; every loop is bounded; the processes started here are stopped
here (by their own pids).
"""

import http.client
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from email import message_from_bytes, policy
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from hardware import free_port, loadavg, machine, write_section  # noqa: E402
from hardware import postgres_database as _fresh_database  # noqa: E402
from scenario import ANSWERS, PROCEDURE  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "reliability.md"
BIN = Path(sys.executable).parent


def log(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S', time.gmtime())} UTC] {text}", flush=True)



def postgres_database(name: str) -> str:
    """Drop and create `name`; return its DATABASE_URL."""
    for tool in ("dropdb", "createdb"):
        if shutil.which(tool) is None:
            sys.exit(f"`{tool}` is not installed (PostgreSQL client tools are needed)")
    return _fresh_database(name)


def base_env(database_url: str, var_dir: Path, **extra) -> dict:
    env = {**os.environ, "DATABASE_URL": database_url, "MADOGUCHI_VAR_DIR": str(var_dir),
           "MADOGUCHI_LOG_LEVEL": "ERROR", "MADOGUCHI_SECURE_COOKIES": "0"}
    env.update({k: str(v) for k, v in extra.items()})
    return env


def madoguchi(env: dict, *args: str) -> str:
    result = subprocess.run([str(BIN / "madoguchi"), *args], env=env, cwd=ROOT,
                            capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"madoguchi {' '.join(args)} failed:\n{result.stdout[-2000:]}{result.stderr[-4000:]}")
    return result.stdout


def prepare_city(env: dict, accounts: int) -> list[str]:
    """Migrate, load the demo city, load Django here, and make `accounts` resident API tokens."""
    madoguchi(env, "migrate", "--noinput", "-v0")
    madoguchi(env, "load_demo")
    django_setup(env)
    from madoguchi.core.models import Municipality
    from madoguchi.identity.emailcode import issue_api_token
    from madoguchi.identity.models import ResidentAccount

    city = Municipality.objects.get(slug="demo")
    return [issue_api_token(city, label="reliability", days=1, account=ResidentAccount.objects.create(
        municipality=city, email=f"reliability-{n:03d}@example.jp")) for n in range(accounts)]


# --- SMTP ------------------------------------------------------------------------------------


class CountingInbox:
    """aiosmtpd handler: deliveries counted by Message-ID."""

    def __init__(self, delay: float = 0.0):
        self.delay = delay
        self.by_id: Counter[str] = Counter()
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        import asyncio

        if self.delay:
            await asyncio.sleep(self.delay)
        message = message_from_bytes(envelope.content, policy=policy.default)
        with self.lock:
            self.by_id[message["Message-ID"]] += 1
        return "250 OK"

    def deliveries(self) -> int:
        with self.lock:
            return sum(self.by_id.values())

    def distinct(self) -> int:
        with self.lock:
            return len(self.by_id)


class SmtpServer:
    def __init__(self, delay: float = 0.0):
        from aiosmtpd.controller import Controller

        self.inbox = CountingInbox(delay)
        self.port = free_port()
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)

    def __enter__(self):
        self.controller.start()
        return self

    def __exit__(self, *exc):
        self.controller.stop()


# --- processes -------------------------------------------------------------------------------


class Process:
    """A child process of this script, stopped with SIGTERM (then SIGKILL) on exit."""

    def __init__(self, command: list[str], env: dict, logfile: Path):
        self.logfile = logfile.open("ab")
        self.process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=self.logfile,
                                        stderr=subprocess.STDOUT)

    def kill9(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.kill9()
        self.logfile.close()


def outbox_worker(env: dict, logfile: Path) -> Process:
    return Process([str(BIN / "madoguchi"), "run_outbox", "--interval", "0.2"], env, logfile)


class Gunicorn(Process):
    def __init__(self, env: dict, workers: int, logfile: Path):
        self.port = free_port()
        command = [sys.executable, "-m", "gunicorn", "madoguchi.wsgi:application",
                   "--workers", str(workers), "--bind", f"127.0.0.1:{self.port}",
                   "--log-level", "warning", "--timeout", "60"]
        if "--no-control-socket" in subprocess.run([sys.executable, "-m", "gunicorn", "--help"],
                                                   capture_output=True, text=True).stdout:
            command.append("--no-control-socket")
        super().__init__(command, env, logfile)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                sys.exit(f"gunicorn exited:\n{logfile.read_text()[-3000:]}")
            try:
                status, _ = request(self.port, "GET", "/api/health", None, {})
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.3)
        self.stop()
        sys.exit("gunicorn did not answer /api/health within 60 s")

    def workers(self) -> list[int]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in children.read_text().split()] if children.exists() else []

    def kill9_a_worker(self) -> bool:
        pids = self.workers()
        if not pids:
            return False
        try:
            os.kill(random.choice(pids), signal.SIGKILL)
        except ProcessLookupError:
            return False
        return True


def request(port: int, method: str, path: str, body: dict | None, headers: dict,
            timeout: float = 30) -> tuple[int, dict | None]:
    """One HTTP request on its own connection; OSError (reset, refused, timeout) if no answer."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        payload = None if body is None else json.dumps(body).encode()
        connection.request(method, path, payload, {"Content-Type": "application/json", **headers})
        response = connection.getresponse()
        data = response.read()
        try:
            parsed = json.loads(data) if data else None
        except ValueError:
            parsed = None
        return response.status, parsed
    except http.client.HTTPException as exc:  # RemoteDisconnected and friends: no answer
        raise ConnectionError(type(exc).__name__) from exc
    finally:
        connection.close()


# --- the burst -------------------------------------------------------------------------------


def burst(server: Gunicorn, tokens: list[str], count: int, kills: int, threads: int = 4,
          max_tries: int = 30) -> dict:
    """`count` submissions from `threads` clients, each with its own Idempotency-Key; a worker
    is killed with SIGKILL every count/(kills+1) answers; a request without an answer (or a
    5xx) is sent again with the same key, up to `max_tries` times."""
    keys = [f"reliability-{n:05d}-{random.getrandbits(32):08x}" for n in range(count)]
    receipts: dict[str, dict] = {}
    unanswered = Counter()
    statuses = Counter()
    lock = threading.Lock()
    done = threading.Event()

    def client(offset: int) -> None:
        for n in range(offset, count, threads):
            token = tokens[n % len(tokens)]
            headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": keys[n]}
            for _ in range(max_tries):
                try:
                    status, body = request(server.port, "POST", "/api/submissions",
                                           {"procedure": PROCEDURE, "answers": ANSWERS}, headers)
                except OSError:
                    with lock:
                        unanswered["no answer"] += 1
                    time.sleep(0.2)
                    continue
                with lock:
                    statuses[status] += 1
                if status >= 500:
                    time.sleep(0.2)
                    continue
                if status in (200, 201):
                    with lock:
                        receipts[keys[n]] = {"id": body["id"], "receipt": body["receipt_number"],
                                             "token": token}
                break

    def killer() -> None:
        step = max(1, count // (kills + 1))
        for k in range(1, kills + 1):
            while not done.is_set() and len(receipts) < k * step:
                time.sleep(0.01)
            if done.is_set():
                return
            if server.kill9_a_worker():
                with lock:
                    unanswered["kills"] += 1

    started = time.monotonic()
    workers = [threading.Thread(target=client, args=(t,)) for t in range(threads)]
    killing = threading.Thread(target=killer)
    killing.start()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    done.set()
    killing.join()
    return {"keys": keys, "receipts": receipts, "statuses": dict(statuses),
            "retries": unanswered["no answer"], "kills": unanswered["kills"],
            "seconds": round(time.monotonic() - started, 1)}


def django_setup(env: dict) -> None:
    """Load Django in this process against the run's database (to write and count rows)."""
    os.environ.update({k: v for k, v in env.items() if k.startswith(("DATABASE_URL", "MADOGUCHI_"))})
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "madoguchi.settings")
    import django

    django.setup()


def count_rows(keys: list[str], tokens: list[str], receipts: dict) -> dict:
    """What the clients hold against the database: lost = an answered submission (201/200)
    whose row is missing; duplicated = more than one row for one client key."""
    from madoguchi.applications.models import Submission
    from madoguchi.applications.services import scoped_idempotency_key
    from madoguchi.core.models import Municipality
    from madoguchi.identity.emailcode import api_token

    city = Municipality.objects.get(slug="demo")
    accounts = {token: api_token(city, token).account for token in tokens}
    scoped = {scoped_idempotency_key(accounts[tokens[n % len(tokens)]], key): key
              for n, key in enumerate(keys)}
    rows = list(Submission.objects.values_list("public_id", "idempotency_key"))
    per_key = Counter(scoped.get(k, "(not a client key)") for _, k in rows)
    ids = {str(public_id) for public_id, _ in rows}
    return {
        "rows": len(rows),
        "receipts": len(receipts),
        "lost": sum(1 for held in receipts.values() if held["id"] not in ids),
        "duplicated": sum(c - 1 for key, c in per_key.items() if c > 1),
        "rows_without_receipt": sum(1 for key in per_key if key not in receipts),
        "unanswered": len(keys) - len(receipts),
    }


def command_line(script: str, parser, args) -> str:
    """The command as run, naming only the options that differ from their defaults."""
    return f"python bench/{script}" + "".join(
        f" --{name.replace('_', '-')} {value}" for name, value in vars(args).items()
        if name != "database" and value != parser.get_default(name))


def header(command: str) -> str:
    hw = machine()
    return (f"Machine: {hw['cpu']}, {hw['cores']} cores, {hw['ram']}, {hw['os']}; "
            f"load average before the run: {loadavg()}. Command: `{command}`.")


def write(begin: str, end: str, body: str) -> None:
    empty = "# Reliability / 信頼性\n"
    write_section(DOC, begin, end, f"{begin}\n{body.rstrip()}\n{end}\n", empty)
