"""A busy spring-moving-season day at デモ市, replayed through the live estimator.

Deterministic for a seed. Visitors arrive by an hourly profile (peaks at opening and after
lunch), with a mix of purposes heavy on 住民異動; each visit's true length is drawn from a
log-normal around a true mean that the city's priors do not know exactly. Each counter group is
a line served in order by its open windows. At every arrival the estimator of the live queue
(`estimate.wait_minutes` over `estimate.service_minutes` of the visits finished so far) gives the
wait printed on the ticket; afterwards the actual wait is known. The day before is simulated
first, so the day measured starts with a recent history, as a real counter does.
"""

import math
import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from madoguchi.queueing import estimate

OPEN_MINUTES = 8 * 60 + 30    # 8:30
CLOSE_MINUTES = 17 * 60       # 17:00, last ticket
LATE_BY = 10                  # minutes beyond the estimate that count as a broken promise
ABSENT_SHARE = 0.03
ABSENT_MINUTES = 2.0
SIGMA = 0.45                  # spread of visit lengths (log-normal)

# Visitors per hour starting at the hour (8 = 8:30–9:00) on a busy day in late March.
ARRIVALS_PER_HOUR = {8: 36, 9: 68, 10: 70, 11: 55, 12: 36, 13: 62, 14: 55, 15: 42, 16: 26}


@dataclass(frozen=True)
class Purpose:
    code: str
    share: float         # of all visitors
    prior: float         # expected minutes configured by the city
    true_mean: float     # what visits really take this season


@dataclass(frozen=True)
class Group:
    code: str
    windows: int
    purposes: tuple[Purpose, ...]


SPRING_DAY = (
    Group("jumin", 7, (Purpose("tennyu", 0.22, 20, 26), Purpose("tenshutsu", 0.12, 10, 9),
                       Purpose("tenkyo", 0.10, 15, 14), Purpose("card_address", 0.06, 8, 10))),
    Group("shomei", 2, (Purpose("juminhyo", 0.14, 5, 4), Purpose("inkan", 0.06, 6, 6),
                        Purpose("koseki", 0.05, 8, 9))),
    Group("kokuho", 2, (Purpose("kokuho", 0.10, 15, 17), Purpose("nenkin", 0.04, 15, 12))),
    Group("kodomo", 2, (Purpose("jido_teate", 0.05, 20, 18), Purpose("hoiku", 0.02, 25, 30))),
    Group("kaigo", 1, (Purpose("nintei", 0.03, 20, 22), Purpose("kaigo_other", 0.01, 15, 15))),
)


@dataclass
class Visit:
    group: str
    purpose: Purpose
    arrival: float            # minutes since midnight
    length: float             # true window minutes
    absent: bool = False
    called: float = 0.0
    window: int = 0
    estimate: float | None = None   # raw estimate in minutes
    shown: int | None = None        # rounded, as printed

    @property
    def wait(self) -> float:
        return self.called - self.arrival

    @property
    def finished(self) -> float:
        return self.called + self.length


@dataclass
class DayResult:
    visits: list[Visit] = field(default_factory=list)

    def _errors(self, shown: bool = True) -> list[float]:
        return [v.wait - (v.shown if shown else v.estimate) for v in self.visits if v.estimate is not None]

    @property
    def mean_absolute_error(self) -> float:
        errors = self._errors()
        return sum(abs(e) for e in errors) / len(errors)

    @property
    def late_share(self) -> float:
        """Share of tickets whose actual wait exceeded the printed estimate by more than LATE_BY."""
        errors = self._errors()
        return sum(e > LATE_BY for e in errors) / len(errors)

    @property
    def mean_wait(self) -> float:
        return sum(v.wait for v in self.visits) / len(self.visits)

    @property
    def max_wait(self) -> float:
        return max(v.wait for v in self.visits)

    def summary(self) -> dict:
        return {"visitors": len(self.visits), "mean_wait": round(self.mean_wait, 1),
                "max_wait": round(self.max_wait, 1), "mae": round(self.mean_absolute_error, 2),
                "late_share": round(self.late_share, 4)}


def arrivals(rng: random.Random, groups=SPRING_DAY, scale: float = 1.0) -> list[Visit]:
    """Poisson arrivals per hour of the profile, each given a purpose by the day's mix."""
    choices = [(g, p) for g in groups for p in g.purposes]
    weights = [p.share for _, p in choices]
    visits = []
    for hour, rate in ARRIVALS_PER_HOUR.items():
        start = max(hour * 60, OPEN_MINUTES)
        end = min(hour * 60 + 60, CLOSE_MINUTES)
        count = _poisson(rng, rate * scale * (end - start) / 60)
        for _ in range(count):
            group, purpose = rng.choices(choices, weights)[0]
            mu = math.log(purpose.true_mean) - SIGMA ** 2 / 2
            absent = rng.random() < ABSENT_SHARE
            length = ABSENT_MINUTES if absent else rng.lognormvariate(mu, SIGMA)
            visits.append(Visit(group.code, purpose, rng.uniform(start, end), length, absent))
    visits.sort(key=lambda v: v.arrival)
    return visits


def _poisson(rng: random.Random, mean: float) -> int:
    """Knuth's method in pieces (exp(-mean) underflows for large means)."""
    count, remaining = 0, mean
    while remaining > 0:
        step = min(remaining, 30.0)
        remaining -= step
        limit, product = math.exp(-step), rng.random()
        while product > limit:
            count += 1
            product *= rng.random()
    return count


def serve_group(visits: list[Visit], windows: int, history: list[Visit], measured: bool = True) -> None:
    """Call in arrival order to the first free window; estimate each ticket at its arrival from
    what the live queue would know then: waiting and in-progress visits, finished visits."""
    free = [OPEN_MINUTES] * windows
    earlier_days = sorted(history, key=lambda v: v.finished)  # all finished before today
    for index, visit in enumerate(visits):
        now = visit.arrival
        today = sorted((v for v in visits[:index] if v.finished <= now), key=lambda v: v.finished)
        known = earlier_days + today if measured else []
        expected = _measured(known)
        ahead = [v for v in visits[:index] if v.called > now]
        at_windows = [v for v in visits[:index] if v.called <= now < v.finished]
        remaining = [estimate.remaining_minutes(expected(v.purpose), now - v.called) for v in at_windows]
        visit.estimate = estimate.wait_minutes([expected(v.purpose) for v in ahead], remaining, windows)
        visit.shown = estimate.round_up(visit.estimate)
        window = min(range(windows), key=free.__getitem__)
        visit.called = max(now, free[window])
        visit.window = window
        free[window] = visit.finished


def _measured(known: list[Visit]):
    cache = {}

    def expected(purpose: Purpose) -> float:
        if purpose.code not in cache:
            samples = [v.length for v in known if v.purpose.code == purpose.code and not v.absent][-estimate.RECENT:]
            cache[purpose.code] = estimate.service_minutes(samples, purpose.prior)
        return cache[purpose.code]

    return expected


def simulate(seed: int = 2026, groups=SPRING_DAY, warm_up: bool = True, scale: float = 1.0,
             measured: bool = True) -> DayResult:
    """The measured day, after (by default) a day of history. `measured=False` estimates from
    the configured priors alone, as a baseline."""
    rng = random.Random(seed)
    history: dict[str, list[Visit]] = {g.code: [] for g in groups}
    if warm_up:
        for group, visits in _by_group(arrivals(rng, groups, scale), groups):
            serve_group(visits, group.windows, [])
            history[group.code] = visits
    result = DayResult()
    for group, visits in _by_group(arrivals(rng, groups, scale), groups):
        serve_group(visits, group.windows, history[group.code], measured)
        result.visits.extend(visits)
    result.visits.sort(key=lambda v: v.arrival)
    return result


def _by_group(visits: list[Visit], groups):
    for group in groups:
        yield group, [v for v in visits if v.group == group.code]


def at(day: date, minutes: float, tz) -> datetime:
    """A simulated minute of `day` as an aware datetime (used to store simulated history)."""
    return datetime.combine(day, time(0), tz) + timedelta(minutes=minutes)


def hourly_waits(result: DayResult) -> list[tuple[int, float, float]]:
    """(hour, mean actual wait, mean printed estimate) for the report."""
    rows = []
    hours = sorted({int(v.arrival // 60) for v in result.visits})
    for hour in hours:
        chosen = [v for v in result.visits if int(v.arrival // 60) == hour]
        rows.append((hour, sum(v.wait for v in chosen) / len(chosen),
                     sum(v.shown for v in chosen) / len(chosen)))
    return rows
