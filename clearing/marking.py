"""Marks and variation margin: what each contract is worth now, and the cash that moves when
every position is marked to it.

Per account and contract the CCP keeps the position `qty`, the quantity and price at which it
was last marked, and `open_value`, the sum of signed quantity x price of the fills since that
mark. At a mark M the variation margin is

    vm = tick_value x (qty x M - (marked_qty x marked_price + open_value))

Every fill adds +q x p to the buyer and -q x p to the seller, and every position of a contract
is marked at the same M, so a cycle sums to zero to the cent. Equity = cash + the variation
margin not yet settled.

The mark is the index-implied fair value plus a smoothed basis read from a tight book (clamped
to a few percent of fair value); without an index, the book's mid or last trade.
"""

from __future__ import annotations

from dataclasses import dataclass

from clearing import clearing_events as E
from clearing.accounts import VM_ACCOUNT, Accounts
from clearing.config import BPS, ClearingConfig
from clearing.index import IndexHistory, IndexPublication
from clearing.ledger import cash_key

# the plain strings the events carry
_VARIATION_MARGIN = E.CashReason.VARIATION_MARGIN.value
_INDEX_BASIS = E.MarkSource.INDEX_BASIS.value
_BOOK = E.MarkSource.BOOK.value
_LAST_TRADE = E.MarkSource.LAST_TRADE.value
_PREVIOUS = E.MarkSource.PREVIOUS.value
_FINAL_SETTLEMENT = E.MarkSource.FINAL_SETTLEMENT.value


@dataclass(frozen=True)
class BookTop:
    best_bid: int | None
    best_ask: int | None
    last_trade: int | None


class Marking:
    """The marks, the index values they lean on, and variation margin against them."""

    def __init__(self, config: ClearingConfig, accounts: Accounts, terms: dict):
        self.config = config
        self.accounts = accounts
        self.terms = terms  # symbol -> ClearingTerms, the clearinghouse's listed contracts
        self.marks: dict[str, int] = {}
        self.basis: dict[str, int] = {}  # smoothed book basis over fair value, ticks
        self.index: dict[str, int] = {}  # micro-USD
        self.histories: dict[str, IndexHistory] = {}  # for the monthly settlement average

    # ------------------------------------------------------------------ index and marks

    def set_index(self, name: str, value: int, ts: int) -> None:
        self.index[name] = value
        history = self.histories.get(name)
        if history is None:
            history = self.histories[name] = IndexHistory()
        history.add(IndexPublication(name, ts, value, "ok", 0, 0, {}, (), ""))

    def fair_value(self, symbol: str) -> int | None:
        """Index-implied fair value in ticks (no carry: the index is the best forecast of
        the contract month's average)."""
        terms = self.terms[symbol]
        value = self.index.get(terms.index_name)
        return None if value is None else terms.ticks_from_index(value)

    def new_mark(self, symbol: str, top) -> tuple[int | None, int | None, int, str]:
        """Fair value plus a smoothed basis read from a tight book, clamped to a few percent
        of fair value, so that a thin book cannot drag the mark; without an index, the book
        mid or last trade; without either, the previous mark."""
        cfg = self.config
        bid, ask, last = (top.best_bid, top.best_ask, top.last_trade) if isinstance(top, BookTop) else top
        fair = self.fair_value(symbol)
        mid = None
        if bid is not None and ask is not None and (ask - bid) * BPS <= cfg.max_spread_bps * (bid + ask) // 2:
            mid = (bid + ask) // 2
        if fair is None:
            source = _BOOK if mid is not None else _LAST_TRADE if last is not None else _PREVIOUS
            mark = mid if mid is not None else last if last is not None else self.marks.get(symbol)
            return mark, None, 0, source
        basis = self.basis.get(symbol, 0)
        if mid is not None:
            basis += (mid - fair - basis) * cfg.basis_alpha_bps // BPS
        clamp = fair * cfg.basis_clamp_bps // BPS
        basis = max(-clamp, min(clamp, basis))
        self.basis[symbol] = basis
        return fair + basis, fair, basis, _INDEX_BASIS

    def mark_all(self, ts: int, books: dict, out: list) -> None:
        """A new mark for every listed contract with a book top in `books`."""
        for symbol in sorted(self.terms):
            top = books.get(symbol)
            if top is None:
                continue
            mark, fair, basis, source = self.new_mark(symbol, top)
            if mark is not None:
                self.marks[symbol] = mark
                self.accounts.emit(out, E.MarkSet, ts, symbol, mark, fair, basis, source)

    def set_final(self, symbol: str, price: int, ts: int, out: list) -> None:
        """The settlement price becomes the contract's last mark."""
        self.marks[symbol] = price
        self.accounts.emit(out, E.MarkSet, ts, symbol, price, None, 0, _FINAL_SETTLEMENT)

    def forget(self, symbol: str) -> None:
        """A settled contract has no mark any more."""
        self.marks.pop(symbol, None)
        self.basis.pop(symbol, None)

    # ------------------------------------------------------------------ equity

    def unsettled(self, account: str) -> int:
        """Variation margin (cents) the account would receive (+) or pay at the current marks."""
        member = self.accounts.members[account]
        total = 0
        for symbol, pos in member.positions.items():
            mark = self.marks.get(symbol)
            if mark is not None:
                total += pos.unsettled(mark) * self.terms[symbol].tick_value
        return total

    def equity(self, account: str) -> int:
        return self.accounts.cash(account) + self.unsettled(account)

    def position_marks(self, account: str) -> dict[str, tuple[int | None, int]]:
        """symbol -> (the mark in ticks, or None before the first; the variation margin in
        cents the open position would receive (+) or pay at that mark, since the last cycle)."""
        member = self.accounts.member(account)
        out = {}
        for symbol, pos in member.positions.items():
            if pos.qty:
                mark = self.marks.get(symbol)
                out[symbol] = (mark, pos.unsettled(mark) * self.terms[symbol].tick_value
                               if mark is not None else 0)
        return out

    # ------------------------------------------------------------------ variation margin

    def settle_variation_margin(self, ts: int, out: list, end_of_day: bool,
                                new_cycle: bool = True) -> None:
        """Settle every position to the marks. A liquidation's settlement (`new_cycle` False)
        adds to the cycle's gains instead of replacing them: those gains are the base of the
        waterfall's last layer, the variation-margin haircut."""
        accounts = self.accounts
        flows: list[tuple[str, int]] = []
        for account in sorted(accounts.members):
            member = accounts.members[account]
            vm = 0
            for symbol, pos in member.positions.items():
                mark = self.marks.get(symbol)
                if mark is None:
                    continue
                vm += pos.unsettled(mark) * self.terms[symbol].tick_value
                pos.marked_qty, pos.marked_price, pos.open_value = pos.qty, mark, 0
            member.last_vm = vm if new_cycle else member.last_vm + vm
            if vm:
                flows.append((account, vm))
        collected = 0
        for account, vm in flows:  # losses in first, then gains out: ccp:vm nets to zero
            if vm < 0:
                accounts.move(cash_key(account), VM_ACCOUNT, -vm, _VARIATION_MARGIN, account, ts, out)
                collected += -vm
        paid = 0
        for account, vm in flows:
            if vm > 0:
                accounts.move(VM_ACCOUNT, cash_key(account), vm, _VARIATION_MARGIN, account, ts, out)
                paid += vm
        assert paid == collected and accounts.ledger.balance(VM_ACCOUNT) == 0, "VM cycle not zero-sum"
        accounts.emit(out, E.VariationMarginCycle, ts, end_of_day, paid, collected, len(flows))
