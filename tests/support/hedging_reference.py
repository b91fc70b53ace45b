"""The hedging study's evaluation written the plain way: the executable specification.

Path by path and day by day, with every futures price computed exactly (no table), the
cumulative variation margin, the open notional (month by month) and the cash tied up. The
study's BlockEvaluator (one pass over the days, tabulated prices, closed-form sums) must agree.
"""

from __future__ import annotations

import numpy as np


def futures_price(curve, x, k: int, month: int) -> np.ndarray:
    """F(k, m) per path: the month's fixings up to day k, and the expected rest."""
    cal = curve.cal
    first, last = int(cal.first[month]), int(cal.last[month])
    n = cal.month_days[month]
    total = np.zeros(x.shape[1])
    for j in range(first, last + 1):
        total += np.exp(x[j]) if j <= k else curve.expected_fixing(k, j, x[k])
    return total / n


def reference_outcome(block, curve, market, programme) -> dict:
    cal, size = curve.cal, market.contract_size
    x = block.x
    n = x.shape[1]
    held = programme.positions(cal)
    entry = {}
    for t in programme.tranches:
        entry.setdefault((t.day, t.month), futures_price(curve, x, t.day, t.month))
    cum_vm = np.zeros((cal.days + 1, n))
    tied = np.zeros(n)
    for k in range(cal.days + 1):
        value = np.zeros(n)
        open_notional = np.zeros(n)
        for m in range(cal.months):
            lots = held[k, m]
            if not lots:
                continue
            price = futures_price(curve, x, min(k, int(cal.last[m])), m)
            value += lots * price
            if k < cal.last[m]:  # open until its last fixing
                open_notional += lots * price
        cost = sum(t.lots * entry[(t.day, t.month)] for t in programme.tranches if t.day <= k)
        cum_vm[k] = size * (value - cost)
        if k < cal.days:
            tied += market.im_rate * size * open_notional - cum_vm[k]
    settle = {m: futures_price(curve, x, cal.days, m) for m in range(cal.months)}
    payoff = size * sum(t.lots * (settle[t.month] - entry[(t.day, t.month)])
                        for t in programme.tranches)
    financing = market.funding_rate / 365.0 * tied
    entry_costs = programme.contracts_traded() * (market.fee + market.half_spread * size)
    return {"payoff": payoff, "final_vm": cum_vm[-1], "financing": financing,
            "vm_outflow": np.maximum(0.0, -cum_vm.min(axis=0)), "entry_costs": entry_costs}
