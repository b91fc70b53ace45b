"""The port between a venue and its clearing: everything the venue, the service and the
agents' venue port may ask of it, declared in one place.

The clearinghouse (clearing/clearinghouse.py) implements it in full. The permissive gate
(exchange/permissive_gate.py, used before a clearinghouse is plugged in and by the engine
benchmark) implements it too: what it cannot do (hold accounts and cash, mark, settle) it
refuses with a reason code, or answers with nothing to report, as each method below says. So
a caller never asks whether a method exists: nothing outside `clearing/` probes the gate
with `hasattr`/`getattr` or reads its private state.

Cash is in integer minor units, prices in ticks, quantities in lots; `ts` is the command's
time in integer nanoseconds; `out` is the list the caller's events are appended to.
"""

from __future__ import annotations

from typing import Protocol

from clearing.events import Sequencer
from clearing.risk_gate import RiskGate
from clearing.types import ClearingTerms


class ClearingPort(RiskGate, Protocol):
    """The pre-trade risk gate (RiskGate's four methods) and the rest of clearing."""

    clears: bool
    """True for a clearinghouse (accounts, cash, marks, settlement). False for a gate that only
    checks orders (the permissive gate): it refuses the account, cash, mark-cycle and
    liquidation methods with `Reason.NO_CLEARING`, takes listings, indices and settlements as
    nothing to do, and reads as empty (no marks, no summary, no ledger). The service reads
    this flag to know whether accounts live in clearing and whether to run mark cycles."""

    # -- wiring and listing -------------------------------------------------------------
    def bind_sequencer(self, sequencer: Sequencer) -> None:
        """Share the venue's sequence counter, so the events the two write have no gap."""

    def list_contract(self, terms: ClearingTerms, ts: int, out: list) -> None:
        """A contract was listed: learn its clearing terms (a gate without terms: nothing)."""

    def set_index(self, name: str, value: int, ts: int, out: list) -> None:
        """An index value was published (micro-USD): the clearing's reference for marks."""

    # -- accounts and cash ----------------------------------------------------------------
    def open_account(self, account: str, ts: int, out: list, market_maker: bool = False) -> None:
        """Open an account; raise `Rejection` if it exists (or if accounts are not held)."""

    def deposit(self, account: str, amount: int, ts: int, out: list) -> None:
        """Credit cash; raise `Rejection` for an unknown account or a bad amount."""

    def withdraw(self, account: str, amount: int, ts: int, out: list) -> None:
        """Debit cash up to what is withdrawable; raise `Rejection` beyond it."""

    def set_market_maker_standing(self, account: str, good: bool, ts: int, out: list) -> None:
        """A registered market maker's standing (its obligations met or not): its fees."""

    # -- marks, margin and default ----------------------------------------------------------
    def mark_cycle(self, ts: int, books: dict, out: list, end_of_day: bool = False) -> list[str]:
        """Mark every contract, pay variation margin, check margin; return the accounts to
        liquidate (the venue closes them out through its book)."""

    def liquidation_plan(self, account: str) -> list[tuple[str, int, int]]:
        """(symbol, side, qty) orders that close out the account's positions."""

    def finish_liquidation(self, account: str, ts: int, out: list) -> None:
        """Settle what the close-out left: the default waterfall."""

    # -- settlement -----------------------------------------------------------------------
    def settlement_price(self, symbol: str) -> int | None:
        """The final settlement price in ticks (the monthly index average); None if unknown."""

    def final_settlement(self, symbol: str, price: int, ts: int, out: list) -> None:
        """Settle every open position of an expired contract at `price` (ticks)."""

    # -- reads ----------------------------------------------------------------------------
    def positions(self, account: str) -> dict[str, int]:
        """Open positions, symbol -> signed lots."""

    def equity(self, account: str) -> int:
        """Cash plus unsettled variation margin (minor units)."""

    def mark(self, symbol: str) -> int | None:
        """The contract's last mark in ticks, None before the first."""

    def position_marks(self, account: str) -> dict[str, tuple[int | None, int]]:
        """symbol -> (mark in ticks or None, unsettled variation margin in minor units)."""

    def account_summary(self, account: str) -> dict:
        """Cash, equity, margins and excess of one account (minor units); {} if not held."""

    def ledger_summary(self) -> dict | None:
        """The clearinghouse's own accounts (guarantee fund, fees...); None if none are held."""

    def digest(self) -> str:
        """A hash of the whole clearing state (determinism and replay checks)."""
