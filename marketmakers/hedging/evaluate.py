"""What each programme costs on each path: the bill, the hedge's payoff and its frictions.

Per path, in USD (contract_size quote units per contract):

    bill      = contract_size x sum_m Q_m x (average of the enterprise's daily prices in month m)
    payoff    = contract_size x sum_tranches lots x (final settlement of its month - entry price)
    frictions = sum_tranches lots x (fee + half_spread x contract_size)          at entry
              + funding_rate / 365 x sum_days (initial margin - cumulative variation margin)
    cost      = bill - payoff + frictions

Variation margin is paid daily on the futures prices (forward.py): the cumulative variation
margin of day k is contract_size x (value of the positions at F(k) - what they cost), which
ends equal to the payoff. Initial margin is the clearinghouse's rate times the open positions'
notional (study.py: the rate is read off the margin model, which is proportional to the mark).
Cash posted costs the funding rate; variation margin received earns it.

The daily values are walked one day at a time for all programmes together: each day's row of
log prices is read once and every programme's running sums stay in the cache (materialising
(days x paths) arrays per programme made the study memory-bound: 3x slower).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from marketmakers.hedging.forward import GRID_POINTS, ForwardCurve
from marketmakers.hedging.paths import PathBlock
from marketmakers.hedging.programmes import Programme

# The daily walk's values (futures value of the positions less their cost, in quote units x
# lots: at most a few thousand) in single precision: measured, the walk a quarter faster (half
# the memory traffic). Their rounding (~1e-4 a day, under 1 USD on a year's variation-margin path
# and its funding) is far below the Monte Carlo error; payoffs and costs stay in double.
WALK = np.float32
WALK_LOOKUP = np.complex64


@dataclass(frozen=True)
class Market:
    """What the programmes are priced with: the contract and the clearinghouse's terms."""

    contract_size: int  # quote units per contract (1,000 million SIT, 1,000 GPU-hours)
    im_rate: float  # initial margin per USD of notional, long positions
    fee: float  # USD per contract
    half_spread: float  # USD per quote unit
    funding_rate: float  # per year


@dataclass
class Outcome:
    """Per path, USD."""

    cost: np.ndarray
    payoff: np.ndarray
    financing: np.ndarray
    entry_costs: float  # fees and half-spreads: the same on every path
    vm_outflow: np.ndarray  # the largest cumulative variation margin paid out
    im_mean: np.ndarray  # initial margin posted, averaged over the days
    monthly_cost: np.ndarray  # (months, paths): bill - payoff of the month's tranches


class PreparedProgrammes:
    """What every block's walk reads of a set of programmes, built once per study: their
    positions, their daily tables, the fixings' weights and the tranches by day (building the
    tables took a quarter of a block's walk when it was done per block).

    Each day's table and the slope to its next grid point are held as one complex number per
    grid point (real: the value, imaginary: the slope), so that a day's lookup for all the
    programmes is a single gather of 8-byte items (measured: the walk ~25% faster than a
    gather of each table and each slope per programme)."""

    def __init__(self, programmes: dict[str, Programme], curve: ForwardCurve):
        cal = curve.cal
        self.names = list(programmes)
        self.programmes = list(programmes.values())
        self.held = [prog.positions(cal) for prog in self.programmes]  # each (days + 1, months)
        tables = np.stack([np.einsum("km,kmg->kg", h[:cal.days], curve.tables) for h in self.held],
                          axis=1)  # (days, programmes, grid)
        self.lookup = np.empty(tables.shape, dtype=WALK_LOOKUP)
        self.lookup.real = tables
        self.lookup.imag = np.diff(tables, axis=2, append=0.0)
        # final lots / N_m per fixing, (days, programmes): a fixing is final once fixed
        self.weights = np.stack([h[-1][curve.month] * curve.weight for h in self.held], axis=1)
        self.walk_weights = self.weights.astype(WALK)
        self.buys: dict[int, list[tuple[int, object]]] = {}
        for i, prog in enumerate(self.programmes):
            for t in prog.tranches:
                self.buys.setdefault(t.day, []).append((i, t))


class _Walks:
    """The programmes' running state along one block's days, one row per programme (arrays
    (programmes, paths)): a day's step for every programme is one numpy call per operation."""

    def __init__(self, prepared: PreparedProgrammes, months: int, n: int):
        p = len(prepared.programmes)
        self.prepared = prepared
        self.carry = np.zeros((p, n), WALK)  # weights x fixings so far, less the positions' cost
        self.lowest = np.full((p, n), np.inf, WALK)  # of the cumulative variation margin / size
        self.value_sum = np.zeros((p, n), WALK)  # of the same over days 0..days-1
        self.cost_days = np.zeros((p, n))  # over days 0..days-1, of what the positions cost
        self.payoff = np.zeros((p, n))
        self.monthly_payoff = np.zeros((p, months, n))
        self.realised_days = self.in_progress_days = None  # (p, n), after the walk


class BlockEvaluator:
    """Evaluates programmes on one block of paths. Arrays are (days, paths)."""

    def __init__(self, block: PathBlock, curve: ForwardCurve, market: Market):
        self.block, self.curve, self.market = block, curve, market
        cal = self.cal = curve.cal
        self.n = block.x.shape[1]
        average = cal.by_month(1.0 / cal.month_days)
        self.settle = average @ block.fixings  # (months, paths): the final settlements
        avg_paid = average @ block.paid
        self.monthly_bill = market.contract_size * block.consumption * avg_paid
        self.bill = self.monthly_bill.sum(axis=0)
        self._initial = curve.initial_prices()
        self._pos, self._cell_index = np.empty(self.n), np.empty(self.n, dtype=np.intp)
        self._frac = np.empty(self.n, WALK)
        x = block.x[:cal.days]  # whether any day's price is off the grid: checked per day if so
        self._may_leave_grid = bool(x.min() < curve.lo or x.max() >= curve.grid[-1])

    def _cell(self, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Grid cell and weight of each path's x_k, and the paths off the grid."""
        curve, pos, cell = self.curve, self._pos, self._cell_index  # reused: one day at a time
        np.subtract(self.block.x[k], curve.lo, out=pos)
        pos *= 1.0 / curve.h
        off = np.empty(0, dtype=np.intp)
        if self._may_leave_grid and (pos.min() < 0 or pos.max() >= GRID_POINTS - 1):
            off = np.flatnonzero((pos < 0) | (pos >= GRID_POINTS - 1))
            np.clip(pos, 0, GRID_POINTS - 1.5, out=pos)
        np.copyto(cell, pos, casting="unsafe")  # truncation: the floor, as pos >= 0
        np.subtract(pos, cell, out=self._frac)
        return cell, self._frac, off

    def _entry_price(self, k: int, month: int, cell, frac, off) -> np.ndarray:
        """F(k, m) per path for a month without fixings yet: exact on day 0 (one known
        price), read from the table on later days."""
        if k == 0:
            return np.full(self.n, self._initial[month])
        table = self.curve.tables[k, month]
        lo = table[cell]
        price = lo + frac * (table[cell + 1] - lo)
        if off.size:
            unit = np.eye(self.cal.months)[month]
            price[off] = self.curve.unfixed_exact(k, self.block.x[k, off], unit)
        return price

    def evaluate(self, prep: PreparedProgrammes) -> dict[str, Outcome]:
        """Every programme's outcome on this block's paths (the programmes prepared once for
        all the blocks)."""
        curve, days, n = self.curve, self.cal.days, self.n
        fixings = self.block.fixings
        w = _Walks(prep, self.cal.months, n)
        shape = (len(prep.programmes), n)
        looked = np.empty(shape, WALK_LOOKUP)
        value, step, term = (np.empty(shape, WALK) for _ in range(3))
        day_fixings = np.empty(n, WALK)
        for k in range(days + 1):
            if k < days:
                cell, frac, off = self._cell(k)
            if k > 0:
                day_fixings[:] = fixings[k - 1]
                np.multiply(day_fixings, prep.walk_weights[k - 1][:, None], out=term)
                w.carry += term
            entries: dict[int, np.ndarray] = {}
            for i, t in prep.buys.get(k, ()):
                if t.month not in entries:
                    entries[t.month] = self._entry_price(k, t.month, cell, frac, off)
                price = entries[t.month]
                cost = t.lots * price
                w.carry[i] -= cost
                w.cost_days[i] += (days - k) * cost  # held from day k to the last day
                gain = t.lots * (self.settle[t.month] - price)
                w.payoff[i] += gain
                w.monthly_payoff[i, t.month] += gain
            if k < days:  # the unfixed part of the positions' futures prices, interpolated
                # mode="clip": written straight into `out` ("raise" buffers it); the cells
                # are in range by construction (_cell)
                np.take(prep.lookup[k], cell, axis=1, out=looked, mode="clip")
                np.multiply(looked.imag, frac, out=step)
                np.add(looked.real, step, out=value)
                for i in range(len(prep.programmes)) if off.size else ():
                    value[i, off] = curve.unfixed_exact(k, self.block.x[k, off], prep.held[i][k])
                value += w.carry  # the cumulative variation margin / contract_size
                w.value_sum += value
            else:
                value[:] = w.carry
            np.minimum(w.lowest, value, out=w.lowest)
        # per programme, summed over the days in closed form, in one pass over the fixings:
        # the realised fixings (fixing j counts on days j..days-1) and those of the month in
        # progress (fixing j counts on the days from j until its month's last fixing, exclusive)
        fixing_day = np.arange(1, days + 1)
        month_last = self.cal.last[curve.month]
        counts = np.concatenate([(days - fixing_day)[:, None] * prep.weights,
                                 (month_last - fixing_day)[:, None] * prep.weights], axis=1)
        w.realised_days, w.in_progress_days = np.split(counts.T @ fixings, 2)
        return {name: self._outcome(w, i) for i, name in enumerate(prep.names)}

    def _outcome(self, w: _Walks, i: int) -> Outcome:
        """Initial margin is on the open positions' notional: the unfixed part plus the
        realised fixings of the month in progress, summed over the days in closed form:
        fixing j counts on the days from j until its month's last fixing (exclusive).
        Everything summed over days is summed over days 0..days-1, as financing is."""
        m, size = self.market, self.market.contract_size
        days = self.cal.days
        # sum over days of the unfixed part = sum of (value - realised + cost)
        unfixed_days = w.value_sum[i] - w.realised_days[i] + w.cost_days[i]
        open_days = unfixed_days + w.in_progress_days[i]
        im_sum = m.im_rate * size * open_days
        financing = m.funding_rate / 365.0 * (im_sum - size * w.value_sum[i])
        entry = w.prepared.programmes[i].contracts_traded() * (m.fee + m.half_spread * size)
        payoff = size * w.payoff[i]
        return Outcome(
            cost=self.bill - payoff + entry + financing,
            payoff=payoff,
            financing=financing,
            entry_costs=entry,
            vm_outflow=np.maximum(0.0, -size * w.lowest[i]),
            im_mean=im_sum / days,
            monthly_cost=self.monthly_bill - size * w.monthly_payoff[i],
        )
