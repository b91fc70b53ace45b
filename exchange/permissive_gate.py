"""The permissive risk gate: accepts every order, keeps positions for reduce-only.

Used before a clearinghouse is plugged in (and by the engine benchmark). It implements the
`clearing.risk_gate.RiskGate` protocol with no margin at all.
"""

from __future__ import annotations

from clearing.types import ClearedTrade


class PermissiveGate:
    __slots__ = ("_positions",)

    def __init__(self):
        self._positions: dict[tuple[str, str], int] = {}

    def check_order(self, account, symbol, side, qty, price, reduce_only) -> None:
        return None

    def on_working(self, account, symbol, side, qty_delta, price) -> None:
        return None

    def on_fill(self, trade: ClearedTrade, out: list) -> None:
        positions = self._positions
        key = (trade.buyer, trade.symbol)
        positions[key] = positions.get(key, 0) + trade.qty
        key = (trade.seller, trade.symbol)
        positions[key] = positions.get(key, 0) - trade.qty

    def position(self, account: str, symbol: str) -> int:
        return self._positions.get((account, symbol), 0)

    def digest(self) -> str:
        return repr(sorted((k, v) for k, v in self._positions.items() if v))
