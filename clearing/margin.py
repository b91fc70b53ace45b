"""Initial and maintenance margin: a SPAN-like scenario scan per product, in integer cents.

Per product, every scenario moves *all* its expiries by the same fraction of their own marks,
so calendar spreads net inside the scan. The scenarios (in this order):

    0, +1/3, -1/3, +2/3, -2/3, +3/3, -3/3 of the scan range     counted in full
    +extreme_multiple x range, -extreme_multiple x range          counted at extreme_cover
    a one-off event cut of event_cut x mark (down only)           counted at event_cover

The loss of ONE long contract in each scenario (`unit_risk_array`) is an integer: the move in
ticks (rounded away from zero) times the tick value times the cover, its size rounded up to a
whole cent (a gain is the negative of the same size, so longs and shorts mirror each other). An account's risk array is the position-weighted sum of these, so
it is linear in positions and the clearinghouse can update it incrementally per fill.

Per product: scan risk = max(0, worst scenario loss); spread charge = spread_charge x the spread
lot pairs, min(long lots, short lots) across the product's expiries (SPAN's intra-commodity
spread charge: the scan nets the spread completely, the charge covers the curve moving). Products
margin separately (no inter-product credit). Per product, in integers with ceilings:

    maintenance = ceil(base x (1 + apc_buffer))     base = scan risk + spread charge;
                                                     the buffer is dropped when `stressed`
    initial     = ceil(maintenance x mm_ratio)      (IM = 1.1 x MM)

and the account's requirement is the sum over products. Ratios are held in basis points
(covers in parts per million) so that every step is integer arithmetic: the per-account loop
(`requirement`) and the vectorised pass (`requirements`) agree exactly.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Protocol
from dataclasses import dataclass

import numpy as np

from clearing.reasons import Reason, Rejection
from clearing.scan_ranges import default_scan_range
from clearing.types import ClearingTerms

BPS = 10_000  # ratio denominator for the APC buffer and the IM/MM ratio
PPM = 1_000_000  # cover denominator
N_SCENARIOS = 10


def _bps(x: float) -> int:
    return round(x * BPS)


def _ppm(x: float) -> int:
    return round(x * PPM)


def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)


@dataclass(frozen=True)
class ProductMarginParams:
    """Scan parameters of one product (e.g. "SIT", "GPU")."""

    scan_range: float  # fraction of the mark covering 99% of 2-day moves incl. jumps
    extreme_multiple: float = 2.0  # extreme scenarios at +-2x range ...
    extreme_cover: float = 0.35  # ... counted at this fraction
    event_cut: float = 0.50  # one-off event risk: the index falls by this fraction ...
    event_cover: float = 0.5  # ... counted at this fraction (see docs/margin.md)
    spread_charge: int = 0  # cents per calendar-spread lot pair
    mm_ratio: float = 1.1  # IM = ceil(MM x mm_ratio), the ratio held in basis points

    def __post_init__(self):
        checks = (
            (0.0 < self.scan_range < 1.0, "scan_range must be in (0, 1)"),
            (self.extreme_multiple >= 0, "extreme_multiple must be >= 0"),
            (0.0 <= self.extreme_cover <= 1.0, "extreme_cover must be in [0, 1]"),
            (0.0 <= self.event_cut <= 1.0, "event_cut must be in [0, 1]"),
            (0.0 <= self.event_cover <= 1.0, "event_cover must be in [0, 1]"),
            (isinstance(self.spread_charge, int) and self.spread_charge >= 0,
             "spread_charge must be a non-negative integer (cents)"),
            (self.mm_ratio >= 1.0, "mm_ratio must be >= 1 (initial is never below maintenance)"),
        )
        for ok, sentence in checks:
            if not ok:
                raise Rejection(Reason.INVALID_COMMAND, sentence)


@dataclass(frozen=True)
class MarginParams:
    """All products' scan parameters and the anti-procyclicality buffer (EMIR: 25%)."""

    products: Mapping[str, ProductMarginParams]
    apc_buffer: float = 0.25  # added to the base margin unless `stressed`
    stressed: bool = False  # in stress the buffer is released

    def __post_init__(self):
        if self.apc_buffer < 0:
            raise Rejection(Reason.INVALID_COMMAND, "apc_buffer must be >= 0")

    def buffer_bps(self) -> int:
        return 0 if self.stressed else _bps(self.apc_buffer)


@dataclass(frozen=True)
class MarginRequirement:
    initial: int  # cents
    maintenance: int  # cents


def scenario_moves(params: ProductMarginParams, mark: int) -> tuple[int, ...]:
    """Price moves in ticks, one per scenario (order in the module docstring)."""
    if mark <= 0:
        raise Rejection(Reason.INVALID_PRICE, f"mark {mark} ticks is not positive")
    r = math.ceil(params.scan_range * mark)
    third = [_ceil_div(r * k, 3) for k in (1, 2, 3)]
    extreme = math.ceil(params.extreme_multiple * r)
    event = math.ceil(params.event_cut * mark)
    return (0, third[0], -third[0], third[1], -third[1], third[2], -third[2],
            extreme, -extreme, -event)


def scenario_covers_ppm(params: ProductMarginParams) -> tuple[int, ...]:
    """The fraction (ppm) of each scenario's loss that counts."""
    x, e = _ppm(params.extreme_cover), _ppm(params.event_cover)
    return (PPM,) * 7 + (x, x, e)


def unit_risk_array(terms: ClearingTerms, params: ProductMarginParams, mark: int) -> tuple[int, ...]:
    """Loss in cents of ONE long contract per scenario (negative = gain)."""
    out = []
    for move, cover in zip(scenario_moves(params, mark), scenario_covers_ppm(params)):
        size = _ceil_div(abs(move) * terms.tick_value * cover, PPM)
        # the magnitude rounds up whatever the sign, so a short's loss (a long's gain, negated)
        # is never understated and a long and a short of the same size mirror each other
        out.append(-size if move > 0 else size)
    return tuple(out)


def margin_from_base(base, buffered_bps, ratio_bps):
    """(initial, maintenance) from a product's base margin (scan risk + spread charge):
    maintenance = ceil(base x buffered_bps / BPS), initial = ceil(maintenance x ratio_bps / BPS),
    with `buffered_bps` = BPS + the APC buffer and `ratio_bps` the IM/MM ratio. The one place of
    these ceilings: the per-account scan, `initial_bound` and the vectorised pass (on int64
    arrays, where `//` floors the same way) all call it."""
    maintenance = -(-base * buffered_bps // BPS)
    return -(-maintenance * ratio_bps // BPS), maintenance


def _product_margin(risk: Sequence[int], spread_pairs: int, p: ProductMarginParams,
                    buffer_bps: int) -> tuple[int, int]:
    """(initial, maintenance) of one product from its risk array and spread lot pairs."""
    base = max(0, max(risk)) + p.spread_charge * spread_pairs
    return margin_from_base(base, BPS + buffer_bps, _bps(p.mm_ratio))


def _spread_pairs(lots: Sequence[int]) -> int:
    return min(sum(q for q in lots if q > 0), -sum(q for q in lots if q < 0))


class MarginModelInterface(Protocol):
    """What the clearinghouse asks of any margin model (a test's flat per-lot model too). The
    scan model below also has fast forms (a vectorised pass, a pre-trade bound, a cached
    margin with orders) that the clearinghouse uses when its model is a `MarginModel`."""

    def product_params(self, product: str) -> ProductMarginParams: ...

    def requirement(self, positions: Mapping[str, int], marks: Mapping[str, int],
                    terms: Mapping[str, ClearingTerms]) -> MarginRequirement: ...

    def requirement_with_orders(self, positions: Mapping[str, int], working_buys: Mapping[str, int],
                                working_sells: Mapping[str, int], marks: Mapping[str, int],
                                terms: Mapping[str, ClearingTerms]) -> MarginRequirement: ...


class MarginModel:
    """The scan: `requirement` is the executable specification, `requirements` the fast pass."""

    def __init__(self, params: MarginParams):
        self.params = params
        buffered = BPS + params.buffer_bps()
        # per product (spread charge, BPS + APC buffer, IM/MM ratio), for `initial_bound`
        self._ratios = {name: (p.spread_charge, buffered, _bps(p.mm_ratio))
                        for name, p in params.products.items()}

    def product_params(self, product: str) -> ProductMarginParams:
        p = self.params.products.get(product)
        if p is None:
            raise Rejection(Reason.UNKNOWN_SYMBOL, f"no margin parameters for product {product}")
        return p

    def stressed(self, stressed: bool = True) -> MarginModel:
        """The same model with the APC buffer released (or re-applied)."""
        return MarginModel(MarginParams(self.params.products, self.params.apc_buffer, stressed))

    # ---- the per-account reference --------------------------------------------------------

    def requirement(self, positions: Mapping[str, int], marks: Mapping[str, int],
                    terms: Mapping[str, ClearingTerms]) -> MarginRequirement:
        """Margin of one account's positions (symbol -> signed lots) at the marks."""
        risk: dict[str, list[int]] = {}
        lots: dict[str, list[int]] = {}
        for symbol, qty in positions.items():
            if qty == 0:
                continue
            t = terms[symbol]
            mark = marks.get(symbol)
            if mark is None:
                raise Rejection(Reason.NO_REFERENCE_PRICE, f"{symbol} has no mark")
            unit = unit_risk_array(t, self.product_params(t.product), mark)
            acc = risk.setdefault(t.product, [0] * N_SCENARIOS)
            for i, u in enumerate(unit):
                acc[i] += qty * u
            lots.setdefault(t.product, []).append(qty)
        return self.requirement_from_risk(risk, {p: _spread_pairs(q) for p, q in lots.items()})

    def requirement_from_risk(self, product_risk: Mapping[str, Sequence[int]],
                              spread_lots: Mapping[str, int]) -> MarginRequirement:
        """Margin from per-product risk arrays (sum of position x unit_risk_array over the
        product's contracts) and spread lot pairs per product (min of long and short lots).

        For incremental use: keep each account's risk array per product, add qty x the
        contract's cached unit risk array on each fill, and call this."""
        buffer_bps = self.params.buffer_bps()
        initial = maintenance = 0
        for product, risk in product_risk.items():
            if len(risk) != N_SCENARIOS:
                raise Rejection(Reason.INVALID_COMMAND,
                                f"risk array of {product} has {len(risk)} scenarios, not {N_SCENARIOS}")
            im, mm = _product_margin(risk, spread_lots.get(product, 0),
                                     self.product_params(product), buffer_bps)
            initial += im
            maintenance += mm
        return MarginRequirement(initial, maintenance)

    def initial_bound(self, exposure: Mapping[str, Sequence[int]]) -> int:
        """An upper bound of the initial margin of any portfolio whose every scenario loss in
        a product is at most `loss` cents and whose gross lots in it are at most `lots`, given
        as product -> (loss, lots): per product its spread lot pairs, min(long lots, short
        lots), are at most lots // 2, and the integer ceilings of `_product_margin` never
        decrease as the base grows."""
        total = 0
        for product, (loss, lots) in exposure.items():
            ratios = self._ratios.get(product)
            if ratios is None:
                self.product_params(product)  # raises UNKNOWN_SYMBOL
            spread, buffered, ratio = ratios
            total += margin_from_base(max(0, loss) + spread * (lots // 2), buffered, ratio)[0]
        return total

    def requirement_with_orders(self, positions: Mapping[str, int], working_buys: Mapping[str, int],
                                working_sells: Mapping[str, int], marks: Mapping[str, int],
                                terms: Mapping[str, ClearingTerms]) -> MarginRequirement:
        """The worst case of working orders filling: per product, the largest requirement of
        {no order fills, all its buys fill, all its sells fill}; summed over products (they
        margin separately, so the per-product worst cases can all happen together)."""
        by_product: dict[str, set[str]] = {}
        for symbol in {*positions, *working_buys, *working_sells}:
            by_product.setdefault(terms[symbol].product, set()).add(symbol)
        initial = maintenance = 0
        for symbols in by_product.values():
            now = {s: positions.get(s, 0) for s in symbols}
            cases = (now,
                     {s: q + working_buys.get(s, 0) for s, q in now.items()},
                     {s: q - working_sells.get(s, 0) for s, q in now.items()})
            worst = max((self.requirement(c, marks, terms) for c in cases),
                        key=lambda r: (r.initial, r.maintenance))
            initial += worst.initial
            maintenance += worst.maintenance
        return MarginRequirement(initial, maintenance)

    def initial_with_orders(self, positions: Mapping[str, int], buys: Mapping[str, int],
                            sells: Mapping[str, int], units: Mapping[str, Sequence[int]],
                            products: Mapping[str, str]) -> int:
        """`requirement_with_orders(...).initial` (per product the worst of no order / all
        buys / all sells filling, summed), the pre-trade check's form: from each contract's
        unit risk array at its mark (`units`, symbol -> `unit_risk_array`, which the
        clearinghouse caches per mark) and `requirement_from_risk`, instead of rescanning
        every contract for every case. `products`: symbol -> its product."""
        by_product: dict[str, list[str]] = {}
        for s in {*positions, *buys, *sells}:
            by_product.setdefault(products[s], []).append(s)
        total = 0
        for product, symbols in by_product.items():
            worst = (0, 0)
            for case in (0, 1, -1):
                risk = None
                longs = shorts = 0
                for s in symbols:
                    q = positions.get(s, 0)
                    if case > 0:
                        q += buys.get(s, 0)
                    elif case < 0:
                        q -= sells.get(s, 0)
                    if q == 0:
                        continue
                    u = units[s]
                    risk = [q * x for x in u] if risk is None else [r + q * x for r, x in zip(risk, u)]
                    if q > 0:
                        longs += q
                    else:
                        shorts -= q
                if risk is not None:
                    req = self.requirement_from_risk({product: risk}, {product: min(longs, shorts)})
                    worst = max(worst, (req.initial, req.maintenance))
            total += worst[0]
        return total

    # ---- the vectorised pass ----------------------------------------------------------------

    def unit_risk_matrix(self, marks: np.ndarray, contracts: Sequence[ClearingTerms]) -> np.ndarray:
        """(n_contracts, N_SCENARIOS) int64: unit_risk_array of every contract at its mark."""
        return np.array([unit_risk_array(t, self.product_params(t.product), int(m))
                         for t, m in zip(contracts, marks)], dtype=np.int64).reshape(-1, N_SCENARIOS)

    def requirements(self, positions: np.ndarray, marks: np.ndarray,
                     contracts: Sequence[ClearingTerms]) -> tuple[np.ndarray, np.ndarray]:
        """(n_accounts, n_contracts) int64 positions -> (initial, maintenance) int64 per account."""
        positions = np.asarray(positions, dtype=np.int64)
        if positions.ndim != 2 or positions.shape[1] != len(contracts) or len(marks) != len(contracts):
            raise Rejection(Reason.INVALID_COMMAND,
                            "positions must be (accounts, contracts) with one mark per contract")
        units = self.unit_risk_matrix(marks, contracts)
        buffer_bps = self.params.buffer_bps()
        initial = np.zeros(positions.shape[0], dtype=np.int64)
        maintenance = np.zeros(positions.shape[0], dtype=np.int64)
        products: dict[str, list[int]] = {}
        for j, t in enumerate(contracts):
            products.setdefault(t.product, []).append(j)
        for product, cols in products.items():
            p = self.product_params(product)
            contiguous = cols[-1] - cols[0] + 1 == len(cols)
            pick = slice(cols[0], cols[-1] + 1) if contiguous else cols  # a slice copies nothing
            pos = positions[:, pick]
            risk = pos @ units[pick]  # (accounts, scenarios), exact int64
            scan = np.maximum(risk.max(axis=1), 0)
            # spread lot pairs = min(long lots, short lots) = (gross - |net|) / 2
            pairs = (np.abs(pos).sum(axis=1) - np.abs(pos.sum(axis=1))) // 2
            im, mm = margin_from_base(scan + p.spread_charge * pairs, BPS + buffer_bps, _bps(p.mm_ratio))
            initial += im
            maintenance += mm
        return initial, maintenance


def _up_to_bp(fraction: float) -> float:
    """A derived scan range rounded up to a whole basis point (never below the coverage)."""
    return math.ceil(fraction * BPS) / BPS


def default_params(stressed: bool = False) -> MarginParams:
    """SIT and GPU with scan ranges from their default price models (99%, 2 days)."""
    return MarginParams(
        products={
            "SIT": ProductMarginParams(scan_range=_up_to_bp(default_scan_range("SIT")),
                                       spread_charge=3_000),
            # GPU-hour rental prices fall in smaller steps than model list prices
            "GPU": ProductMarginParams(scan_range=_up_to_bp(default_scan_range("GPU")),
                                       event_cut=0.30, spread_charge=2_000),
        },
        stressed=stressed,
    )


def default_margin_model() -> MarginModel:
    """The clearinghouse's default margin model (used by clearing.factory)."""
    return MarginModel(default_params())
