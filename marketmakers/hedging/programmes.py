"""Hedge programmes: which contract months an enterprise buys, how many lots, and when.

A programme is a list of tranches (day, month, lots): on day k (0 = when the hedge is put on,
k = the fixing before a month begins) it buys `lots` of contract month m at that day's futures
price and holds them to final settlement. Lots are whole contracts, as on the venue; only the
in-sample estimate of the min-variance ratio uses fractional lots (a ratio, not an order).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from marketmakers.hedging.calendar import StudyCalendar


@dataclass(frozen=True)
class Tranche:
    day: int
    month: int
    lots: float


@dataclass(frozen=True)
class Programme:
    name: str
    tranches: tuple[Tranche, ...]

    def positions(self, cal: StudyCalendar) -> np.ndarray:
        """H[k, m]: lots held in month m after the trades of day k, k = 0..days."""
        h = np.zeros((cal.days + 1, cal.months))
        for t in self.tranches:
            h[t.day:, t.month] += t.lots
        return h

    def final_lots(self, cal: StudyCalendar) -> np.ndarray:
        return self.positions(cal)[-1]

    def contracts_traded(self) -> float:
        return float(sum(t.lots for t in self.tranches))


def _lots(ratio: float, expected: np.ndarray, whole: bool) -> np.ndarray:
    lots = ratio * expected
    return np.rint(lots) if whole else lots


def static(name: str, ratio: float, expected: np.ndarray, whole: bool = True) -> Programme:
    """Buy ratio x each month's expected consumption at the start, hold to settlement."""
    lots = _lots(ratio, expected, whole)
    return Programme(name, tuple(Tranche(0, m, float(q)) for m, q in enumerate(lots) if q))


def layered(name: str, ratio: float, expected: np.ndarray, layers: int,
            cal: StudyCalendar) -> Programme:
    """Each month's lots bought in `layers` equal monthly tranches, at the starts of the
    months before it; tranches that would fall before the start are bought at the start (the
    programme is put on today with what a running programme would already hold)."""
    tranches = []
    for m, total in enumerate(_lots(ratio, expected, True)):
        split = np.diff(np.rint(np.linspace(0.0, total, layers + 1)))
        for i, q in enumerate(split):  # tranche i is bought `layers - i` months before m
            before = m - (layers - i)
            day = int(cal.first[before]) - 1 if before >= 0 else 0
            if q:
                tranches.append(Tranche(day, m, float(q)))
    return Programme(name, tuple(tranches))
