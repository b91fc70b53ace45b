"""Stylized facts: each statistic against a series where the answer is known."""

import numpy as np
import pytest

from marketmakers.stylized import autocorrelation, excess_kurtosis, log_returns, stylized_facts


def test_gaussian_returns_have_no_excess_kurtosis_and_no_autocorrelation():
    rng = np.random.default_rng(1)
    r = rng.normal(0, 0.01, 200_000)
    assert abs(excess_kurtosis(r)) < 0.05
    assert abs(autocorrelation(r, 1)) < 0.01


def test_fat_tails_and_volatility_clustering_are_detected():
    rng = np.random.default_rng(2)
    # GARCH(1,1)-like: volatility clusters, so |r| is autocorrelated and tails are fat
    n, r, var = 100_000, np.empty(100_000), 1e-4
    for i in range(n):
        r[i] = rng.normal(0, np.sqrt(var))
        var = 1e-6 + 0.1 * r[i] ** 2 + 0.88 * var
    prices = 2.0 * np.exp(np.cumsum(np.concatenate([[0.0], r])))
    facts = stylized_facts(prices, spreads=[1, 3], depths=[10, 30])
    assert facts["excess_kurtosis"] > 0.5
    assert facts["autocorr_abs_returns_lag1"] > 0.05
    assert abs(facts["autocorr_returns_lag1"]) < 0.02
    assert facts["mean_spread"] == 2 and facts["mean_depth"] == 20 and facts["returns"] == n


def test_a_trending_series_is_autocorrelated():
    assert autocorrelation(np.arange(100.0), 1) > 0.9


def test_bad_series_are_refused():
    with pytest.raises(ValueError):
        log_returns([1.0])
    with pytest.raises(ValueError):
        log_returns([1.0, -1.0])
    with pytest.raises(ValueError):
        autocorrelation([1.0, 2.0], 1)
