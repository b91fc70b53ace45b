"""What a market session runs: the scenarios, the seed, the span (one day, or several days of
trading windows), the agents, and the intervals of its scheduled work. Checked when made, so a
bad configuration fails with a clear message before anything runs."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime

from clearing.types import NS_PER_DAY, NS_PER_SECOND
from marketmakers.agents.config import AgentsConfig, default_agents


@dataclass(frozen=True)
class SessionConfig:
    scenario: str = "baseline"  # drives the SIT fundamental (marketmakers/scenarios.toml)
    gpu_scenario: str = "gpu-baseline"  # drives the GPU-hour fundamental
    seed: int = 1
    hours: float = 24.0  # one trading day: 16:00 UTC to 16:00 UTC, the daily fixing
    days: int = 0  # > 0: that many days, each trading `window_hours` before its fixing (not hours)
    window_hours: float = 2.0  # a multi-day session's daily trading window
    start: str = "2027-01-04T16:00:00+00:00"  # ISO 8601, UTC
    agents: AgentsConfig = field(default_factory=default_agents)
    fundamental_step_s: float = 1.0  # resolution of the pre-simulated fundamental
    mark_interval_s: float = 900.0  # intraday mark and variation-margin cycles
    sample_interval_s: float = 60.0  # the report's series
    returns_interval_s: float = 600.0  # the horizon of the returns in the stylized facts
    standing_interval_s: float = 3_600.0  # market makers' rebate standing is reviewed
    md_latency_us: int = 500  # public market data reaches agents this late

    def start_ts(self) -> int:
        dt = datetime.fromisoformat(self.start)
        if dt.tzinfo is None:
            dt = dt.replace(tzinfo=UTC)
        return int(dt.timestamp()) * NS_PER_SECOND

    def span_ns(self) -> int:
        """From the start to the end: `hours`, or `days` whole days."""
        if self.days:
            return self.days * NS_PER_DAY
        return round(self.hours * 3_600 * NS_PER_SECOND)

    def window_ns(self) -> int:
        """The trading time of each day (a one-day session: all of it)."""
        return round(self.window_hours * 3_600 * NS_PER_SECOND) if self.days else self.span_ns()

    def __post_init__(self):
        window_s = self.window_hours * 3_600
        checks = ((math.isfinite(self.hours) and self.hours > 0, "hours must be > 0"),
                  (isinstance(self.days, int) and self.days >= 0, "days must be an integer >= 0"),
                  (not self.days or 0 < self.window_hours <= 24,
                   "window_hours must be > 0 and at most 24"),
                  (not self.days or (window_s % self.mark_interval_s == 0
                                     and window_s % self.sample_interval_s == 0),
                   f"window_hours must be a whole number of mark intervals "
                   f"({self.mark_interval_s:g} s): each day's last mark falls on its close"),
                  (self.fundamental_step_s > 0 and self.mark_interval_s > 0
                   and self.sample_interval_s > 0 and self.standing_interval_s > 0,
                   "intervals must be > 0"),
                  (self.md_latency_us >= 0, "md_latency_us must be >= 0"),
                  (isinstance(self.seed, int) and self.seed >= 0, "seed must be an integer >= 0"))
        for ok, message in checks:
            if not ok:
                raise ValueError(message)
