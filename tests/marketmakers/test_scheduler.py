"""The session scheduler: time order, deterministic ties, no scheduling in the past; latency."""

import gc
import weakref

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

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


def test_many_actions_past_the_first_capacity_run_in_time_then_scheduling_order():
    s = Scheduler(0)
    log = []
    times = [(i * 7_919) % 1_000 for i in range(3_000)]  # ties and disorder, > 256 pending
    for i, ts in enumerate(times):
        s.at(ts, log.append, i)
    assert len(s) == 3_000
    assert s.run_until(10**18) == 3_000 and len(s) == 0
    assert log == sorted(range(3_000), key=lambda i: (times[i], i))


@given(st.lists(st.tuples(st.integers(0, 50), st.integers(0, 60)), max_size=600))
def test_the_queue_runs_actions_as_a_sorted_reference_does(steps):
    """Each step schedules an action `delay` after now, or runs the clock to `now + delay`
    (a zero first number); actions run in (time, scheduling order) order, none twice or lost."""
    s = Scheduler(1_000)
    pending = []  # (ts, n): the reference, sorted when the clock runs
    ran, expected = [], []
    for n, (kind, delay) in enumerate(steps):
        if kind:
            s.after(delay, ran.append, n)
            pending.append((s.now + delay, n))
        else:
            end = s.now + delay
            due = sorted(p for p in pending if p[0] <= end)
            pending = [p for p in pending if p[0] > end]
            assert s.run_until(end) == len(due)
            expected += [n for _, n in due]
            assert ran == expected and s.now == end and len(s) == len(pending)
    s.run_until(s.now + 100)
    assert ran == expected + [n for _, n in sorted(pending)] and len(s) == 0


def test_an_action_that_fails_leaves_the_queue_whole():
    s = Scheduler(0)
    log = []
    s.at(1, log.append, "a")
    s.at(2, lambda: 1 / 0)
    s.at(3, log.append, "c")
    with pytest.raises(ZeroDivisionError):
        s.run_until(10)
    assert log == ["a"] and len(s) == 1 and s.now == 2
    assert s.run_until(10) == 1 and log == ["a", "c"]


def test_a_dropped_scheduler_lets_go_of_the_actions_it_held():
    class Thing:
        pass

    thing = Thing()
    held = weakref.ref(thing)
    s = Scheduler(0)
    s.at(5, print, thing)
    s.at(7, print, thing)
    del s, thing
    gc.collect()
    assert held() is None


def test_a_shift_moves_the_clock_and_every_pending_action_in_order():
    s = Scheduler(0)
    log = []
    for ts, name in ((30, "c"), (10, "a1"), (10, "a2"), (20, "b")):
        s.at(ts, lambda name=name: log.append((s.now, name)))
    s.run_until(5)
    s.shift(1_000)
    assert s.now == 1_005
    with pytest.raises(ValueError):
        s.at(1_004, log.append, "late")  # the past moved too
    s.at(1_015, lambda: log.append((s.now, "new")))
    s.run_until(2_000)
    assert log == [(1_010, "a1"), (1_010, "a2"), (1_015, "new"), (1_020, "b"), (1_030, "c")]
    with pytest.raises(ValueError):
        s.shift(-1)


def test_clear_lets_go_of_actions_that_refer_back_to_their_owner():
    """The compiled queue is out of the garbage collector's sight: a cycle through it (an owner
    whose scheduled actions hold the owner) is broken only by clear()."""
    class Owner:
        pass

    owner = Owner()
    held = weakref.ref(owner)
    owner.scheduler = Scheduler(0)
    owner.scheduler.at(5, print, owner)
    owner.scheduler.at(9, print, owner)
    owner.scheduler.clear()
    assert len(owner.scheduler) == 0
    del owner
    gc.collect()
    assert held() is None
