"""A deliberately simple margin model for tests of the clearinghouse's mechanics: a fixed
amount per lot, so test expectations are easy to compute by hand. It has the MarginModel
interface (requirement, requirement_with_orders); the real scan lives in clearing/margin.py."""

from dataclasses import dataclass
from types import SimpleNamespace


@dataclass(frozen=True)
class Requirement:
    initial: int
    maintenance: int


@dataclass(frozen=True)
class FlatMargin:
    initial_per_lot: int = 11_000  # cents
    maintenance_per_lot: int = 10_000

    def product_params(self, product):
        """Stress parameters for the guarantee-fund sizing: a 5% scan range, a 50% event cut."""
        return SimpleNamespace(scan_range=0.05, event_cut=0.50)

    def requirement(self, positions, marks, terms):
        lots = sum(abs(q) for q in positions.values())
        return Requirement(lots * self.initial_per_lot, lots * self.maintenance_per_lot)

    def requirement_with_orders(self, positions, buys, sells, marks, terms):
        symbols = set(positions) | set(buys) | set(sells)
        up = {s: positions.get(s, 0) + buys.get(s, 0) for s in symbols}
        down = {s: positions.get(s, 0) - sells.get(s, 0) for s in symbols}
        a, b = self.requirement(up, marks, terms), self.requirement(down, marks, terms)
        return a if a.initial >= b.initial else b
