"""The pre-trade check: may this order be accepted? And the working orders it counts.

Before the venue accepts an order it asks `check_order`; it raises a `Rejection` with its
reason code if the account is unknown, defaulted or being liquidated, cannot pay for a
reducing trade, would break a position limit (tighter in the spot month), is in a margin call,
or lacks the initial margin for the worst case of its working orders filling with this one
added. The margin check settles with a cheap upper bound (`Margins.bound_and_equity`) when
equity covers it and runs the exact scan only when it does not. Called for every order:
compiled, with C types (pretrade.pxd).
"""

from __future__ import annotations

from clearing.account_margin import Margins
from clearing.accounts import Accounts
from clearing.config import ClearingConfig
from clearing.marking import Marking
from clearing.reasons import Reason, Rejection
from clearing.types import usd


class PreTrade:
    def __init__(self, config: ClearingConfig, accounts: Accounts, marking: Marking, margins: Margins,
                 terms: dict, fast_path: bool = True):
        self.config = config
        self.accounts = accounts
        self.marking = marking
        self.margins = margins
        self.terms = terms
        # settle the margin check with the cheap upper bound when it can; False always runs
        # the exact scan (tests and benchmark baseline)
        self.fast_path = fast_path
        self.spot: dict[str, bool] = {}  # symbol -> nearest expiry of its product (listed ones)

    def check_order(self, account, symbol, side, qty, price, reduce_only) -> None:
        member = self.accounts.member(account)
        if member.defaulted:
            raise Rejection(Reason.ACCOUNT_DEFAULTED)
        held = member.positions.get(symbol)
        pos = held.qty if held is not None else 0
        reduces = pos * side < 0 and qty <= abs(pos)
        if member.liquidating and not (reduce_only and reduces):
            raise Rejection(Reason.ACCOUNT_LIQUIDATING)
        if reduces and not member.liquidating:
            # no margin needed, but the account must be able to pay for the trade: the taker
            # fee and the loss of trading away from the mark (else it ends flat and negative)
            mark = self.marking.marks.get(symbol, price)
            cost = (self.config.taker_fee + max(0, side * (price - mark)) * self.terms[symbol].tick_value) * qty
            if cost > self.marking.equity(account):
                raise Rejection(Reason.INSUFFICIENT_FUNDS,
                                f"the order may cost {usd(cost)} USD (fee and loss against the mark); "
                                f"equity is {usd(self.marking.equity(account))} USD")
        if reduces and reduce_only:
            return  # reducing a position never needs margin or limits
        work = member.working.get(symbol, (0, 0))
        worst = pos + work[0] + qty if side > 0 else pos - work[1] - qty
        limit = self.config.position_limit
        if self.is_spot_month(symbol):
            limit = min(limit, self.config.spot_month_limit)
        if abs(worst) > limit and abs(worst) > abs(pos):
            raise Rejection(Reason.POSITION_LIMIT, f"{abs(worst)} lots would exceed the limit of {limit}")
        if member.call_deadline is not None and not reduces:
            raise Rejection(Reason.ACCOUNT_IN_MARGIN_CALL)
        margins = self.margins
        if margins.margin is not None and not reduces:
            if self.fast_path:
                fast = margins.bound_and_equity(account, member, symbol, side, qty)
                if fast is not None and fast[0] <= fast[1]:
                    return  # equity covers a bound of the exact initial margin: accepted
            required = margins.initial_with_orders(member, symbol, side, qty)
            equity = self.marking.equity(account)
            if required > equity:
                raise Rejection(Reason.INSUFFICIENT_MARGIN,
                                f"initial margin {usd(required)} USD would exceed equity {usd(equity)} USD")

    def is_spot_month(self, symbol: str) -> bool:
        """Whether the contract is its product's nearest expiry; cached per symbol until a
        contract is listed or settled (`forget_terms`)."""
        spot = self.spot.get(symbol)
        if spot is None:
            terms = self.terms.get(symbol)
            if terms is None:
                return False
            expiries = [t.last_trade_ts for t in self.terms.values() if t.product == terms.product]
            spot = self.spot[symbol] = terms.last_trade_ts == min(expiries)
        return spot

    def forget_terms(self) -> None:
        """The listed contracts changed: the spot months may have too."""
        self.spot.clear()

    def on_working(self, account, symbol, side, qty_delta, price) -> None:
        member = self.accounts.members.get(account)
        if member is None:
            return
        work = member.working.setdefault(symbol, [0, 0])
        work[0 if side > 0 else 1] += qty_delta
