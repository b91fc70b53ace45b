"""Market-making quote models: Avellaneda-Stoikov and Gueant-Lehalle-Fernandez-Tapia.

Pure functions, so agents (issue 4) and tests share them. Units: prices in ticks (floats inside
the model, integer ticks out), inventory in lots, time in the agent's unit (seconds, say), with
`sigma` in ticks per square root of that unit, `gamma` the risk aversion per tick, and order
arrivals at distance d from the mid following the intensity A exp(-k d) (A per time unit, k per
tick).

Avellaneda and Stoikov (2008), with T - t the time left:
    reservation price  r = s - q gamma sigma^2 (T - t)
    total spread       gamma sigma^2 (T - t) + (2 / gamma) ln(1 + gamma / k)

Gueant, Lehalle and Fernandez-Tapia (2013), the asymptotic (long horizon) quotes:
    c = (1 / gamma) ln(1 + gamma / k),  w = sqrt(sigma^2 gamma / (2 k A) (1 + gamma / k)^(1 + k / gamma))
    bid distance  c + (2q + 1) w / 2,   ask distance  c - (2q - 1) w / 2
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import NamedTuple

from clearing.fast_events import *  # make(Quote, values): see there

# the market makers take these with `from marketmakers.quoting import *` (compiled: C calls
# with C doubles, quoting.pxd; the one import form the cimport stands beside, as fast_events)
__all__ = ["Quote", "avellaneda_stoikov", "gueant_lehalle_fernandez_tapia", "to_ticks", "ladder",
           "level_sizes"]


class Quote(NamedTuple):
    """A two-sided quote in ticks (a named tuple: makers build one at every requote)."""

    bid: int | None  # ticks; None: no bid (inventory at its long limit)
    ask: int | None


def avellaneda_stoikov(mid: float, inventory: int, sigma: float, gamma: float, k: float,
                       time_left: float) -> tuple[float, float]:
    """(bid, ask) prices in ticks (floats) around the inventory-skewed reservation price."""
    _check(sigma, gamma, k)
    if time_left < 0:
        raise ValueError("time_left must be >= 0")
    reservation = mid - inventory * gamma * sigma ** 2 * time_left
    spread = gamma * sigma ** 2 * time_left + (2.0 / gamma) * math.log1p(gamma / k)
    return reservation - spread / 2, reservation + spread / 2


def gueant_lehalle_fernandez_tapia(mid: float, inventory: int, sigma: float, gamma: float,
                                   k: float, intensity: float) -> tuple[float, float]:
    """(bid, ask) prices in ticks (floats) from the GLFT asymptotic optimal distances."""
    _check(sigma, gamma, k)
    if intensity <= 0:
        raise ValueError("the arrival intensity A must be > 0")
    c = math.log1p(gamma / k) / gamma
    w = math.sqrt(sigma ** 2 * gamma / (2 * k * intensity) * (1 + gamma / k) ** (1 + k / gamma))
    return mid - (c + (2 * inventory + 1) * w / 2), mid + (c - (2 * inventory - 1) * w / 2)


def to_ticks(bid: float, ask: float, inventory: int, max_inventory: int) -> Quote:
    """Round outward to whole ticks, keep at least one tick of spread, and stop quoting the
    side that would take the inventory beyond its limit."""
    b = math.floor(bid)
    a = math.ceil(ask)
    if a <= b:
        a = b + 1
    return make(Quote, (b if inventory < max_inventory and b > 0 else None,
                        a if inventory > -max_inventory else None))


def ladder(quote: Quote, levels: int, step: int, size: int, growth: float = 1.0) -> list[tuple[int, int, int]]:
    """(side, price, qty) orders on `levels` levels each side, `step` ticks apart, sizes
    growing by `growth` per level (rounded, at least one lot)."""
    if levels < 1 or step < 1 or size < 1:
        raise ValueError("levels, step and size must be >= 1")
    bid, ask = quote
    out = []
    for i, qty in enumerate(level_sizes(size, growth, levels)):
        if bid is not None and bid - i * step > 0:
            out.append((1, bid - i * step, qty))
        if ask is not None:
            out.append((-1, ask + i * step, qty))
    return out


@lru_cache(maxsize=256)
def level_sizes(size: int, growth: float, levels: int) -> tuple[int, ...]:
    """Lots per ladder level (rounded, at least one): the same few ladders every requote."""
    return tuple(max(1, round(size * growth ** i)) for i in range(levels))


def _check(sigma: float, gamma: float, k: float) -> None:
    if not (sigma >= 0 and gamma > 0 and k > 0):
        raise ValueError("need sigma >= 0, gamma > 0 and k > 0")
