"""The pre-trade risk-gate protocol.

The venue asks the gate before it accepts an order, keeps it told of every change to an
account's working orders (so margin can count the worst case of them filling), and hands it
every fill. The exchange ships a permissive gate (exchange/permissive_gate.py); the
clearinghouse implements the real one.
"""

from __future__ import annotations

from typing import Protocol

from clearing.types import ClearedTrade


class RiskGate(Protocol):
    def check_order(
        self, account: str, symbol: str, side: int, qty: int, price: int, reduce_only: bool
    ) -> None:
        """Raise `clearing.reasons.Rejection` if the order may not be accepted.

        `side` is +1 (buy) or -1 (sell); `price` is the worst price it can trade at (the limit,
        or the protection price of a market order), in ticks. Must not change any state.
        """

    def on_working(self, account: str, symbol: str, side: int, qty_delta: int, price: int) -> None:
        """An account's working quantity changed by `qty_delta` (lots, signed).

        Working = accepted and not yet filled, cancelled or expired: resting orders, pending
        stops, and an incoming order while it matches. The venue calls this with +qty when it
        accepts an order, -remaining when an order is cancelled or expires, and +-change on an
        amend. A fill does NOT come through here: `on_fill` implies that the filled quantity
        leaves the working quantity of both the buyer's and the seller's order.
        """

    def on_fill(self, trade: ClearedTrade, out: list) -> None:
        """Novate a fill; append any clearing events (fees, positions) to `out`.

        The filled `trade.qty` also leaves both orders' working quantity (see `on_working`).
        """

    def position(self, account: str, symbol: str) -> int:
        """Signed position in lots (for reduce-only)."""
