"""The harness of the one-core benchmarks (bench/identity.py, bench/notices.py): a process
pinned to one core calls each case back to back for a fixed time, in rounds, and reports the run
with the median rate; a private SQLite database and settings under a temporary directory."""

import gc
import os
import statistics
import time
from pathlib import Path


def pin(core: int) -> int:
    """Pin this process to `core` (else the first core allowed); returns the core used."""
    allowed = os.sched_getaffinity(0)
    core = core if core in allowed else min(allowed)
    os.sched_setaffinity(0, {core})
    return core


def private_django(tmp: Path, unset: tuple[str, ...] = (), **extra: str) -> None:
    """Settings for a private, migrated-later SQLite database under `tmp`, set before Django
    reads them: no debug, mail kept in memory and left to the worker, quiet logs. `extra` adds
    the benchmark's own (its CA's directory …); `unset` drops variables that would point
    elsewhere."""
    for name in unset:
        os.environ.pop(name, None)
    os.environ.update({
        "DJANGO_SETTINGS_MODULE": "madoguchi.settings",
        "MADOGUCHI_VAR_DIR": str(tmp),
        "DATABASE_URL": f"sqlite:///{tmp / 'madoguchi.sqlite3'}",
        "MADOGUCHI_DEBUG": "0",
        "MADOGUCHI_OUTBOX_MODE": "worker",
        "MADOGUCHI_EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "MADOGUCHI_ALLOWED_HOSTS": "testserver,127.0.0.1,localhost",
        "MADOGUCHI_PUBLIC_URL": "http://testserver",
        "MADOGUCHI_LOG_LEVEL": "WARNING",
        **extra,
    })


def timed(fn, seconds: float) -> dict:
    """Call fn() back to back for `seconds`. fn returns what to leave off the clock: None, or
    (wall seconds, CPU seconds). Returns ops, clock and CPU seconds, per-op latencies and the
    share of the wall time this process was on the CPU."""
    latencies = []
    off_wall = off_cpu = 0.0
    cpu0 = time.process_time()
    start = time.perf_counter()
    deadline = start + seconds
    now = start
    while now < deadline:
        before = now
        off = fn() or (0.0, 0.0)
        now = time.perf_counter()
        latencies.append(now - before - off[0])
        off_wall += off[0]
        off_cpu += off[1]
    wall = now - start
    cpu = time.process_time() - cpu0
    return {"ops": len(latencies), "clock": wall - off_wall, "cpu": cpu - off_cpu,
            "latencies": latencies, "cpu_share": cpu / wall}


def measure(cases: list[tuple[str, str, object]], seconds: float, repeats: int, warmup: float,
            log) -> dict:
    """Warm every case up, then `repeats` rounds that each run every case once, so that other
    work on the machine spreads over all cases rather than falling on one. Per case: the run
    with the median rate, all rates, the median rate per CPU-second."""
    for _key, _label, fn in cases:
        timed(fn, warmup)
        if hasattr(fn, "steps"):
            fn.steps.clear()  # per-request times of the timed runs only
    runs: dict[str, list[dict]] = {key: [] for key, _label, _fn in cases}
    for i in range(repeats):
        for key, _label, fn in cases:
            gc.collect()
            run = timed(fn, seconds)
            run["rate"] = run["ops"] / run["clock"]
            run["cpu_rate"] = run["ops"] / run["cpu"]
            latencies = sorted(run.pop("latencies"))
            run["p50"] = percentile(latencies, 50)
            run["p99"] = percentile(latencies, 99)
            runs[key].append(run)
            log(f"round {i + 1}, {key}: {run['rate']:,.1f}/s, p50 {run['p50'] * 1e3:.3f} ms, "
                f"p99 {run['p99'] * 1e3:.3f} ms, CPU share {run['cpu_share']:.2f}")
    results = {}
    for key, _label, fn in cases:
        ranked = sorted(runs[key], key=lambda r: r["rate"])
        results[key] = {**ranked[len(ranked) // 2], "rates": [r["rate"] for r in runs[key]],
                        "cpu_rate": statistics.median(r["cpu_rate"] for r in runs[key])}
        steps = getattr(fn, "steps", None)
        if steps:
            results[key]["steps"] = [statistics.median(c) for c in zip(*steps, strict=True)]
    return results


def percentile(sorted_values: list[float], pct: float) -> float:
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, max(0, round(pct / 100 * len(sorted_values) + 0.5) - 1))
    return sorted_values[index]
