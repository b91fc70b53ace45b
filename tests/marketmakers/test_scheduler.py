"""The session scheduler: time order, deterministic ties, no scheduling in the past; latency."""

import numpy as np
import pytest

from marketmakers.scheduler import Latency, Scheduler


def test_actions_run_in_time_order_and_ties_in_scheduling_order():
    s = Scheduler(0)
    log = []
    s.at(30, log.append, "c")
    s.at(10, log.append, "a1")
    s.at(10, log.append, "a2")
    s.after(20, log.append, "b")
    assert s.run_until(25) == 3 and log == ["a1", "a2", "b"] and s.now == 25
    assert s.run_until(100) == 1 and log[-1] == "c" and len(s) == 0


def test_actions_can_schedule_more_actions():
    s = Scheduler(0)
    seen = []

    def tick(n):
        seen.append((s.now, n))
        if n < 3:
            s.after(5, tick, n + 1)

    s.at(0, tick, 0)
    s.run_until(100)
    assert seen == [(0, 0), (5, 1), (10, 2), (15, 3)]


def test_no_scheduling_in_the_past():
    s = Scheduler(50)
    with pytest.raises(ValueError):
        s.at(49, print)


def test_latency_draws_are_above_the_floor_and_reproducible():
    lat = Latency(floor_ns=10_000, median_ns=100_000, sigma=0.3)
    a = [lat.draw(np.random.default_rng(4)) for _ in range(3)]
    b = [lat.draw(np.random.default_rng(4)) for _ in range(3)]
    assert a == b and all(x >= 10_000 for x in a)
    draws = [lat.draw(np.random.default_rng(i)) for i in range(2_000)]
    assert abs(np.median(draws) - 110_000) < 5_000
    with pytest.raises(ValueError):
        Latency(median_ns=0)
