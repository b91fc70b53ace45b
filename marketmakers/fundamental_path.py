"""The fundamental a session's agents quote against: pre-simulated at a fixed step for the
whole session (marketmakers/fundamental.py) and read by time, with the times at which it moves
a whole tick (market makers look again then). Read at every requote: compiled
(fundamental_path.pxd)."""

from __future__ import annotations

import math
from bisect import bisect_right

import numpy as np

from clearing.types import NS_PER_SECOND
from marketmakers.fundamental import simulate_paths

NS_PER_YEAR = 365 * 86_400 * NS_PER_SECOND
TICKS_PER_USD = 1_000  # both products quote in 0.001 USD ticks


class FundamentalPath:
    """The fundamental pre-simulated at a fixed step for the whole session (one vectorised
    call, exact OU step), read by time."""

    def __init__(self, scenario, start_ts: int, end_ts: int, step_ns: int, rng):
        self.start_ts, self.step_ns = start_ts, step_ns
        n = (end_ts - start_ts) // step_ns + 1
        x = simulate_paths(scenario.params, math.log(scenario.price_usd), step_ns / NS_PER_YEAR,
                           n, 1, rng)[0]
        prices = np.exp(x)
        self.prices = prices.tolist()
        self.sigma = scenario.params.sigma
        ticks = np.rint(prices * TICKS_PER_USD)
        steps = np.flatnonzero(np.diff(ticks)) + 1  # where the price in whole ticks changes
        self.moves = (start_ts + steps * step_ns).tolist()

    def next_move(self, ts: int) -> int | None:
        """The first time after `ts` at which the price moves to another whole tick."""
        i = bisect_right(self.moves, ts)
        return self.moves[i] if i < len(self.moves) else None

    def usd(self, ts: int) -> float:
        i = (ts - self.start_ts) // self.step_ns
        return self.prices[min(max(i, 0), len(self.prices) - 1)]
