"""Futures prices in the study: the expected final settlement under the price model.

A contract month settles on the average of its daily fixings. With no risk premium (an
assumption: docs/hedging.md), its futures price at day k is the expectation of that average
given the log price x_k:

    F(k, m) = (1 / N_m) [ sum of the month's fixings j <= k  +  sum_{j > k} E_k[exp(x_j)] ].

For the model's exact daily step (marketmakers/fundamental.py) the expectation is exact:
x_j = d^{j-k} x_k + sum_{i=k}^{j-1} d^{j-1-i} (pull_i + sd Z_i + J_i), so

    E_k[exp(x_j)] = A(k, j) exp(d^{j-k} x_k),
    log A(k, j)   = sum_{i=k}^{j-1} [ L(d^{j-1-i}) + d^{j-1-i} pull_i ],
    L(c)          = c^2 sd^2 / 2 + lambda dt (E_u[exp(c mu_J w + c^2 sigma_J^2 w^2 / 2)] - 1),

with w = e^{-kappa (dt - u)} the decay of a jump arriving at a uniform time u in the step
(the integral over u by 16-point Gauss-Legendre quadrature: smooth, exact to rounding).

Evaluating the sum for every path, day and month is 10^10 exponentials for a full study, so the
unfixed part is tabulated per (day, month) on a uniform grid of log prices and read by linear
interpolation (relative error below h^2 / 8 ~ 2e-5 for the grid's step h; points off the grid
are computed exactly). The final settlement itself is never interpolated: it is the average of
the path's own fixings, so every hedge's payoff is exact.
"""

from __future__ import annotations

import math

import numpy as np

from marketmakers.fundamental import ExactStep, JumpDiffusionParams
from marketmakers.hedging.calendar import StudyCalendar

GRID_POINTS = 512
GRID_SDS = 8.0  # the grid spans the levels theta visits +- this many stationary sds
_NODES, _WEIGHTS = np.polynomial.legendre.leggauss(16)


class ForwardCurve:
    """Conditional expectations of the fixings, exact and tabulated, for one scenario."""

    def __init__(self, params: JumpDiffusionParams, x0: float, cal: StudyCalendar):
        self.params, self.x0, self.cal = params, x0, cal
        days, dt = cal.days, cal.dt_years
        step = ExactStep(params, dt, 0.0, days)
        self.step = step
        self.dpow = step.decay ** np.arange(days + 1)  # d^e
        lvec = self._log_mgf(self.dpow[:days], dt)  # L(d^e), e = 0..days-1
        # term[i, j] = L(d^{j-1-i}) + d^{j-1-i} pull_i for i < j; log A(k, j) = sum_{i>=k} term[i, j]
        i = np.arange(days)[:, None]
        j = np.arange(days + 1)[None, :]
        e = j - 1 - i
        valid = e >= 0
        ec = np.where(valid, e, 0)
        term = np.where(valid, lvec[ec] + self.dpow[ec] * step.pull[:, None], 0.0)
        log_a = np.zeros((days + 1, days + 1))
        log_a[:days] = np.cumsum(term[::-1], axis=0)[::-1]
        self.log_a = log_a
        self.month = cal.month_of_fixing()  # of fixings 1..days
        self.weight = 1.0 / cal.month_days[self.month]  # 1 / N_m of each fixing
        self._grid()
        self.tables = self._tabulate()

    def _log_mgf(self, c: np.ndarray, dt: float) -> np.ndarray:
        """L(c) of one step's shock (without theta's pull) for an array of multipliers c."""
        p = self.params
        out = 0.5 * (c * self.step.sd) ** 2
        if p.jump_rate > 0:
            u = 0.5 * dt * (_NODES + 1.0)  # Gauss-Legendre nodes on (0, dt)
            w = np.exp(-p.kappa * (dt - u))
            cw = c[:, None] * w[None, :]
            mgf = np.exp(cw * p.jump_mean + 0.5 * (cw * p.jump_std) ** 2) @ (0.5 * _WEIGHTS)
            out = out + p.jump_rate * dt * (mgf - 1.0)
        return out

    def _grid(self) -> None:
        p = self.params
        theta = p.theta(np.linspace(0.0, self.cal.days * self.cal.dt_years, 64))
        sd = math.sqrt(p.stationary_variance()) or 0.1
        drift = abs(p.jump_rate * p.jump_mean / p.kappa)
        self.lo = min(self.x0, float(np.min(theta))) - GRID_SDS * sd - drift
        hi = max(self.x0, float(np.max(theta))) + GRID_SDS * sd + drift
        self.h = (hi - self.lo) / (GRID_POINTS - 1)
        self.grid = self.lo + self.h * np.arange(GRID_POINTS)

    def _tabulate(self) -> np.ndarray:
        """tables[k, m, g]: (1/N_m) sum over the month's fixings j > k of E_k[exp(x_j)] at
        x_k = grid[g]; k = 0..days-1 (at k = days nothing is unfixed)."""
        cal, days = self.cal, self.cal.days
        out = np.empty((days, cal.months, GRID_POINTS))
        # in single precision (a relative error of 1e-7, beside the interpolation's 1e-5):
        # the exponentials are half the study's set-up time in double
        by_month = cal.by_month(1.0 / cal.month_days).astype(np.float32)
        log_a, dpow, grid = (a.astype(np.float32) for a in (self.log_a, self.dpow, self.grid))
        for k in range(days):
            vals = np.exp(log_a[k, k + 1:, None] + dpow[1:days - k + 1, None] * grid[None, :])
            out[k] = np.ascontiguousarray(by_month[:, k:]) @ vals  # BLAS wants it contiguous
        return out

    # ---- exact values, for the starting curve and points off the grid -------------------

    def expected_fixing(self, k: int, j: int, x) -> np.ndarray:
        """E[exp(x_j) | x_k = x] for j > k."""
        return np.exp(self.log_a[k, j] + self.dpow[j - k] * np.asarray(x, dtype=float))

    def unfixed_exact(self, k: int, x: np.ndarray, lots: np.ndarray) -> np.ndarray:
        """sum over months of lots[m] x the unfixed part of F(k, m), at log prices x."""
        days = self.cal.days
        js = np.arange(k + 1, days + 1)
        coef = lots[self.month[js - 1]] * self.weight[js - 1]
        x = np.asarray(x, dtype=float)
        return np.exp(self.log_a[k, js][None, :] + np.outer(x, self.dpow[js - k])) @ coef

    def futures_path(self, x: np.ndarray) -> np.ndarray:
        """F(k, m) for k = 0..days and every month, exactly, along one path of log prices x
        (days + 1,): fixings j <= k of the month at their values, the rest expected."""
        cal, days = self.cal, self.cal.days
        out = np.empty((days + 1, cal.months))
        fixed = np.zeros(cal.months)
        for k in range(days + 1):
            if k:
                fixed[self.month[k - 1]] += np.exp(x[k]) * self.weight[k - 1]
            js = np.arange(k + 1, days + 1)
            out[k] = fixed
            if js.size:
                vals = np.exp(self.log_a[k, js] + self.dpow[js - k] * x[k]) * self.weight[js - 1]
                np.add.at(out[k], self.month[js - 1], vals)
        return out

    def initial_prices(self) -> np.ndarray:
        """F(0, m) for every month m: the futures curve when the hedge is put on."""
        unit = np.eye(self.cal.months)
        return np.array([self.unfixed_exact(0, np.array([self.x0]), unit[m])[0]
                         for m in range(self.cal.months)])

    # ---- the tables, read per path ------------------------------------------------------

    def locate(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per row k of x (days as rows): the index of each log price's grid cell in the
        flattened (days, grid) tables, its weight in the cell, and the (day, path) pairs off
        the grid (to be computed exactly)."""
        pos = x - self.lo
        pos *= 1.0 / self.h
        off = np.empty((0, 2), dtype=np.intp)
        if pos.min() < 0 or pos.max() >= GRID_POINTS - 1:
            off = np.argwhere((pos < 0) | (pos >= GRID_POINTS - 1))
            np.clip(pos, 0, GRID_POINTS - 1.5, out=pos)
        flat = pos.astype(np.intp)  # truncation: the floor, as pos >= 0
        pos -= flat
        flat += GRID_POINTS * np.arange(x.shape[0])[:, None]
        return flat, pos, off
