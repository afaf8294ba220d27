"""Shared by bench/run.py and bench/identity.py: what machine a run was on (from /proc), and
writing a run's section into docs/benchmarks.md between its own markers."""

import os
import platform
from pathlib import Path


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
