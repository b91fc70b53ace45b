"""Final settlement: the price an expired contract settles at, and closing its positions there.

A contract settles at the average of the daily index fixings over its contract month (see
docs/sit-index.md); without any fixing in that month, at its last mark. Settling pays the last
variation margin against that price, then closes every position and working order in it.
"""

from __future__ import annotations

from clearing import clearing_events as E
from clearing.accounts import Accounts
from clearing.marking import Marking


class Settlement:
    def __init__(self, accounts: Accounts, marking: Marking, terms: dict):
        self.accounts = accounts
        self.marking = marking
        self.terms = terms

    def settlement_price(self, symbol: str) -> int | None:
        """The final settlement price (ticks) of a contract: the average of the daily index
        fixings over its contract month; without any fixing in that month, the last mark."""
        terms = self.terms.get(symbol)
        history = self.marking.histories.get(terms.index_name) if terms else None
        value = history.monthly_settlement_value(terms.year, terms.month) if history else None
        if value is None:  # no fixing in the contract month: the last mark
            return self.marking.marks.get(symbol)
        return terms.ticks_from_index(value)

    def settle(self, symbol: str, price: int, ts: int, out: list) -> None:
        """Last variation margin against the settlement price, then every position closed."""
        self.marking.set_final(symbol, price, ts, out)
        self.marking.settle_variation_margin(ts, out, True)
        open_interest = 0
        for member in self.accounts.members.values():
            pos = member.positions.pop(symbol, None)
            if pos is not None and pos.qty > 0:
                open_interest += pos.qty
            member.working.pop(symbol, None)
        self.accounts.emit(out, E.FinalSettlement, ts, symbol, price, open_interest)
