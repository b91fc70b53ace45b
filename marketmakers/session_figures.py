"""A market session's figures as one flat row: what a table of many sessions (a sweep) compares.

`session_figures(record)` reads only the SessionRecord (like the report), so it is tested on a
record built by hand. Every figure in FIGURES is always present, None where the session has
nothing to measure it on (no quotes, too few samples, no makers). Wall-clock figures are left
out: the row of a seed and its settings is the same on every machine.
"""

from __future__ import annotations

import math

import numpy as np

from marketmakers.record import SessionRecord

SECONDS_PER_YEAR = 365 * 86_400

# name -> (type, what it is)
FIGURES: dict[str, tuple[type, str]] = {
    "trades": (int, "trades in every contract"),
    "volume": (int, "lots traded in every contract"),
    "events": (int, "venue events"),
    "commands": (int, "commands the agents sent"),
    "rejections": (int, "commands the venue rejected"),
    "margin_calls": (int, "margin calls"),
    "liquidations": (int, "liquidations started"),
    "defaults": (int, "accounts in default"),
    "market_makers": (int, "market makers in the population"),
    "agents_total": (int, "agents in the population"),
    "primary_symbol": (str, "the contract the spread, depth and volatility are read on"),
    "mean_spread_ticks": (float, "mean best ask - best bid of the primary contract, ticks"),
    "mean_depth_lots": (float, "mean lots at the best bid and ask (their average)"),
    "realised_vol": (float, "annualised sd of the primary contract's log mid returns per sample"),
    "excess_kurtosis": (float, "of the mid's returns (stylized facts)"),
    "autocorr_returns_lag1": (float, "of the mid's returns"),
    "autocorr_abs_returns_lag1": (float, "of the mid's absolute returns (volatility clustering)"),
    "maker_pnl_usd_mean": (float, "the makers' marked-to-market PnL at the close, mean per maker"),
    "maker_pnl_usd_total": (float, "the same, summed over the makers"),
    "obligations_met_share": (float, "share of the makers that met their quoting obligation"),
    "obligation_presence_mean": (float, "mean share of the session a maker quoted compliantly"),
    "digest": (str, "SHA-256 of the event log: same seed and settings, same digest"),
}


def session_figures(record: SessionRecord) -> dict:
    """FIGURES of one session, in their order, None where there is nothing to measure."""
    s = record.summary
    facts = s.get("stylized_facts") or {}
    agents = s.get("agents") or {}
    obligations = s.get("mm_obligations") or []
    pnl = [float(series["pnl_usd"][-1]) for series in record.makers.values()
           if len(series["pnl_usd"])]
    row = {
        **{key: int(s[key]) for key in ("trades", "volume", "events", "commands", "rejections",
                                         "margin_calls", "liquidations", "defaults")},
        "market_makers": int(agents.get("market_maker", 0)),
        "agents_total": int(sum(agents.values())),
        "primary_symbol": s.get("primary_symbol"),
        "mean_spread_ticks": _mean(record.samples.get("spread_ticks")),
        "mean_depth_lots": _mean_depth(record.samples),
        "realised_vol": realised_vol(record.samples),
        "excess_kurtosis": facts.get("excess_kurtosis"),
        "autocorr_returns_lag1": facts.get("autocorr_returns_lag1"),
        "autocorr_abs_returns_lag1": facts.get("autocorr_abs_returns_lag1"),
        "maker_pnl_usd_mean": sum(pnl) / len(pnl) if pnl else None,
        "maker_pnl_usd_total": sum(pnl) if pnl else None,
        "obligations_met_share": (sum(bool(o["met"]) for o in obligations) / len(obligations)
                                  if obligations else None),
        "obligation_presence_mean": (sum(o["presence"] for o in obligations) / len(obligations)
                                     if obligations else None),
        "digest": s["digest"],
    }
    return {key: _finite(row[key]) for key in FIGURES}


def realised_vol(samples: dict) -> float | None:
    """Annualised standard deviation of the primary contract's log mid returns between
    consecutive samples that have a two-sided book (None with fewer than three such mids)."""
    ts = np.asarray(samples.get("ts", ()), dtype=np.int64)
    if ts.size < 3:
        return None
    mid = (np.asarray(samples["bid_usd"], dtype=float) + np.asarray(samples["ask_usd"], dtype=float)) / 2
    ok = np.isfinite(mid) & (mid > 0)
    if ok.sum() < 3:
        return None
    returns = np.diff(np.log(mid[ok]))
    interval_s = float(np.median(np.diff(ts))) / 1e9
    return float(np.std(returns, ddof=1) * math.sqrt(SECONDS_PER_YEAR / interval_s))


def _mean(values) -> float | None:
    if values is None:
        return None
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    return float(v.mean()) if v.size else None


def _mean_depth(samples: dict) -> float | None:
    if "bid_depth" not in samples or not len(samples["bid_depth"]):
        return None
    return _mean((np.asarray(samples["bid_depth"], dtype=float)
                  + np.asarray(samples["ask_depth"], dtype=float)) / 2)


def _finite(value):
    """NaN and infinities as None: a figure that cannot be measured is missing, not a number."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
