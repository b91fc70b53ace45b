# cython: binding=True
# (compiled, the methods keep their signatures: tests/exchange/test_permissive_gate.py holds them
# to the port's)
"""The permissive gate: accepts every order, keeps positions for reduce-only, clears nothing.

Used before a clearinghouse is plugged in (and by the engine benchmark). It implements the
whole `clearing.port.ClearingPort`, so the venue calls it as it calls a clearinghouse, never
asking whether a method exists: no margin at all in the pre-trade check; the account, cash,
standing, mark-cycle and liquidation methods refused with `Reason.NO_CLEARING`; listings,
indices and settlements taken as nothing to do; the reads empty.
"""

from __future__ import annotations

from clearing.events import Sequencer
from clearing.reasons import Reason, Rejection
from clearing.trade import ClearedTrade
from clearing.types import ClearingTerms


def _no_clearing(what: str) -> Rejection:
    return Rejection(Reason.NO_CLEARING, f"no clearinghouse is attached to this venue: {what}")


class PermissiveGate:
    __slots__ = ("_positions",)

    clears = False  # (ClearingPort.clears)

    def __init__(self):
        # symbol -> account -> position: keyed by plain strings, whose hashes Python caches
        # (a fill updates two positions, and a tuple key would be built and hashed each time)
        self._positions: dict[str, dict[str, int]] = {}

    # -- the pre-trade risk gate: no margin, positions for reduce-only --------------------------
    def check_order(self, account: str, symbol: str, side: int, qty: int, price: int,
                    reduce_only: bool) -> None:
        return None

    def on_working(self, account: str, symbol: str, side: int, qty_delta: int, price: int) -> None:
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

    # -- wiring, listing, index, settlement: nothing to do --------------------------------------
    def bind_sequencer(self, sequencer: Sequencer) -> None:
        return None  # it writes no events

    def list_contract(self, terms: ClearingTerms, ts: int, out: list) -> None:
        return None  # no clearing terms to learn

    def set_index(self, name: str, value: int, ts: int, out: list) -> None:
        return None  # nothing is marked to it

    def settlement_price(self, symbol: str) -> int | None:
        return None  # no index history: an expiry settles only at a price it is given

    def final_settlement(self, symbol: str, price: int, ts: int, out: list) -> None:
        return None  # no positions held in cash to settle

    # -- accounts, cash, marks and default: refused ---------------------------------------------
    def open_account(self, account: str, ts: int, out: list, market_maker: bool = False) -> None:
        raise _no_clearing("it holds no accounts")

    def deposit(self, account: str, amount: int, ts: int, out: list) -> None:
        raise _no_clearing("it holds no cash")

    def withdraw(self, account: str, amount: int, ts: int, out: list) -> None:
        raise _no_clearing("it holds no cash")

    def set_market_maker_standing(self, account: str, good: bool, ts: int, out: list) -> None:
        raise _no_clearing("it charges no fees")

    def mark_cycle(self, ts: int, books: dict, out: list, end_of_day: bool = False) -> list[str]:
        raise _no_clearing("it marks nothing")

    def liquidation_plan(self, account: str) -> list[tuple[str, int, int]]:
        raise _no_clearing("it liquidates no one")

    def finish_liquidation(self, account: str, ts: int, out: list) -> None:
        raise _no_clearing("it liquidates no one")

    # -- reads: empty -----------------------------------------------------------------------------
    def positions(self, account: str) -> dict[str, int]:
        """The account's open positions (the ones reduce-only reads), symbol -> signed lots."""
        return {symbol: held[account] for symbol, held in sorted(self._positions.items())
                if held.get(account)}

    def equity(self, account: str) -> int:
        return 0

    def mark(self, symbol: str) -> int | None:
        return None

    def position_marks(self, account: str) -> dict[str, tuple[int | None, int]]:
        return {}

    def account_summary(self, account: str) -> dict:
        return {}

    def ledger_summary(self) -> dict | None:
        return None

    def digest(self) -> str:
        return repr(sorted(((account, symbol), v) for symbol, positions in self._positions.items()
                           for account, v in positions.items() if v))
