"""The honest wait: the estimator's rules, the live estimate falling, and the simulator's floor."""

import pytest
from queue_support import issue, load_counters, purpose, today_at, window

from madoguchi.core.actors import Actor
from madoguchi.queueing import estimate, selectors, services, simulation
from madoguchi.queueing.models import Window


def test_service_minutes_trust_the_prior_until_enough_are_measured():
    assert estimate.service_minutes([30, 30, 30, 30], prior=10) == 10
    assert estimate.service_minutes([30] * 5, prior=10) == 30


def test_service_minutes_trim_the_extremes():
    samples = [10] * 38 + [1, 200]
    assert estimate.service_minutes(samples, prior=5) == 10


def test_wait_hands_windows_to_the_first_free():
    assert estimate.wait_minutes([], [], 2) == 0
    assert estimate.wait_minutes([10, 10], [], 2) == 10
    assert estimate.wait_minutes([10, 10, 10], [], 2) == 10
    assert estimate.wait_minutes([10, 10, 10, 10], [], 2) == 20
    assert estimate.wait_minutes([10], [4, 6], 2) == 6
    assert estimate.wait_minutes([10], [4, 6, 8], 1) == 14  # only open windows count
    with pytest.raises(ValueError):
        estimate.wait_minutes([10], [], 0)


def test_a_visit_longer_than_expected_still_counts():
    assert estimate.remaining_minutes(10, 4) == 6
    assert estimate.remaining_minutes(10, 30) == 2


def test_shown_waits_are_rounded_up():
    assert [estimate.round_up(m) for m in (0, 0.2, 5, 5.1, 12)] == [0, 5, 5, 10, 15]


@pytest.fixture
def counters(city):
    load_counters(city)
    Window.objects.filter(group__code="jumin").exclude(pk=window(city, "jumin").pk).update(is_open=False)
    return city


def test_the_estimate_uses_measured_times_and_falls_with_every_call(counters, staff):
    clerk = Actor.staff(staff["shimin-tanto"])
    tennyu = purpose(counters, "jumin", "tennyu")
    desk = window(counters, "jumin")
    # Five measured visits of 30 minutes replace the prior of 20.
    for n in range(5):
        served = issue(tennyu, f"past{n}", today_at(8, 30 + n))
        services.call_ticket(desk, served, clerk, today_at(8, 30 + n))
        services.act(served, "finish", clerk, today_at(9, n) if n else today_at(9, 0))
    # Measured: 30, 31, 32, 33, 34 → trimmed mean 32 … check through the selector instead.
    measured = selectors.measured_minutes(desk.group, today_at(10))[tennyu.pk]
    assert 29 <= measured <= 31
    line = [issue(tennyu, f"t{n}", today_at(10, n)) for n in range(3)]
    snapshot = selectors.Snapshot(desk.group, today_at(10, 5))
    waits = [snapshot.estimate_for(t) for t in line]
    assert waits[0] == 0 and waits[1] == pytest.approx(measured) and waits[2] == pytest.approx(2 * measured)
    assert line[2].estimate_minutes is not None
    services.call_next(desk, clerk, today_at(10, 6))
    later = selectors.Snapshot(desk.group, today_at(10, 16)).estimate_for(line[2])
    assert later < waits[2]


def test_no_estimate_while_every_window_is_closed(counters):
    Window.objects.filter(group__code="jumin").update(is_open=False)
    ticket = issue(purpose(counters, "jumin", "tennyu"), "t", today_at(10))
    assert ticket.estimate_minutes is None
    assert selectors.Snapshot(ticket.group, today_at(10, 1)).estimate_for(ticket) is None


def test_the_simulator_is_deterministic_for_a_seed():
    assert simulation.simulate(7).summary() == simulation.simulate(7).summary()
    assert simulation.simulate(7).summary() != simulation.simulate(8).summary()


def test_the_simulated_spring_day_holds_the_accuracy_floor():
    """Seed 2026: a busy moving-season day (mean wait about half an hour, peaks over 90 minutes).
    The printed estimate must stay within 5 minutes on average (measured: 3.7), and at most 8%
    of tickets may wait more than 10 minutes beyond what was printed (measured: 3.9%)."""
    day = simulation.simulate(2026)
    assert len(day.visits) > 400 and day.mean_wait > 20 and day.max_wait > 60
    assert day.mean_absolute_error <= 5.0
    assert day.late_share <= 0.08


def test_measured_times_beat_the_priors_on_the_simulated_day():
    """The priors are deliberately off (転入 20 minutes configured, 26 in spring): learning must help."""
    seeds = (2026, 1, 2, 3, 4, 5)
    learned = [simulation.simulate(seed) for seed in seeds]
    priors_only = [simulation.simulate(seed, measured=False) for seed in seeds]
    assert sum(d.late_share for d in learned) < sum(d.late_share for d in priors_only)
    assert sum(d.mean_absolute_error for d in learned) < sum(d.mean_absolute_error for d in priors_only)
