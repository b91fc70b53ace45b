"""Scan ranges from the price model: the 99% two-tailed price move over the margin period of risk.

The log price X follows a mean-reverting jump-diffusion (rates per year):

    dX = kappa (theta - X) dt + sigma dW + J dN,   J ~ Normal(mu_j, sigma_j),  N ~ Poisson(lam)

Over a horizon h (years) the log return R = X_h - x0 is, given n jumps in the horizon, normal:

    mean_n = (theta - x0)(1 - e^{-kappa h}) + n mu_j
    var_n  = sigma^2 (1 - e^{-2 kappa h}) / (2 kappa) + n sigma_j^2

so R is a Poisson(lam h) mixture of normals. Jumps are added undamped (their decay between the
jump and the horizon, a factor of at least e^{-kappa h}, i.e. > 0.99 for two days at kappa = 2,
is ignored: conservative and exact enough). The scan range is the smallest fraction q with

    P(|e^R - 1| > q) = P(R > ln(1 + q)) + P(R < ln(1 - q)) <= 1 - coverage,

found by bisection on the exact mixture CDF: both tails of the *price* move count, so the
log-normal asymmetry (a down-move of q is a larger log move than an up-move of q) is included.
Deterministic, no sampling. Horizon days are calendar days (the index is published every day).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

DAYS_PER_YEAR = 365.0
_TAIL_EPS = 1e-15  # Poisson mass left out of the mixture sum


@dataclass(frozen=True)
class PriceModel:
    """Parameters of the log-price jump-diffusion (per year); `theta` is a log price."""

    kappa: float
    theta: float
    sigma: float
    lam: float
    mu_j: float
    sigma_j: float


# Assumed defaults (see docs/margin.md). SIT: inference list prices are volatile (sigma 0.6/yr)
# and fall in discrete cuts, about four a year of mean -15% (log -0.16) with 5% dispersion,
# reverting slowly (half-life ~ 8 months) to a level of 2 USD per million SIT.
# GPU-hour rentals: calmer (sigma 0.4/yr), about two cuts a year of mean -10% (log -0.10), a
# half-life of 1.4 years around 2 USD per GPU-hour.
DEFAULT_MODELS: dict[str, PriceModel] = {
    "SIT": PriceModel(kappa=1.0, theta=math.log(2.0), sigma=0.6, lam=4.0, mu_j=-0.16, sigma_j=0.05),
    "GPU": PriceModel(kappa=0.5, theta=math.log(2.0), sigma=0.4, lam=2.0, mu_j=-0.10, sigma_j=0.05),
}


def _norm_cdf(z: float) -> float:
    return 0.5 * math.erfc(-z / math.sqrt(2.0))


def _poisson_weights(mean: float) -> list[float]:
    """P(N = n) for n = 0, 1, ... until the left-out mass is below _TAIL_EPS."""
    weights = [math.exp(-mean)]
    total = weights[0]
    n = 0
    while 1.0 - total > _TAIL_EPS and n < 10_000:
        n += 1
        weights.append(weights[-1] * mean / n)
        total += weights[-1]
    return weights


def log_return_components(kappa: float, theta: float, sigma: float, lam: float, mu_j: float,
                          sigma_j: float, horizon_days: float, x0: float | None = None
                          ) -> list[tuple[float, float, float]]:
    """The mixture of the log return over the horizon: (weight, mean, std) per jump count."""
    if sigma < 0 or sigma_j < 0 or lam < 0 or kappa < 0 or horizon_days <= 0:
        raise ValueError("sigma, sigma_j, lam, kappa must be >= 0 and the horizon > 0")
    h = horizon_days / DAYS_PER_YEAR
    x0 = theta if x0 is None else x0
    if kappa > 0:
        drift = (theta - x0) * (1.0 - math.exp(-kappa * h))
        var_d = sigma * sigma * (1.0 - math.exp(-2.0 * kappa * h)) / (2.0 * kappa)
    else:
        drift, var_d = 0.0, sigma * sigma * h
    return [(w, drift + n * mu_j, math.sqrt(var_d + n * sigma_j * sigma_j))
            for n, w in enumerate(_poisson_weights(lam * h))]


def _cdf(components, x: float) -> float:
    total = 0.0
    for w, mean, std in components:
        if std > 0:
            total += w * _norm_cdf((x - mean) / std)
        elif mean <= x:
            total += w
    return total


def exceedance(components, q: float) -> float:
    """P(|e^R - 1| > q): the probability that the price moves by more than a fraction q."""
    up = 1.0 - _cdf(components, math.log1p(q))
    down = _cdf(components, math.log1p(-q)) if q < 1.0 else 0.0
    return up + down


def derive_scan_range(kappa: float, theta: float, sigma: float, lam: float, mu_j: float,
                      sigma_j: float, horizon_days: float = 2, coverage: float = 0.99,
                      x0: float | None = None) -> float:
    """The fraction of the price that covers `coverage` of absolute moves over the horizon."""
    if not 0.0 < coverage < 1.0:
        raise ValueError("coverage must be in (0, 1)")
    components = log_return_components(kappa, theta, sigma, lam, mu_j, sigma_j, horizon_days, x0)
    tail = 1.0 - coverage
    lo, hi = 0.0, 1.0
    while exceedance(components, hi) > tail:  # up-moves are unbounded: widen
        lo, hi = hi, hi * 2.0
    for _ in range(100):  # bisection to well below a basis point
        mid = 0.5 * (lo + hi)
        if exceedance(components, mid) > tail:
            lo = mid
        else:
            hi = mid
        if hi - lo < 1e-12:
            break
    return hi


def default_scan_range(product: str, horizon_days: float = 2, coverage: float = 0.99) -> float:
    """The scan range of a product's default model (at its long-run level)."""
    m = DEFAULT_MODELS[product]
    return derive_scan_range(m.kappa, m.theta, m.sigma, m.lam, m.mu_j, m.sigma_j,
                             horizon_days=horizon_days, coverage=coverage)
