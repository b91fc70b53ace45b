"""The permissive risk gate: accepts every order, keeps positions for reduce-only.

Used before a clearinghouse is plugged in (and by the engine benchmark). It implements the
`clearing.risk_gate.RiskGate` protocol with no margin at all.
"""

from __future__ import annotations

from clearing.trade import ClearedTrade


class PermissiveGate:
    __slots__ = ("_positions",)

    clears = False  # no accounts, cash or marks (clearing.port.ClearingPort.clears)

    def __init__(self):
        # symbol -> account -> position: keyed by plain strings, whose hashes Python caches
        # (a fill updates two positions, and a tuple key would be built and hashed each time)
        self._positions: dict[str, dict[str, int]] = {}

    def check_order(self, account, symbol, side, qty, price, reduce_only) -> None:
        return None

    def on_working(self, account, symbol, side, qty_delta, price) -> None:
        return None

    def on_fill(self, trade: ClearedTrade, out: list) -> None:
        positions = self._positions.get(trade.symbol)
        if positions is None:
            positions = self._positions[trade.symbol] = {}
        qty = trade.qty
        positions[trade.buyer] = positions.get(trade.buyer, 0) + qty
        positions[trade.seller] = positions.get(trade.seller, 0) - qty

    def position(self, account: str, symbol: str) -> int:
        return self._positions.get(symbol, {}).get(account, 0)

    # the empty reads of clearing.port.ClearingPort (stopgap until the exchange helper's
    # full implementation of the port is merged)
    def position_marks(self, account: str) -> dict:
        return {}

    def account_summary(self, account: str) -> dict:
        return {}

    def ledger_summary(self) -> None:
        return None

    def digest(self) -> str:
        return repr(sorted(((account, symbol), v) for symbol, positions in self._positions.items()
                           for account, v in positions.items() if v))
