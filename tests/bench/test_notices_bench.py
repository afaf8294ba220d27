"""bench/notices.py end to end at tiny durations, so a change to the notice, the seal or its
validation that breaks the benchmark fails here rather than in `make bench`: the script runs on
its own SQLite database and test CA, each call it times is checked (a notice that does not seal
or no longer validates stops it), and it writes its section, with a figure for every case and
the sizes, between its own markers in BENCH_OUT, keeping the rest of the file."""

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BEGIN = "<!-- notices:begin"
END = "<!-- notices:end -->"
OTHER = "<!-- identity:begin x -->\nthe identity part\n<!-- identity:end -->\n"


def run(doc: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE") and not k.startswith("NOTICES_BENCH_")}
    env.update(BENCH_OUT=str(doc), NOTICES_BENCH_SECONDS="0.2", NOTICES_BENCH_REPEATS="1",
               NOTICES_BENCH_WARMUP="0.05")
    return subprocess.run([sys.executable, "bench/notices.py"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300)


def test_the_benchmark_runs_and_writes_its_figures_between_its_markers(tmp_path):
    doc = tmp_path / "benchmarks.md"
    doc.write_text(f"# Benchmarks\n\n{OTHER}")
    result = run(doc)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    text = doc.read_text()
    assert text.startswith(f"# Benchmarks\n\n{OTHER}")
    assert text.count(BEGIN) == 1 and text.count(END) == 1
    section = text[text.index(BEGIN):text.index(END)]

    rows = {}
    for line in section.splitlines():
        found = re.match(r"\| (.+?) \| \*\*([\d.,]+) ms\*\* \| ([\d.,]+) ms \| \*\*([\d.,]+)\*\* \|", line)
        if found:
            rows[found.group(1)] = (float(found.group(2).replace(",", "")), float(found.group(4).replace(",", "")))
    assert len(rows) == 5, section
    for label, (ms, per_second) in rows.items():
        assert ms > 0 and per_second > 0, label
    by_word = {word: next(v for k, v in rows.items() if word in k)
               for word in ("**render**", "**seal**", "**validate**", "/api/health")}
    # A sealed notice is an RSA signature and a rewrite: it cannot be cheaper than a health check.
    assert by_word["**seal**"][0] > by_word["/api/health"][0]

    sizes = re.search(r"\*\*Size:\*\* .*?\(([\d,]+) bytes\) as rendered and .*?\(([\d,]+) bytes\) sealed", section)
    assert sizes, section
    plain, sealed = (int(s.replace(",", "")) for s in sizes.groups())
    assert 0 < plain < sealed
    assert "load average before: " in section and ", after: " in section
    assert "`NOTICES_BENCH_REPEATS=1 NOTICES_BENCH_SECONDS=0.2 NOTICES_BENCH_WARMUP=0.05 " \
           ".venv/bin/python bench/notices.py`" in section
    assert "**Machine:**" in section
