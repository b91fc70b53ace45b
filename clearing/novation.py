"""Novation: each fill becomes two positions facing the CCP, and the fees it costs.

Every fill adds +q x p to the buyer's `open_value` and -q x p to the seller's (see
clearing/marking.py for how that becomes variation margin), takes the filled lots out of both
orders' working quantity, and charges the taker fee, the maker fee or pays a market maker in
good standing its rebate. Called for every fill: compiled, with C types (novation.pxd).
"""

from __future__ import annotations

from clearing import clearing_events as E
from clearing.accounts import Accounts, Position
from clearing.config import ClearingConfig
from clearing.fast_events import *  # make(EventClass, values): see there
from clearing.ledger import FEES, cash_key
from clearing.trade import ClearedTrade

# the event made on the hot path, one per fill side
PositionChanged = E.PositionChanged
# the fees' reasons, as the plain strings the events carry
_TAKER_FEE = E.CashReason.TAKER_FEE.value
_MAKER_FEE = E.CashReason.MAKER_FEE.value
_MM_REBATE = E.CashReason.MM_REBATE.value


class Novation:
    def __init__(self, config: ClearingConfig, accounts: Accounts, marks: dict):
        self.config = config
        self.accounts = accounts
        self.marks = marks  # a fill is the first mark of a contract that has none yet

    def on_fill(self, trade: ClearedTrade, out: list) -> None:
        """The buyer and the seller each face the CCP; fees by maker and taker."""
        ts = trade.ts
        cfg = self.config
        accounts = self.accounts
        symbol, price, qty = trade.symbol, trade.price, trade.qty
        if symbol not in self.marks:
            self.marks[symbol] = price
        for account, sign in ((trade.buyer, 1), (trade.seller, -1)):
            member = accounts.members[account]
            pos = member.positions.get(symbol)
            if pos is None:
                pos = member.positions[symbol] = Position()
            pos.qty += sign * qty
            pos.open_value += sign * qty * price
            work = member.working.get(symbol)
            if work is not None:
                work[0 if sign > 0 else 1] -= qty
            out.append(make(PositionChanged, (accounts.sequencer.next(), ts, account, symbol, sign * qty,
                                              price, pos.qty)))
            taker = sign == trade.aggressor
            if taker:
                fee = cfg.taker_fee * qty
            elif member.market_maker and member.mm_in_good_standing:
                fee = (cfg.maker_fee - cfg.mm_rebate) * qty
            else:
                fee = cfg.maker_fee * qty
            if fee > 0:
                accounts.move(cash_key(account), FEES, fee, _TAKER_FEE if taker else _MAKER_FEE, account, ts, out)
            elif fee < 0:
                accounts.move(FEES, cash_key(account), -fee, _MM_REBATE, account, ts, out)
