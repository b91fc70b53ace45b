"""Index publications from simulated providers: the feed that market sessions and the service
share.

Providers quote around a fundamental (marketmakers/feeds.py); the index methodology
(clearing/index.py) turns their quotes into publications, exactly as it would real providers'
quotes. `IndexSource` does one index given the fundamental's price at each step; the session
runner drives it from its pre-simulated path. `ProviderFeedSource` is the service's default:
the `baseline` and `gpu-baseline` fundamentals stepped forward in time with the exact step.
"""

from __future__ import annotations

from typing import ClassVar

from clearing.index import IndexCalculator, IndexPublication
from marketmakers.feeds import ProviderFeed, methodology_for
from marketmakers.rng import spawn_streams
from marketmakers.scenarios import load_scenario

NS_PER_YEAR = 365 * 86_400 * 10**9


class IndexSource:
    """One index: a provider feed into an index calculator."""

    def __init__(self, feed: ProviderFeed):
        self.name = feed.index_name
        self.feed = feed
        self.calculator = IndexCalculator(methodology_for(feed.index_name))
        self.last: IndexPublication | None = None

    def step(self, ts: int, fundamental_usd: float) -> IndexPublication | None:
        """Take the providers' quotes due at `ts`; publish when the methodology's interval has
        passed. Returns the publication, or None when none was due."""
        for quote in self.feed.quotes(ts, fundamental_usd):
            self.calculator.add_quote(quote)
        if not self.calculator.due(ts):
            return None
        self.last = self.calculator.publish(ts)
        return self.last


def publishable(pub: IndexPublication | None) -> int | None:
    """The value a publication lets the venue use (micro-USD), or None."""
    if pub is not None and pub.value is not None and pub.status == "ok":
        return pub.value
    return None


class ProviderFeedSource:
    """The service's default index source: simulated inference (and GPU rental) providers quote
    around jump-diffusion fundamentals (the `baseline` and `gpu-baseline` scenarios). Seeded,
    so a run can be repeated."""

    SCENARIOS: ClassVar[dict[str, str]] = {"SIT": "baseline", "GPU": "gpu-baseline"}

    def __init__(self, seed: int = 7):
        streams = spawn_streams(seed, [f"{n}.{part}" for n in self.SCENARIOS for part in ("fundamental", "feed")])
        self.sources = {}
        for name, scenario_name in self.SCENARIOS.items():
            scenario = load_scenario(scenario_name)
            self.sources[name] = (scenario.fundamental(streams[f"{name}.fundamental"]),
                                  IndexSource(scenario.feed.build(streams[f"{name}.feed"])))
        self.last_ts: int | None = None
        self.publications: dict[str, IndexPublication] = {}

    def next(self, ts: int) -> dict[str, int]:
        """Advance the fundamentals to `ts`, take the providers' due quotes, publish."""
        dt_years = 0.0 if self.last_ts is None else (ts - self.last_ts) / NS_PER_YEAR
        self.last_ts = ts
        values = {}
        for name, (fundamental, source) in self.sources.items():
            if dt_years > 0:
                fundamental.advance(dt_years)
            pub = source.step(ts, fundamental.price)
            if pub is None:
                continue
            self.publications[name] = pub
            value = publishable(pub)
            if value is not None:
                values[name] = value
        return values
