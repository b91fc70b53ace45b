"""The clearinghouse (CCP): the port between a venue and its clearing (clearing/port.py),
composed of the parts that decide each thing.

    accounts.py        members, their standing and cash; the ledger and the sequencer
    novation.py        each fill as two positions facing the CCP, and its fees
    marking.py         index values, marks, equity and variation margin
    account_margin.py  each account's margin, with and without its working orders
    pretrade.py        the pre-trade check, and the working orders it counts
    default.py         margin calls, liquidation, the default waterfall, the guarantee fund
    settlement.py      the final settlement price and closing an expired contract

The parts share the state they decide on (the members, the listed contracts' terms, the
marks) and never call back into this class; its methods are the port's, thin delegations.
It knows nothing of order books: it receives fills (`ClearedTrade`), book tops (best bid, best
ask, last trade) for marking, index values and commands.
"""

from __future__ import annotations

import hashlib

from clearing import clearing_events as E
from clearing.account_margin import Margins
from clearing.accounts import VM_ACCOUNT, Accounts, Member, Position, open_positions
from clearing.config import ClearingConfig
from clearing.default import Default
from clearing.events import Sequencer
from clearing.margin import MarginModelInterface
from clearing.marking import BookTop, Marking
from clearing.novation import Novation
from clearing.pretrade import PreTrade
from clearing.settlement import Settlement
from clearing.trade import ClearedTrade
from clearing.types import ClearingTerms

__all__ = ["VM_ACCOUNT", "BookTop", "ClearingHouse", "Member", "Position"]


class ClearingHouse:
    clears = True  # accounts, cash, marks and settlement live here (clearing.port.ClearingPort)

    def __init__(self, config: ClearingConfig = ClearingConfig(),
                 margin: MarginModelInterface | None = None, sequencer: Sequencer | None = None,
                 fast_path: bool = True):
        self.config = config
        terms: dict[str, ClearingTerms] = {}
        self.accounts = Accounts(config, sequencer or Sequencer())
        self.marking = Marking(config, self.accounts, terms)
        self.margins = Margins(self.accounts, self.marking, terms, margin)
        self.pretrade = PreTrade(config, self.accounts, self.marking, self.margins, terms, fast_path)
        self.novation = Novation(config, self.accounts, self.marking.marks)
        self.default_management = Default(config, self.accounts, self.marking, self.margins, terms)
        self.settlement = Settlement(self.accounts, self.marking, terms)
        # the shared state, by the names tests and tools read it
        self.terms = terms
        self.ledger = self.accounts.ledger
        self.members = self.accounts.members
        self.marks = self.marking.marks
        self.histories = self.marking.histories

    @property
    def margin(self):
        """The margin model (clearing.margin.MarginModel; None: no margin requirement)."""
        return self.margins.margin

    @margin.setter
    def margin(self, model):
        self.margins.margin = model

    @property
    def fast_path(self) -> bool:
        """Whether the pre-trade check settles with the bound when it can (False: exact scan)."""
        return self.pretrade.fast_path

    @fast_path.setter
    def fast_path(self, fast: bool):
        self.pretrade.fast_path = fast

    @property
    def guarantee_fund_required(self) -> int:
        return self.default_management.guarantee_fund_required

    # ------------------------------------------------------------------ wiring and listing

    def bind_sequencer(self, sequencer: Sequencer) -> None:
        self.accounts.sequencer = sequencer

    def list_contract(self, terms: ClearingTerms, ts: int, out: list) -> None:
        self.terms[terms.symbol] = terms
        self._forget_terms()
        self.accounts.emit(out, E.ContractCleared, ts, terms.symbol, terms.index_name)

    def _forget_terms(self) -> None:
        """The listed contracts changed: drop what the parts derived from their terms."""
        self.pretrade.forget_terms()
        self.margins.forget_terms()

    def set_index(self, name: str, value: int, ts: int, out: list) -> None:
        self.marking.set_index(name, value, ts)

    # ------------------------------------------------------------------ accounts and cash

    def open_account(self, account: str, ts: int, out: list, market_maker: bool = False) -> None:
        self.accounts.open(account, ts, out, market_maker)

    def deposit(self, account: str, amount: int, ts: int, out: list) -> None:
        self.accounts.deposit(account, amount, ts, out)

    def withdraw(self, account: str, amount: int, ts: int, out: list) -> None:
        self.accounts.check_withdrawal(account, amount)
        self.accounts.withdraw(account, amount, self.margins.withdrawable(account), ts, out)

    def set_market_maker_standing(self, account: str, good: bool, ts: int, out: list) -> None:
        self.accounts.set_market_maker_standing(account, good, ts, out)

    # ------------------------------------------------------------------ the risk gate

    def check_order(self, account, symbol, side, qty, price, reduce_only) -> None:
        self.pretrade.check_order(account, symbol, side, qty, price, reduce_only)

    def on_working(self, account, symbol, side, qty_delta, price) -> None:
        self.pretrade.on_working(account, symbol, side, qty_delta, price)

    def on_fill(self, trade: ClearedTrade, out: list) -> None:
        self.novation.on_fill(trade, out)

    def position(self, account: str, symbol: str) -> int:
        return self.accounts.position(account, symbol)

    # ------------------------------------------------------------------ marks, margin and default

    def mark_cycle(self, ts: int, books: dict, out: list, end_of_day: bool = False) -> list[str]:
        """Mark every contract, settle variation margin, check margin. Returns the accounts the
        venue must liquidate now (margin call not cured in time, or below the hard floor)."""
        self.marking.mark_all(ts, books, out)
        self.marking.settle_variation_margin(ts, out, end_of_day)
        liquidate = self.default_management.margin_checks(ts, out)
        self.default_management.cover_deficits(ts, out)
        return liquidate

    def liquidation_plan(self, account: str) -> list[tuple[str, int, int]]:
        return self.default_management.liquidation_plan(account)

    def finish_liquidation(self, account: str, ts: int, out: list) -> None:
        self.default_management.finish_liquidation(account, ts, out)

    def size_guarantee_fund(self, ts: int, out: list) -> int:
        return self.default_management.size_guarantee_fund(ts, out)

    # ------------------------------------------------------------------ settlement

    def settlement_price(self, symbol: str) -> int | None:
        return self.settlement.settlement_price(symbol)

    def final_settlement(self, symbol: str, price: int, ts: int, out: list) -> None:
        """Last variation margin against the settlement price, then every position closed;
        a member left with negative cash and nothing to trade defaults."""
        self.settlement.settle(symbol, price, ts, out)
        self.default_management.cover_deficits(ts, out)
        self.terms.pop(symbol, None)
        self.marking.forget(symbol)
        self._forget_terms()

    # ------------------------------------------------------------------ reads

    def positions(self, account: str) -> dict[str, int]:
        return open_positions(self.accounts.member(account))

    def cash(self, account: str) -> int:
        return self.accounts.cash(account)

    def unsettled(self, account: str) -> int:
        return self.marking.unsettled(account)

    def equity(self, account: str) -> int:
        return self.marking.equity(account)

    def mark(self, symbol: str) -> int | None:
        return self.marking.marks.get(symbol)

    def position_marks(self, account: str) -> dict[str, tuple[int | None, int]]:
        return self.marking.position_marks(account)

    def requirement(self, account: str):
        return self.margins.requirement(account)

    def excess(self, account: str) -> int:
        return self.margins.excess(account)

    def account_summary(self, account: str) -> dict:
        return self.margins.account_summary(account)

    def open_interest(self, symbol: str) -> int:
        return sum(m.positions[symbol].qty for m in self.members.values()
                   if symbol in m.positions and m.positions[symbol].qty > 0)

    def ledger_summary(self) -> dict | None:
        balances = dict(self.ledger.balances)
        return {"balances": balances, "held": self.ledger.held(), "inflow": self.ledger.inflow,
                "outflow": self.ledger.outflow, "guarantee_fund_required": self.guarantee_fund_required}

    # ------------------------------------------------------------------ checks

    def check(self) -> None:
        """Every invariant: positions sum to zero per contract, the ledger balances and cash
        is conserved, no member holds a position in a contract that is not cleared."""
        self.ledger.check()
        assert self.ledger.balance(VM_ACCOUNT) == 0
        totals: dict[str, int] = {}
        for member in self.members.values():
            for symbol, pos in member.positions.items():
                totals[symbol] = totals.get(symbol, 0) + pos.qty
                assert symbol in self.terms, symbol
        assert all(v == 0 for v in totals.values()), f"positions do not net to zero: {totals}"

    def digest(self) -> str:
        h = hashlib.sha256()
        h.update(repr(sorted(self.ledger.balances.items())).encode())
        h.update(repr(sorted(self.marks.items())).encode())
        for account in sorted(self.members):
            m = self.members[account]
            h.update(repr((account, m.market_maker, m.mm_in_good_standing, m.call_deadline,
                           m.liquidating, m.defaulted, m.last_vm,
                           sorted((s, p.qty, p.marked_qty, p.marked_price, p.open_value)
                                  for s, p in m.positions.items()),
                           sorted((s, tuple(w)) for s, w in m.working.items()))).encode())
        return h.hexdigest()
