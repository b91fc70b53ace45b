"""Scan ranges: the exact mixture inversion against a seeded Monte Carlo of the model itself."""

import math

import numpy as np
import pytest

from clearing.scan_ranges import (DAYS_PER_YEAR, DEFAULT_MODELS, default_scan_range,
                                  derive_scan_range, exceedance, log_return_components)

SIT = dict(kappa=1.0, theta=math.log(2.0), sigma=0.6, lam=4.0, mu_j=-0.16, sigma_j=0.05)


def monte_carlo_range(kappa, theta, sigma, lam, mu_j, sigma_j, horizon_days=2, coverage=0.99,
                      x0=None, paths=400_000, steps=16, seed=5):
    """Euler scheme of the jump-diffusion on the log price, jumps damped by the reversion."""
    rng = np.random.default_rng(seed)
    x0 = theta if x0 is None else x0
    dt = horizon_days / DAYS_PER_YEAR / steps
    x = np.full(paths, x0)
    for _ in range(steps):
        n = rng.poisson(lam * dt, paths)
        jumps = n * mu_j + np.sqrt(n) * sigma_j * rng.standard_normal(paths)
        x = x + kappa * (theta - x) * dt + sigma * math.sqrt(dt) * rng.standard_normal(paths) + jumps
    return float(np.quantile(np.abs(np.expm1(x - x0)), coverage))


@pytest.mark.parametrize("params", [SIT, dict(SIT, lam=0.0), dict(SIT, lam=30.0, mu_j=-0.10),
                                    dict(SIT, x0=math.log(2.6), kappa=8.0)])
def test_matches_monte_carlo(params):
    exact = derive_scan_range(**params)
    mc = monte_carlo_range(**params)
    assert exact == pytest.approx(mc, rel=0.03)


def test_no_jumps_is_the_lognormal_closed_form():
    sigma, h = 0.6, 2 / DAYS_PER_YEAR
    q = derive_scan_range(kappa=0.0, theta=0.0, sigma=sigma, lam=0.0, mu_j=0.0, sigma_j=0.0)
    s = sigma * math.sqrt(h)
    # P(R > ln(1+q)) + P(R < ln(1-q)) = 1%
    tail = 0.5 * math.erfc(math.log1p(q) / s / math.sqrt(2)) + 0.5 * math.erfc(-math.log1p(-q) / s / math.sqrt(2))
    assert tail == pytest.approx(0.01, abs=1e-9)


def test_jumps_widen_the_range_and_coverage_and_horizon_too():
    base = derive_scan_range(**SIT)
    assert derive_scan_range(**dict(SIT, lam=0.0)) < base
    assert derive_scan_range(**SIT, coverage=0.995) > base
    assert derive_scan_range(**SIT, horizon_days=5) > base


def test_both_tails_count():
    comps = log_return_components(**SIT, horizon_days=2)
    q = derive_scan_range(**SIT)
    assert exceedance(comps, q) == pytest.approx(0.01, rel=1e-6)
    up_only = 1.0 - sum(w * 0.5 * math.erfc(-(math.log1p(q) - m) / s / math.sqrt(2)) for w, m, s in comps)
    assert 0 < up_only < 0.01  # the down tail carries the rest (jumps are cuts)


def test_mixture_weights_sum_to_one():
    comps = log_return_components(**dict(SIT, lam=500.0), horizon_days=2)
    assert sum(w for w, _, _ in comps) == pytest.approx(1.0, abs=1e-12)


def test_defaults_are_plausible_and_deterministic():
    for product in DEFAULT_MODELS:
        r = default_scan_range(product)
        assert 0.03 < r < 0.5
        assert r == default_scan_range(product)
    assert default_scan_range("SIT") > default_scan_range("GPU")


@pytest.mark.parametrize("bad", [dict(coverage=1.0), dict(coverage=0.0), dict(horizon_days=0),
                                 dict(sigma=-0.1)])
def test_bad_parameters_raise(bad):
    with pytest.raises(ValueError):
        derive_scan_range(**{**SIT, **bad})
