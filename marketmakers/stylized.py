"""Stylized facts of a price series, for the session summary.

Markets with real traders show fat-tailed returns (excess kurtosis > 0), next to no linear
autocorrelation of returns at lag 1, and positive autocorrelation of absolute returns
(volatility clustering). These functions measure them on a sampled price series (floats:
statistics, not money).
"""

from __future__ import annotations

import numpy as np


def log_returns(prices) -> np.ndarray:
    p = np.asarray(prices, dtype=float)
    if p.ndim != 1 or p.size < 2 or np.any(p <= 0):
        raise ValueError("need a 1-d series of at least two positive prices")
    return np.diff(np.log(p))


def excess_kurtosis(x) -> float:
    x = np.asarray(x, dtype=float)
    d = x - x.mean()
    var = (d ** 2).mean()
    return float((d ** 4).mean() / var ** 2 - 3.0) if var > 0 else 0.0


def autocorrelation(x, lag: int = 1) -> float:
    x = np.asarray(x, dtype=float)
    if lag < 1 or x.size <= lag + 1:
        raise ValueError("the series is too short for this lag")
    d = x - x.mean()
    denom = (d ** 2).sum()
    return float((d[:-lag] * d[lag:]).sum() / denom) if denom > 0 else 0.0


def stylized_facts(prices, spreads=None, depths=None) -> dict:
    """Kurtosis, return autocorrelation at lag 1, absolute-return autocorrelation at lag 1,
    and the mean spread and top-of-book depth when given."""
    return returns_facts(log_returns(prices), spreads, depths)


def returns_facts(r, spreads=None, depths=None) -> dict:
    """The same facts from the log returns themselves (a multi-day session joins its windows'
    returns, leaving out the jumps from one window's close to the next open)."""
    r = np.asarray(r, dtype=float)
    if r.ndim != 1 or r.size < 3:
        raise ValueError("need a 1-d series of at least three returns")
    facts = {
        "returns": int(r.size),
        "excess_kurtosis": excess_kurtosis(r),
        "autocorr_returns_lag1": autocorrelation(r, 1),
        "autocorr_abs_returns_lag1": autocorrelation(np.abs(r), 1),
    }
    if spreads is not None and len(spreads):
        facts["mean_spread"] = float(np.mean(spreads))
    if depths is not None and len(depths):
        facts["mean_depth"] = float(np.mean(depths))
    return facts
