"""Listing and expiry of contracts, and the prices their bands and limits hang on.

Contracts are listed by the products' calendar (ListContracts; an expiry lists the next
month). A reference price (SetReferencePrice, or an index publication for a contract with no
settlement yet) sets the band's anchor; a settlement price also resets the daily limits, and
cancels resting orders beyond them. Expiry cancels every live order, and the clearing settles
every open position at the final settlement price (given, or the clearing's own: the monthly
index average).
"""

from __future__ import annotations

from clearing.port import ClearingPort
from clearing.reasons import Reason, Rejection
from exchange import commands as C
from exchange.contracts import listing_calendar
from exchange.events import (CancelReason, ContractListed, IndexPublished, ReferencePriceSet,
                             StatusReason)
from exchange.market import EXPIRED, Market
from exchange.timers import LAST_TRADE

_OUTSIDE_LIMIT = CancelReason.OUTSIDE_LIMIT.value
_CONTRACT_EXPIRED = CancelReason.CONTRACT_EXPIRED.value
_EXPIRY = StatusReason.EXPIRY.value


class Listing:
    __slots__ = ("products", "markets", "index", "seq", "gate", "timers", "matcher", "states",
                 "initial_state")

    def __init__(self, products: dict, markets: dict, index: dict, seq, gate: ClearingPort, timers,
                 matcher, states, initial_state: str):
        self.products = products
        self.markets = markets
        self.index = index  # the latest value of each index (micro-USD)
        self.seq = seq
        self.gate = gate
        self.timers = timers  # each contract's last trading time
        self.matcher = matcher  # cancels orders
        self.states = states
        self.initial_state = initial_state  # of a new contract

    def list_contracts(self, c: C.ListContracts, out: list) -> None:
        for product in self.products.values():
            for spec in listing_calendar(product, c.ts):
                if spec.symbol in self.markets:
                    continue
                m = self.markets[spec.symbol] = Market(spec, self.initial_state)
                self.seq.last += 1
                out.append(ContractListed(self.seq.last, c.ts, spec.symbol, product.code,
                                          spec.year, spec.month, spec.last_trade_ts))
                self.gate.list_contract(spec.clearing_terms(), c.ts, out)
                self.timers.add(spec.last_trade_ts, LAST_TRADE, spec.symbol)
                value = self.index.get(product.index_name)
                if value is not None:
                    self.apply_reference(m, spec.clearing_terms().ticks_from_index(value), True, c.ts, out)

    def expire_contract(self, c: C.ExpireContract, out: list) -> None:
        m = self.markets.get(c.symbol)
        if m is None:
            raise Rejection(Reason.UNKNOWN_SYMBOL, f"no listed contract {c.symbol!r}")
        if m.state == EXPIRED:
            raise Rejection(Reason.MARKET_EXPIRED)
        if c.settlement_price is not None and (type(c.settlement_price) is not int or c.settlement_price <= 0):
            raise Rejection(Reason.INVALID_PRICE)
        for o in self.matcher.live.in_symbol(m.symbol):
            self.matcher.cancel(m, o, _CONTRACT_EXPIRED, c.ts, out)
        m.state = EXPIRED
        m.halt_until = None
        self.states.state_event(m, _EXPIRY, c.ts, out)
        price = c.settlement_price
        if price is None:
            price = self.gate.settlement_price(c.symbol)  # the monthly index average
        if price is not None:
            self.gate.final_settlement(c.symbol, price, c.ts, out)
        self.list_contracts(C.ListContracts(c.ts), out)

    def set_reference(self, c: C.SetReferencePrice, out: list) -> None:
        m = self.markets.get(c.symbol)
        if m is None:
            raise Rejection(Reason.UNKNOWN_SYMBOL, f"no listed contract {c.symbol!r}")
        if type(c.price) is not int or c.price <= 0:
            raise Rejection(Reason.INVALID_PRICE)
        self.apply_reference(m, c.price, c.settlement, c.ts, out)

    def apply_reference(self, m: Market, price: int, settlement: bool, ts: int, out: list) -> None:
        if settlement:
            m.set_settlement(price)
            # resting orders beyond the new limits could trade beyond them: they go
            for o in self.matcher.live.in_symbol(m.symbol):
                p = o.price if o.price is not None else o.stop_price
                if p > m.limit_high or p < m.limit_low:
                    self.matcher.cancel(m, o, _OUTSIDE_LIMIT, ts, out)
        else:
            m.reference = price
            if m.last_trade is None:
                m.band_anchor = price
        self.seq.last += 1
        out.append(ReferencePriceSet(self.seq.last, ts, m.symbol, price, settlement,
                                     m.limit_low, m.limit_high))

    def publish_index(self, c: C.PublishIndex, out: list) -> None:
        """An index value: the clearing's reference for marks, and the settlement (so the
        band and the limits) of every contract on it that has none yet."""
        if type(c.value) is not int or c.value <= 0:
            raise Rejection(Reason.INVALID_AMOUNT, "an index value is a positive integer (micro-USD)")
        self.seq.last += 1
        out.append(IndexPublished(self.seq.last, c.ts, c.name, c.value))
        self.gate.set_index(c.name, c.value, c.ts, out)
        self.index[c.name] = c.value
        for m in self.markets.values():
            if m.spec.product.index_name == c.name and m.settlement is None and m.state != EXPIRED:
                self.apply_reference(m, m.spec.clearing_terms().ticks_from_index(c.value), True, c.ts, out)
