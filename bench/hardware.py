"""Shared by every benchmark: what machine a run was on (from /proc), writing a run's section
into docs/benchmarks.md between its own markers, a free loopback port, a PostgreSQL database of
the run's own, and stopping a server the run started."""

import os
import platform
import signal
import socket
import subprocess
from pathlib import Path

PG_HOST = os.environ.get("PGHOST", "127.0.0.1")
PG_PORT = os.environ.get("PGPORT", "5432")
PG_USER = os.environ.get("PGUSER", "postgres")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def postgres_database(name: str) -> str:
    """Drop and create the database `name` on the local server; return its DATABASE_URL."""
    where = ["-h", PG_HOST, "-p", PG_PORT, "-U", PG_USER]
    subprocess.run(["dropdb", *where, "--if-exists", "--force", name], check=True)
    subprocess.run(["createdb", *where, name], check=True)
    return f"postgres://{PG_USER}@{PG_HOST}:{PG_PORT}/{name}"


def stop(process: subprocess.Popen | None, sig: int = signal.SIGTERM, timeout: float = 15) -> None:
    """Ask a started server to stop (`sig`), then kill it if it is still there after `timeout`."""
    if process is None or process.poll() is not None:
        return
    process.send_signal(sig)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def machine() -> dict:
    cpuinfo = Path("/proc/cpuinfo").read_text().splitlines()
    models = [line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")]
    mhz = [line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("cpu MHz")]
    meminfo = dict(line.split(":", 1) for line in Path("/proc/meminfo").read_text().splitlines())
    return {
        "cpu": models[0] if models else platform.processor() or "unknown",
        "cores": len(models) or os.cpu_count(),
        "mhz": mhz[0] if mhz else None,
        "ram": f"{int(meminfo['MemTotal'].split()[0]) / 1024 / 1024:.1f} GiB",
        "os": f"{platform.system()} {platform.release()}",
    }


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def write_section(doc: Path, begin: str, end: str, section: str, empty: str) -> None:
    """Replace the text between `begin` and `end` (markers included in `section`); keep the rest.
    A doc without the markers gets the section appended; a missing doc starts from `empty`."""
    text = doc.read_text() if doc.exists() else empty
    if begin in text and end in text:
        head, rest = text.split(begin, 1)
        tail = rest.split(end, 1)[1].lstrip("\n")
        text = head + section + (("\n" + tail) if tail else "")
    else:
        text = text.rstrip("\n") + "\n\n" + section
    doc.parent.mkdir(parents=True, exist_ok=True)
    doc.write_text(text)
