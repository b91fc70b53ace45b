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


class _Walk:
    """One programme's running state along the days (vectors over the block's paths)."""

    def __init__(self, programme: Programme, curve: ForwardCurve, n: int):
        cal = curve.cal
        self.programme = programme
        held = programme.positions(cal)  # (days + 1, months)
        self.table = np.einsum("km,kmg->kg", held[:cal.days], curve.tables)
        self.slope = np.diff(self.table, axis=1, append=0.0)
        self.held = held
        self.weights = held[-1][curve.month] * curve.weight  # final lots / N_m per fixing
        self.buys: dict[int, list] = {}
        for t in programme.tranches:
            self.buys.setdefault(t.day, []).append(t)
        self.carry = np.zeros(n)  # sum of weights x fixings so far, less what the positions cost
        self.lowest = np.full(n, np.inf)  # of the cumulative variation margin / contract_size
        self.value_sum = np.zeros(n)  # of the same over days 0..days-1
        self.cost_days = np.zeros(n)  # sum over days 0..days-1 of what the positions cost
        self.payoff = np.zeros(n)
        self.monthly_payoff = np.zeros((cal.months, n))


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
        x = block.x[:cal.days]  # whether any day's price is off the grid: checked per day if so
        self._may_leave_grid = bool(x.min() < curve.lo or x.max() >= curve.grid[-1])

    def _cell(self, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Grid cell and weight of each path's x_k, and the paths off the grid."""
        curve = self.curve
        pos = self.block.x[k] - curve.lo
        pos *= 1.0 / curve.h
        off = np.empty(0, dtype=np.intp)
        if self._may_leave_grid and (pos.min() < 0 or pos.max() >= GRID_POINTS - 1):
            off = np.flatnonzero((pos < 0) | (pos >= GRID_POINTS - 1))
            np.clip(pos, 0, GRID_POINTS - 1.5, out=pos)
        cell = pos.astype(np.intp)  # truncation: the floor, as pos >= 0
        pos -= cell
        return cell, pos, off

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

    def evaluate(self, programmes: dict[str, Programme]) -> dict[str, Outcome]:
        curve, days, n = self.curve, self.cal.days, self.n
        fixings = self.block.fixings
        walks = [_Walk(p, curve, n) for p in programmes.values()]
        unfixed, step, term = np.empty(n), np.empty(n), np.empty(n)
        for k in range(days + 1):
            if k < days:
                cell, frac, off = self._cell(k)
            entries: dict[int, np.ndarray] = {}
            for w in walks:
                if k > 0:
                    np.multiply(fixings[k - 1], w.weights[k - 1], out=term)
                    w.carry += term
                for t in w.buys.get(k, ()):
                    if t.month not in entries:
                        entries[t.month] = self._entry_price(k, t.month, cell, frac, off)
                    price = entries[t.month]
                    np.multiply(price, t.lots, out=term)
                    w.carry -= term
                    w.cost_days += (days - k) * term  # held from day k to the last day
                    gain = t.lots * (self.settle[t.month] - price)
                    w.payoff += gain
                    w.monthly_payoff[t.month] += gain
                if k < days:  # the unfixed part of the positions' futures prices
                    # mode="clip": written straight into `out` ("raise" buffers it); the
                    # cells are in range by construction (_cell)
                    np.take(w.table[k], cell, out=unfixed, mode="clip")
                    np.take(w.slope[k], cell, out=step, mode="clip")
                    step *= frac
                    unfixed += step
                    if off.size:
                        unfixed[off] = curve.unfixed_exact(k, self.block.x[k, off], w.held[k])
                    unfixed += w.carry  # the cumulative variation margin / contract_size
                    w.value_sum += unfixed
                else:
                    unfixed[:] = w.carry
                np.minimum(w.lowest, unfixed, out=w.lowest)
        return {name: self._outcome(w) for name, w in zip(programmes, walks)}

    def _outcome(self, w: _Walk) -> Outcome:
        """Initial margin is on the open positions' notional: the unfixed part plus the
        realised fixings of the month in progress, summed over the days in closed form:
        fixing j counts on the days from j until its month's last fixing (exclusive).
        Everything summed over days is summed over days 0..days-1, as financing is."""
        cal, m, size = self.cal, self.market, self.market.contract_size
        days = cal.days
        # sum over days of the unfixed part = sum of (value - realised + cost), the realised
        # part of day k being the fixings j <= k: fixing j counts on days j..days-1
        fixing_day = np.arange(1, days + 1)
        realised_days = ((days - fixing_day) * w.weights) @ self.block.fixings
        unfixed_days = w.value_sum - realised_days + w.cost_days
        month_last = cal.last[self.curve.month]
        in_progress = (month_last - fixing_day) * w.weights
        open_days = unfixed_days + in_progress @ self.block.fixings
        im_sum = m.im_rate * size * open_days
        financing = m.funding_rate / 365.0 * (im_sum - size * w.value_sum)
        entry = w.programme.contracts_traded() * (m.fee + m.half_spread * size)
        payoff = size * w.payoff
        return Outcome(
            cost=self.bill - payoff + entry + financing,
            payoff=payoff,
            financing=financing,
            entry_costs=entry,
            vm_outflow=np.maximum(0.0, -size * w.lowest),
            im_mean=im_sum / days,
            monthly_cost=self.monthly_bill - size * w.monthly_payoff,
        )
