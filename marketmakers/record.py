"""What a market session hands to its report: the summary, sampled series and risk events.

The session runner (marketmakers/session.py) fills a `SessionRecord` while it runs; the report
(marketmakers/report.py) and the plots (marketmakers/plots.py) read nothing else, so they can be
tested on a record built by hand.

Series are sampled every `sample_interval_ns` of simulated time, all aligned on `samples["ts"]`.
Money and prices in the series are floats in USD: they are for statistics and plots only (the
event log keeps the integers).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

# samples: the primary (most traded) contract and its underlying, one value per sample time
SAMPLE_KEYS = (
    "ts",  # int64 ns since the epoch, the end of each sample interval
    "fundamental_usd",  # the jump-diffusion fundamental, USD per million SIT (per GPU-hour)
    "index_usd",  # the latest published index value (NaN before the first publication)
    "last_usd",  # the contract's last trade price (NaN before the first trade)
    "mark_usd",  # the clearinghouse's mark (NaN before the first mark)
    "bid_usd",  # best bid at the sample time (NaN when there is none)
    "ask_usd",  # best ask (NaN when there is none)
    "spread_ticks",  # ask - bid in ticks (NaN when one side is empty)
    "bid_depth",  # lots at the best bid (0 when none)
    "ask_depth",  # lots at the best ask
    "volume",  # lots traded in the contract during the interval
    "trades",  # trades in the contract during the interval
)

RISK_KINDS = ("margin_call", "liquidation", "default", "waterfall")


@dataclass
class SessionRecord:
    summary: dict  # JSON-able: the figures `sitex simulate --json` prints, and more
    samples: dict[str, np.ndarray]  # SAMPLE_KEYS -> 1-d arrays of equal length
    # maker name -> {"inventory": lots (signed, all contracts), "pnl_usd": marked-to-market
    # profit and loss since the start, fees and rebates included}, aligned with samples["ts"]
    makers: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)
    # {"ts": ns, "kind": one of RISK_KINDS, "account": str, "layer": str | None (waterfall
    #  layer name), "amount_cents": int | None}
    risk_events: list[dict] = field(default_factory=list)

    def check(self) -> None:
        """Assert the shape the report relies on."""
        n = len(self.samples["ts"])
        for key in SAMPLE_KEYS:
            assert key in self.samples, key
            assert len(self.samples[key]) == n, key
        for name, series in self.makers.items():
            for key in ("inventory", "pnl_usd"):
                assert len(series[key]) == n, (name, key)
        for e in self.risk_events:
            assert e["kind"] in RISK_KINDS, e
