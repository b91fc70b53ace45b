"""One block of the study's Monte Carlo paths: the index, the enterprise's volumes and price.

Each block of paths draws from its own named streams (marketmakers/rng.py), one per variate,
so the first n paths of a study are the same whatever the number of paths or how the blocks
are grouped into chunks, and the in-sample paths of the min-variance ratio are independent of
the paths it is evaluated on.

- The index: the scenario's jump-diffusion at daily steps, with the exact step
  (marketmakers/fundamental.py); fixing j is exp(x_j).
- Consumption of month m: Q_m = E[Q_m] exp(v_m - Var(v_m) / 2), with
  v_m = persistence v_{m-1} + volume_noise eps_m and eps_m = rho zeta_m + sqrt(1 - rho^2) xi_m:
  zeta_m is the month's price shock (its daily diffusion normals summed and standardised), so the
  volume deviation has correlation rho with it. E[Q_m] = consumption_lots (1 + growth)^m.
- The enterprise's price: the fixing times exp(u_j - Var(u_j) / 2), with the log basis an AR(1)
  from 0 (today's basis is known) to a stationary sd of basis_vol, halving in
  basis_half_life_days.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from marketmakers.fundamental import jumps_by_cell
from marketmakers.hedging.forward import ForwardCurve
from marketmakers.hedging.settings import HedgeSettings
from marketmakers.rng import stream

BLOCK_PATHS = 10_000  # paths per block of streams: the unit of reproducibility, not of memory


@dataclass
class PathBlock:
    """One block's paths with days as rows (each day's values for all paths contiguous)."""

    x: np.ndarray  # (days + 1, paths) log index; row 0 is today
    fixings: np.ndarray  # (days, paths) index fixings, USD per quote unit
    paid: np.ndarray  # (days, paths) the enterprise's own price that day
    consumption: np.ndarray  # (months, paths) contracts consumed in each month
    normals: int  # variates drawn, for the benchmark's floor
    poissons: int
    uniforms: int


def expected_consumption(s: HedgeSettings) -> np.ndarray:
    """E[Q_m] in contracts for each month of the horizon."""
    return s.consumption_lots * (1.0 + s.consumption_growth) ** np.arange(s.months)


class BlockBuffers:
    """The large arrays of one block, allocated once per study and reused by every block
    (each block's arrays are overwritten by the next draw: evaluate a block before drawing
    the next). A fresh (days x paths) array costs its page faults, about 5 ms each at 10,000
    paths: a third of what the study adds to its random draws."""

    def __init__(self, days: int, n_paths: int):
        self.n_paths = n_paths
        self.z = np.empty((days, n_paths))
        self.x = np.empty((days + 1, n_paths))
        self.fixings = np.empty((days, n_paths))
        self.basis = np.empty((days, n_paths))

    def view(self, n: int) -> tuple[np.ndarray, ...]:
        """The arrays for a block of n <= n_paths paths (contiguous when n == n_paths)."""
        if n == self.n_paths:
            return self.z, self.x, self.fixings, self.basis
        return tuple(np.empty((a.shape[0], n)) for a in (self.z, self.x, self.fixings, self.basis))


def draw_block(s: HedgeSettings, curve: ForwardCurve, kind: str, block: int,
               n_paths: int, buffers: BlockBuffers | None = None) -> PathBlock:
    """Block number `block` of the `kind` ("paths" or "in_sample") set, n_paths paths."""
    cal, params = curve.cal, curve.params
    days, months = cal.days, cal.months
    buffers = buffers or BlockBuffers(days, n_paths)
    z, x, fixings, u = buffers.view(n_paths)

    def rng(name: str) -> np.random.Generator:
        return stream(s.seed, f"hedge.{kind}.{block}.{name}")

    rng("price").standard_normal(out=z)
    counts = rng("jump_counts").poisson(params.jump_rate * cal.dt_years, size=(days, n_paths))
    cells, sums = jumps_by_cell(params, cal.dt_years, counts, rng("jump_sizes"), rng("jump_times"))
    jump_count = int(counts.ravel()[cells].sum())
    normals, poissons, uniforms = z.size + jump_count, counts.size, jump_count
    del counts

    consumption = np.repeat(expected_consumption(s)[:, None], n_paths, axis=1)
    if s.volume_noise > 0:  # before z becomes the shocks
        zeta = cal.by_month(1.0 / np.sqrt(cal.month_days)) @ z  # standardised monthly sums
        xi = rng("volume").standard_normal((months, n_paths))
        normals += xi.size
        rho = s.price_volume_corr
        eps = rho * zeta + math.sqrt(1.0 - rho * rho) * xi
        v, var = np.zeros(n_paths), 0.0
        for m in range(months):
            v = s.volume_persistence * v + s.volume_noise * eps[m]
            var = s.volume_persistence ** 2 * var + s.volume_noise ** 2
            consumption[m] *= np.exp(v - 0.5 * var)

    curve.step.steps_by_row(curve.x0, z, cells, sums, out=x)
    np.exp(x[1:], out=fixings)

    paid = fixings
    if s.basis_vol > 0:
        phi = 0.5 ** (1.0 / s.basis_half_life_days)
        rng("basis").standard_normal(out=u)
        normals += u.size
        u *= s.basis_vol * math.sqrt(1.0 - phi * phi)
        carried = np.empty(n_paths)
        for j in range(1, days):  # in place: u_j = phi u_{j-1} + scale eta_j, from u_0 = 0
            np.multiply(u[j - 1], phi, out=carried)
            u[j] += carried
        u -= (0.5 * s.basis_vol ** 2 * (1.0 - phi ** (2 * np.arange(1, days + 1))))[:, None]
        np.exp(u, out=u)
        u *= fixings
        paid = u
    return PathBlock(x=x, fixings=fixings, paid=paid, consumption=consumption,
                     normals=normals, poissons=poissons, uniforms=uniforms)
