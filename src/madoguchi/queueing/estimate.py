"""The honest wait: pure functions shared by the live queue and the simulator.

A visitor's wait is how long until a window is free for them, given the tickets ahead, the
tickets being served now, and the windows open. Each visit's length is the trimmed mean of the
last served visits of the same purpose at the same group (window minutes: called → finished),
or the purpose's expected minutes while fewer than MIN_SAMPLES have been measured.
"""

import heapq
from collections.abc import Sequence

RECENT = 40        # how many recent visits of a purpose are measured
MIN_SAMPLES = 5    # fewer than this: trust the prior
TRIM = 0.05        # share cut from each end before averaging (a forgotten "finish" button)
RECENT_DAYS = 28   # history older than this is ignored


def service_minutes(samples: Sequence[float], prior: float) -> float:
    """Expected window minutes of one visit: trimmed mean of `samples`, else `prior`."""
    if len(samples) < MIN_SAMPLES:
        return float(prior)
    ordered = sorted(samples)
    cut = int(len(ordered) * TRIM)
    kept = ordered[cut:len(ordered) - cut] or ordered
    return sum(kept) / len(kept)


def remaining_minutes(expected: float, elapsed: float) -> float:
    """What is left of a visit under way; a visit already longer than expected still needs some."""
    return max(expected - elapsed, expected * 0.2)


def wait_minutes(ahead: Sequence[float], in_progress: Sequence[float], windows_open: int) -> float:
    """Minutes until a window is free for the next visitor after `ahead`.

    `ahead`: expected minutes of each ticket to be called first, in call order;
    `in_progress`: remaining minutes of the visits at the windows now.
    Windows are handed out in order, each to the first one free (a multi-window line).
    With no window open the estimate is undefined and the caller says so.
    """
    if windows_open <= 0:
        raise ValueError("no window is open")
    busy = sorted(in_progress)[:windows_open]
    free_at = busy + [0.0] * (windows_open - len(busy))
    heapq.heapify(free_at)
    for minutes in ahead:
        start = heapq.heappop(free_at)
        heapq.heappush(free_at, start + minutes)
    return free_at[0]


def round_up(minutes: float, step: int = 5) -> int:
    """Shown estimates are rounded up to 5 minutes: a little pessimism beats a broken promise."""
    if minutes <= 0:
        return 0
    return int(-(-minutes // step) * step)
