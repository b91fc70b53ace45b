"""How the static hedge's effectiveness moves with what the futures cannot hedge.

The grid of docs/hedging.md: the static hedge's std and variance reductions over
volume_noise x basis_vol, and a line over price_volume_corr, each cell a full study (same seed,
so neighbouring cells share their price paths and differ only by the setting) with its
standard errors.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from marketmakers.hedging.settings import HedgeSettings
from marketmakers.hedging.study import run_study

VOLUME_NOISE = (0.0, 0.1, 0.2, 0.3, 0.4)
BASIS_VOL = (0.0, 0.03, 0.06, 0.1)
PRICE_VOLUME_CORR = (-0.6, -0.3, 0.0, 0.3, 0.6, 0.9)
FIGURES = ("std_reduction", "std_reduction_se", "variance_reduction", "variance_reduction_se")


def _static(settings: HedgeSettings) -> dict:
    row = run_study(settings, only=("static",)).summary["programmes"]["static"]
    return {f: row[f] for f in FIGURES}


def grid(settings: HedgeSettings, volume_noise=VOLUME_NOISE, basis_vol=BASIS_VOL,
         done: Callable[[], None] | None = None) -> list[dict]:
    """One row per (volume_noise, basis_vol) cell, the rest of `settings` as given."""
    rows = []
    for vn in volume_noise:
        for bv in basis_vol:
            rows.append({"volume_noise": vn, "basis_vol": bv,
                         **_static(replace(settings, volume_noise=vn, basis_vol=bv))})
            if done:
                done()
    return rows


def correlation_line(settings: HedgeSettings, corrs=PRICE_VOLUME_CORR,
                     done: Callable[[], None] | None = None) -> list[dict]:
    rows = []
    for rho in corrs:
        rows.append({"price_volume_corr": rho,
                     **_static(replace(settings, price_volume_corr=rho))})
        if done:
            done()
    return rows
