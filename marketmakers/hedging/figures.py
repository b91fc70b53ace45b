"""The study's figures, each with its Monte Carlo standard error.

All figures compare a programme's cost C with the unhedged bill B on the same paths.
Standard errors come from each estimator's influence function (the delta method on the sample
moments: se = sd of the per-path influence / sqrt(n)), which accounts for C and B being
computed on the same paths; the 99th percentile's comes from the order statistics that bracket
it (the distribution-free 95% interval of a quantile, divided by 2 x 1.96).

    variance_reduction = 1 - var C / var B          (Ederington's hedging effectiveness)
    std_reduction      = 1 - sd C / sd B
    cvar95_reduction   = 1 - T(C) / T(B),  T(X) = CVaR95(X) - E[X]: the mean of the worst 5 %
                         of outcomes above the mean (a deviation, like the standard deviation,
                         so that it measures risk and not the level the hedge locks in)
    mean_cost_change   = E[C - B], USD (what the hedge costs on average, frictions included)
    vm_outflow_p99     = the 99th percentile of the largest cumulative variation margin paid
"""

from __future__ import annotations

import math

import numpy as np

ALPHA = 0.95
Z95 = 1.959963984540054


def _cvar_parts(x: np.ndarray) -> tuple[float, np.ndarray]:
    """T(x) = CVaR_alpha(x) - mean(x) and its influence per observation."""
    n = x.size
    var = float(np.quantile(x, ALPHA))
    # CVaR estimator: VaR + E[(x - VaR)+] / (1 - alpha)
    excess = np.maximum(x - var, 0.0)
    cvar = var + excess.sum() / (n * (1.0 - ALPHA))
    influence_cvar = var + excess / (1.0 - ALPHA) - cvar
    mean = float(x.mean())
    return cvar - mean, influence_cvar - (x - mean)


def standard_error(influence: np.ndarray) -> float:
    return float(influence.std(ddof=1) / math.sqrt(influence.size)) if influence.size > 1 else math.nan


def quantile_with_se(x: np.ndarray, q: float) -> tuple[float, float]:
    """The q-quantile and its standard error sqrt(q (1 - q) / n) / f(Q), with the density
    f read off the sample: the quantiles at q +- 1.96 sqrt(q (1 - q) / n) span 2 x 1.96 se."""
    half = Z95 * math.sqrt(q * (1.0 - q) / x.size)
    lo, value, hi = np.quantile(x, [max(q - half, 0.0), q, min(q + half, 1.0)])
    return float(value), float(hi - lo) / (2.0 * Z95)


def moments(c: np.ndarray) -> dict:
    """Level figures of one cost distribution, with standard errors."""
    n = c.size
    mean = float(c.mean())
    d = c - mean
    var = float(d @ d / (n - 1))
    sd = math.sqrt(var)
    t, inf_t = _cvar_parts(c)
    inf_sd = (d * d - var) / (2.0 * sd) if sd > 0 else np.zeros(n)
    return {"mean_cost": mean, "mean_cost_se": standard_error(c),
            "std_cost": sd, "std_cost_se": standard_error(inf_sd),
            "cvar95_cost": t + mean, "cvar95_cost_se": standard_error(inf_t + d)}


def reductions(hedged: np.ndarray, unhedged: np.ndarray) -> dict:
    """The risk reductions of `hedged` against `unhedged`, path by path, with standard errors."""
    du, dh = unhedged - unhedged.mean(), hedged - hedged.mean()
    n = du.size
    vu, vh = float(du @ du / (n - 1)), float(dh @ dh / (n - 1))
    ratio = vh / vu
    inf_ratio = ((dh * dh - vh) - ratio * (du * du - vu)) / vu
    se_ratio = standard_error(inf_ratio)
    root = math.sqrt(ratio)
    tu, inf_tu = _cvar_parts(unhedged)
    th, inf_th = _cvar_parts(hedged)
    q = th / tu
    inf_q = (inf_th - q * inf_tu) / tu
    diff = hedged - unhedged
    return {
        "variance_reduction": 1.0 - ratio, "variance_reduction_se": se_ratio,
        "std_reduction": 1.0 - root,
        "std_reduction_se": se_ratio / (2.0 * root) if root > 0 else 0.0,
        "cvar95_reduction": 1.0 - q, "cvar95_reduction_se": standard_error(inf_q),
        "mean_cost_change": float(diff.mean()), "mean_cost_change_se": standard_error(diff),
    }


def ederington(hedged: np.ndarray, unhedged: np.ndarray) -> tuple[float, float]:
    """(std_reduction, variance_reduction) without standard errors (the in-sample figures)."""
    ratio = float(hedged.var() / unhedged.var())
    return 1.0 - math.sqrt(ratio), 1.0 - ratio


def min_variance_ratio(bill: np.ndarray, unit_gain: np.ndarray) -> float:
    """argmin_h var(bill - h x unit_gain) = cov(bill, unit_gain) / var(unit_gain)."""
    g = unit_gain - unit_gain.mean()
    return float((bill - bill.mean()) @ g / (g @ g))
