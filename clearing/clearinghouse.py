"""The clearinghouse (CCP): novation, positions, the cash ledger, marks, variation margin,
the pre-trade risk gate, margin calls, liquidation, the default waterfall, final settlement.

It implements `clearing.risk_gate.RiskGate`, so the venue asks it before accepting an order and
hands it every fill. It knows nothing of order books: it receives fills (`ClearedTrade`), book
tops (best bid, best ask, last trade) for marking, index values and commands.

Positions and variation margin (all integers): per account and contract the CCP keeps the
position `qty`, the quantity and price at which it was last marked, and `open_value`, the sum
of signed quantity x price of the fills since that mark. At a mark M the variation margin is

    vm = tick_value x (qty x M - (marked_qty x marked_price + open_value))

Every fill adds +q x p to the buyer and -q x p to the seller, and every position of a contract
is marked at the same M, so a cycle sums to zero to the cent.

Equity = cash + the variation margin not yet settled. Initial and maintenance margin come from
the margin model (clearing/margin.py, a SPAN-like scenario scan) on the positions, and for the
pre-trade check on the worst case of the working orders filling.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass

import numpy as np

from clearing import clearing_events as E
from clearing.config import BPS, ClearingConfig
from clearing.events import Sequencer
from clearing.fast_events import *  # make(EventClass, values): see there
from clearing.index import IndexHistory, IndexPublication
from clearing.ledger import (
    CCP_CAPITAL,
    CCP_SKIN,
    EXTERNAL,
    FEES,
    Ledger,
    cash_key,
    fund_key,
)
from clearing.margin import unit_risk_array
from clearing.reasons import Reason, Rejection
from clearing.trade import ClearedTrade
from clearing.types import ClearingTerms, usd

# the events made on the hot path, one per fill side and per fee
CashMoved, PositionChanged = E.CashMoved, E.PositionChanged

VM_ACCOUNT = "ccp:vm"  # variation margin passes through here and nets to zero each cycle


class Position:
    __slots__ = ("qty", "marked_qty", "marked_price", "open_value")

    def __init__(self):
        self.qty = 0
        self.marked_qty = 0
        self.marked_price = 0
        self.open_value = 0  # sum of signed qty x price of fills since the last mark

    def unsettled(self, mark: int) -> int:
        """Variation margin in ticks x lots if marked at `mark` now."""
        return self.qty * mark - (self.marked_qty * self.marked_price + self.open_value)


_MEMBER_FIELDS = ("market_maker", "mm_in_good_standing", "call_deadline", "liquidating", "defaulted",
                  "positions", "working", "last_vm", "collateral_at_default")


class Member:
    """A member account at the clearinghouse: its standing, positions and working orders
    (a C type compiled: the pre-trade check and novation read it for every order and fill)."""

    __slots__ = _MEMBER_FIELDS

    def __init__(self, market_maker: bool = False):
        self.market_maker = market_maker
        self.mm_in_good_standing = True
        self.call_deadline: int | None = None  # ns, while a margin call runs
        self.liquidating = False
        self.defaulted = False
        self.positions: dict = {}  # symbol -> Position
        self.working: dict = {}  # symbol -> [buy lots, sell lots]
        self.last_vm = 0  # variation margin since the last mark cycle began (cents, + = gain)
        self.collateral_at_default = 0  # cash held when liquidation began (waterfall layer 1)

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in _MEMBER_FIELDS)
        return f"Member({fields})"


@dataclass(frozen=True)
class BookTop:
    best_bid: int | None
    best_ask: int | None
    last_trade: int | None


class ClearingHouse:
    clears = True  # clearing.port.ClearingPort.clears (stopgap until the clearing helper's merge)

    def __init__(self, config: ClearingConfig = ClearingConfig(), margin=None,
                 sequencer: Sequencer | None = None, fast_path: bool = True):
        self.config = config
        # check_order settles the margin check with a cheap upper bound when it can (see
        # `_bound_and_equity`); False always runs the exact scan (tests and benchmark baseline)
        self.fast_path = fast_path
        self.margin = margin  # a clearing.margin.MarginModel (None: no margin requirement)
        self.sequencer = sequencer or Sequencer()
        self.ledger = Ledger()
        self.ledger.open(VM_ACCOUNT)
        self.members: dict[str, Member] = {}
        self.terms: dict[str, ClearingTerms] = {}
        self.marks: dict[str, int] = {}
        self.basis: dict[str, int] = {}  # smoothed book basis over fair value, ticks
        self.index: dict[str, int] = {}  # micro-USD
        self.histories: dict[str, IndexHistory] = {}  # for the monthly settlement average
        self.guarantee_fund_required = 0
        self._capitalised = False
        self._unit_risk: dict[tuple[str, int], tuple[int, ...]] = {}  # (symbol, mark) -> array
        self._unit_loss: dict[str, tuple[int, str, int, int]] = {}  # symbol -> its worst losses
        self._cached_model = None  # the margin model the unit caches were filled for
        self._spot: dict[str, bool] = {}  # symbol -> nearest expiry of its product (listed ones)

    def bind_sequencer(self, sequencer: Sequencer) -> None:
        self.sequencer = sequencer

    def _emit(self, out: list, cls, ts: int, *fields) -> None:
        out.append(cls(self.sequencer.next(), ts, *fields))

    def _move(self, source: str, target: str, amount: int, reason: str, account, ts: int,
              out: list) -> None:
        """One ledger transfer and its CashMoved event (made with `make`: one per fee)."""
        if amount:
            self.ledger.transfer(source, target, amount)
            out.append(make(CashMoved, (self.sequencer.next(), ts, source, target, amount, reason, account)))

    # ------------------------------------------------------------------ accounts and cash

    def capitalise(self, ts: int, out: list) -> None:
        """The CCP's own capital comes in once; `skin_bps` of it sits in the waterfall."""
        if self._capitalised:
            return
        self._capitalised = True
        skin = self.config.skin_in_the_game
        self._move(EXTERNAL, CCP_SKIN, skin, "ccp_capital", None, ts, out)
        self._move(EXTERNAL, CCP_CAPITAL, self.config.ccp_capital - skin, "ccp_capital", None, ts, out)

    def open_account(self, account: str, ts: int, out: list, market_maker: bool = False) -> None:
        if type(account) is not str or not account or account.startswith(("ccp:", "external")):
            raise Rejection(Reason.INVALID_COMMAND, f"not a valid account id: {account!r}")
        if account in self.members:
            raise Rejection(Reason.ACCOUNT_EXISTS)
        self.capitalise(ts, out)
        self.members[account] = Member(market_maker=bool(market_maker))
        self.ledger.open(cash_key(account))
        self.ledger.open(fund_key(account))
        self._emit(out, E.AccountOpened, ts, account, bool(market_maker))

    def _member(self, account: str) -> Member:
        member = self.members.get(account)
        if member is None:
            raise Rejection(Reason.UNKNOWN_ACCOUNT, f"no account {account!r}")
        return member

    def deposit(self, account: str, amount: int, ts: int, out: list) -> None:
        member = self._member(account)
        if member.defaulted:
            raise Rejection(Reason.ACCOUNT_DEFAULTED)
        if type(amount) is not int or amount <= 0:
            raise Rejection(Reason.INVALID_AMOUNT)
        self._move(EXTERNAL, cash_key(account), amount, "deposit", account, ts, out)

    def withdraw(self, account: str, amount: int, ts: int, out: list) -> None:
        member = self._member(account)
        if type(amount) is not int or amount <= 0:
            raise Rejection(Reason.INVALID_AMOUNT)
        if member.liquidating or member.defaulted:
            raise Rejection(Reason.ACCOUNT_LIQUIDATING if member.liquidating else Reason.ACCOUNT_DEFAULTED)
        room = self.withdrawable(account)
        if amount > room:
            raise Rejection(Reason.INSUFFICIENT_FUNDS,
                            f"{usd(max(room, 0))} USD can be withdrawn: the excess over initial margin, "
                            f"less variation-margin gains not paid yet")
        self._move(cash_key(account), EXTERNAL, amount, "withdrawal", account, ts, out)

    # ------------------------------------------------------------------ contracts, index, marks

    def list_contract(self, terms: ClearingTerms, ts: int, out: list) -> None:
        self.terms[terms.symbol] = terms
        self._forget_terms()
        self._emit(out, E.ContractCleared, ts, terms.symbol, terms.index_name)

    def set_index(self, name: str, value: int, ts: int, out: list) -> None:
        self.index[name] = value
        history = self.histories.get(name)
        if history is None:
            history = self.histories[name] = IndexHistory()
        history.add(IndexPublication(name, ts, value, "ok", 0, 0, {}, (), ""))

    def settlement_price(self, symbol: str) -> int | None:
        """The final settlement price (ticks) of a contract: the average of the daily index
        fixings over its contract month (see docs/sit-index.md); without any fixing in that
        month, the last mark."""
        terms = self.terms.get(symbol)
        history = self.histories.get(terms.index_name) if terms else None
        value = history.monthly_settlement_value(terms.year, terms.month) if history else None
        if value is None:  # no fixing in the contract month: the last mark
            return self.marks.get(symbol)
        return terms.ticks_from_index(value)

    def fair_value(self, symbol: str) -> int | None:
        """Index-implied fair value in ticks (no carry: the index is the best forecast of
        the contract month's average)."""
        terms = self.terms[symbol]
        value = self.index.get(terms.index_name)
        return None if value is None else terms.ticks_from_index(value)

    def _new_mark(self, symbol: str, top) -> tuple[int | None, int | None, int, str]:
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
            source = "book" if mid is not None else "last_trade" if last is not None else "previous"
            mark = mid if mid is not None else last if last is not None else self.marks.get(symbol)
            return mark, None, 0, source
        basis = self.basis.get(symbol, 0)
        if mid is not None:
            basis += (mid - fair - basis) * cfg.basis_alpha_bps // BPS
        clamp = fair * cfg.basis_clamp_bps // BPS
        basis = max(-clamp, min(clamp, basis))
        self.basis[symbol] = basis
        return fair + basis, fair, basis, "index+basis"

    # ------------------------------------------------------------------ the risk gate

    def position(self, account: str, symbol: str) -> int:
        member = self.members.get(account)
        pos = member.positions.get(symbol) if member else None
        return pos.qty if pos else 0

    def check_order(self, account, symbol, side, qty, price, reduce_only) -> None:
        member = self._member(account)
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
            mark = self.marks.get(symbol, price)
            cost = (self.config.taker_fee + max(0, side * (price - mark)) * self.terms[symbol].tick_value) * qty
            if cost > self.equity(account):
                raise Rejection(Reason.INSUFFICIENT_FUNDS,
                                f"the order may cost {usd(cost)} USD (fee and loss against the mark); "
                                f"equity is {usd(self.equity(account))} USD")
        if reduces and reduce_only:
            return  # reducing a position never needs margin or limits
        work = member.working.get(symbol, (0, 0))
        worst = pos + work[0] + qty if side > 0 else pos - work[1] - qty
        limit = self.config.position_limit
        if self._is_spot_month(symbol):
            limit = min(limit, self.config.spot_month_limit)
        if abs(worst) > limit and abs(worst) > abs(pos):
            raise Rejection(Reason.POSITION_LIMIT, f"{abs(worst)} lots would exceed the limit of {limit}")
        if member.call_deadline is not None and not reduces:
            raise Rejection(Reason.ACCOUNT_IN_MARGIN_CALL)
        if self.margin is not None and not reduces:
            if self.fast_path:
                fast = self._bound_and_equity(account, member, symbol, side, qty)
                if fast is not None and fast[0] <= fast[1]:
                    return  # equity covers a bound of the exact initial margin: accepted
            required = self._initial_with_orders(member, symbol, side, qty)
            equity = self.equity(account)
            if required > equity:
                raise Rejection(Reason.INSUFFICIENT_MARGIN,
                                f"initial margin {usd(required)} USD would exceed equity {usd(equity)} USD")

    def _is_spot_month(self, symbol: str) -> bool:
        """Whether the contract is its product's nearest expiry; cached per symbol until a
        contract is listed or settled (`_forget_terms`)."""
        spot = self._spot.get(symbol)
        if spot is None:
            terms = self.terms.get(symbol)
            if terms is None:
                return False
            expiries = [t.last_trade_ts for t in self.terms.values() if t.product == terms.product]
            spot = self._spot[symbol] = terms.last_trade_ts == min(expiries)
        return spot

    def _forget_terms(self) -> None:
        """The listed contracts changed: drop what was derived from their terms."""
        self._spot.clear()
        self._unit_risk.clear()
        self._unit_loss.clear()

    def on_working(self, account, symbol, side, qty_delta, price) -> None:
        member = self.members.get(account)
        if member is None:
            return
        work = member.working.setdefault(symbol, [0, 0])
        work[0 if side > 0 else 1] += qty_delta

    def on_fill(self, trade: ClearedTrade, out: list) -> None:
        """Novation: the buyer and the seller each face the CCP; fees by maker and taker."""
        ts = trade.ts
        cfg = self.config
        symbol, price, qty = trade.symbol, trade.price, trade.qty
        if symbol not in self.marks:
            self.marks[symbol] = price
        for account, sign in ((trade.buyer, 1), (trade.seller, -1)):
            member = self.members[account]
            pos = member.positions.get(symbol)
            if pos is None:
                pos = member.positions[symbol] = Position()
            pos.qty += sign * qty
            pos.open_value += sign * qty * price
            work = member.working.get(symbol)
            if work is not None:
                work[0 if sign > 0 else 1] -= qty
            out.append(make(PositionChanged, (self.sequencer.next(), ts, account, symbol, sign * qty, price,
                                              pos.qty)))
            taker = sign == trade.aggressor
            if taker:
                fee = cfg.taker_fee * qty
            elif member.market_maker and member.mm_in_good_standing:
                fee = (cfg.maker_fee - cfg.mm_rebate) * qty
            else:
                fee = cfg.maker_fee * qty
            if fee > 0:
                self._move(cash_key(account), FEES, fee, "taker_fee" if taker else "maker_fee", account, ts, out)
            elif fee < 0:
                self._move(FEES, cash_key(account), -fee, "mm_rebate", account, ts, out)

    def set_market_maker_standing(self, account: str, good: bool, ts: int = 0,
                                  out: list | None = None) -> None:
        member = self._member(account)
        if not member.market_maker:
            raise Rejection(Reason.INVALID_COMMAND, f"{account} is not a registered market maker")
        if type(good) is not bool:
            raise Rejection(Reason.INVALID_COMMAND, "good standing is true or false")
        member.mm_in_good_standing = good
        if out is not None:
            self._emit(out, E.MarketMakerStanding, ts, account, good)

    # ------------------------------------------------------------------ equity and margin

    def unsettled(self, account: str) -> int:
        """Variation margin (cents) the account would receive (+) or pay at the current marks."""
        member = self.members[account]
        total = 0
        for symbol, pos in member.positions.items():
            mark = self.marks.get(symbol)
            if mark is not None:
                total += pos.unsettled(mark) * self.terms[symbol].tick_value
        return total

    def cash(self, account: str) -> int:
        return self.ledger.balance(cash_key(account))

    def equity(self, account: str) -> int:
        return self.cash(account) + self.unsettled(account)

    def _positions(self, member: Member) -> dict:
        return {s: p.qty for s, p in member.positions.items() if p.qty}

    def requirement(self, account: str):
        """(initial, maintenance) margin in cents on the positions."""
        member = self.members[account]
        positions = self._positions(member)
        if self.margin is None or not positions:
            return 0, 0
        marks = {s: self.marks[s] for s in positions}
        terms = {s: self.terms[s] for s in positions}
        req = self.margin.requirement(positions, marks, terms)
        return req.initial, req.maintenance

    def _initial_with_orders(self, member: Member, symbol: str | None = None, side: int = 0,
                             qty: int = 0) -> int:
        """Initial margin on the worst case of the member's working orders filling, with a new
        order of `qty` lots on `side` of `symbol` added when given."""
        positions = self._positions(member)
        buys = {s: w[0] for s, w in member.working.items() if w[0] > 0}
        sells = {s: w[1] for s, w in member.working.items() if w[1] > 0}
        if symbol is not None:
            book = buys if side > 0 else sells
            book[symbol] = book.get(symbol, 0) + qty
        symbols = set(positions) | set(buys) | set(sells)
        marks = {}
        for s in symbols:
            mark = self.marks.get(s)
            if mark is None:
                mark = self.fair_value(s)
            if mark is None:
                raise Rejection(Reason.NO_REFERENCE_PRICE, f"{s} has no mark or index value yet")
            marks[s] = mark
        if hasattr(self._margin_caches(), "requirement_from_risk"):
            return self._scan_initial_with_orders(positions, buys, sells, marks)
        terms = {s: self.terms[s] for s in symbols}
        req = self.margin.requirement_with_orders(positions, buys, sells, marks, terms)
        return req.initial

    def _unit(self, symbol: str, mark: int) -> tuple[int, ...]:
        """The contract's unit risk array at `mark`, computed once per mark."""
        key = (symbol, mark)
        unit = self._unit_risk.get(key)
        if unit is None:
            if len(self._unit_risk) >= 4_096:
                self._unit_risk.clear()
            terms = self.terms[symbol]
            unit = self._unit_risk[key] = unit_risk_array(
                terms, self.margin.product_params(terms.product), mark)
        return unit

    def _margin_caches(self):
        """The margin model, after dropping the unit risks cached for another one (they depend
        on its parameters), so that a model swapped in is used at once by both paths."""
        margin = self.margin
        if margin is not self._cached_model:
            self._unit_risk.clear()
            self._unit_loss.clear()
            self._cached_model = margin
        return margin

    def _unit_losses(self, symbol: str, mark: int) -> tuple[int, str, int, int] | None:
        """(mark, product, max(unit risk), max(-unit risk)): the largest loss in cents of one
        long and of one short contract over the scenarios at `mark`, cached per symbol for its
        latest mark; None where the exact scan would raise (no terms, a mark <= 0, a product
        without margin parameters), which `_bound_and_equity` leaves to the scan."""
        terms = self.terms.get(symbol)
        if terms is None or mark <= 0 or terms.product not in self.margin.params.products:
            return None
        unit = self._unit(symbol, mark)
        entry = self._unit_loss[symbol] = (mark, terms.product, max(0, max(unit)), max(0, -min(unit)))
        return entry

    def _bound_and_equity(self, account: str, member: Member, symbol: str, side: int,
                          qty: int) -> tuple[int, int] | None:
        """(an upper bound of `_initial_with_orders(member, symbol, side, qty)`, `equity`),
        both from one pass over the member's contracts; None where the bound is not formed
        (then the exact scan decides, raising what it raises): a margin model without
        `initial_bound`, qty <= 0, a contract without terms, without a positive mark or fair
        value, or of a product without margin parameters.

        Why it bounds: per contract s let p be the position, B and S the working buys and
        sells (negative ones count 0, as in the exact path) with the new order added, so each
        of the exact path's three cases holds q in [lo, hi] = [p - S, p + B]. In any scenario i
        the product's risk is the sum over s of q x unit_s[i], and q x unit_s[i] is at most
        hi x max(unit_s) when q > 0 and -lo x max(-unit_s) when q < 0, so the scan risk of
        every case is at most L = sum of max(hi+ x max(unit_s), lo- x max(-unit_s)); each
        case's gross lots are at most G = sum of max(|hi|, |lo|). `MarginModel.initial_bound`
        turns (L, G) into the product's initial margin by the same monotone ceilings, so the
        sum over products is at least the exact worst case summed over products. Contracts
        with p = B = S = 0 add nothing to the bound (the exact path leaves them out too), only
        their unsettled variation margin to equity."""
        margin = self._margin_caches()
        bound_of = getattr(margin, "initial_bound", None)
        if bound_of is None or qty <= 0:
            return None
        positions, working, marks, terms = member.positions, member.working, self.marks, self.terms
        cache = self._unit_loss
        vm = 0  # `unsettled`, summed on the way
        exposure: dict[str, tuple[int, int]] = {}  # product -> (loss bound, gross lots)
        for s in {*positions, *working, symbol}:
            mark = marks.get(s)
            pos = positions.get(s)
            hi = lo = 0
            if pos is not None:
                hi = lo = pos.qty
                if mark is not None:
                    vm += pos.unsettled(mark) * terms[s].tick_value
            work = working.get(s)
            if work is not None:
                if work[0] > 0:
                    hi += work[0]
                if work[1] > 0:
                    lo -= work[1]
            if s == symbol:
                if side > 0:
                    hi += qty
                else:
                    lo -= qty
            if not hi and not lo:
                continue
            if mark is None:
                mark = self.fair_value(s) if s in terms else None
                if mark is None:
                    return None
            entry = cache.get(s)
            if entry is None or entry[0] != mark:
                entry = self._unit_losses(s, mark)
                if entry is None:
                    return None
            _, product, up, down = entry
            loss = hi * up if hi > 0 else 0
            if lo < 0 and -lo * down > loss:
                loss = -lo * down
            lots = -lo if hi + lo < 0 else hi  # max(|hi|, |lo|), as hi >= lo
            acc = exposure.get(product)
            exposure[product] = (loss, lots) if acc is None else (acc[0] + loss, acc[1] + lots)
        return bound_of(exposure), self.ledger.balances[cash_key(account)] + vm

    def _scan_initial_with_orders(self, positions: dict, buys: dict, sells: dict, marks: dict) -> int:
        """The margin model's `requirement_with_orders(...).initial` (per product the worst of
        no order / all buys / all sells filling, summed), built from cached unit risk arrays
        and `requirement_from_risk` instead of rescanning every contract for every case."""
        by_product: dict[str, list[str]] = {}
        for s in {*positions, *buys, *sells}:
            by_product.setdefault(self.terms[s].product, []).append(s)
        total = 0
        for product, symbols in by_product.items():
            worst = (0, 0)
            for case in (0, 1, -1):
                risk = None
                longs = shorts = 0
                for s in symbols:
                    q = positions.get(s, 0)
                    if case > 0:
                        q += buys.get(s, 0)
                    elif case < 0:
                        q -= sells.get(s, 0)
                    if q == 0:
                        continue
                    unit = self._unit(s, marks[s])
                    risk = [q * u for u in unit] if risk is None else [r + q * u for r, u in zip(risk, unit)]
                    if q > 0:
                        longs += q
                    else:
                        shorts -= q
                if risk is not None:
                    req = self.margin.requirement_from_risk({product: risk}, {product: min(longs, shorts)})
                    worst = max(worst, (req.initial, req.maintenance))
            total += worst[0]
        return total

    def excess(self, account: str) -> int:
        """Equity over initial margin, working orders counted at their worst (positions only
        while a contract with working orders has no reference price yet)."""
        initial, _ = self.requirement(account)
        member = self.members[account]
        if self.margin is not None and any(w[0] or w[1] for w in member.working.values()):
            try:
                initial = self._initial_with_orders(member)
            except Rejection:
                pass
        return self.equity(account) - initial

    def withdrawable(self, account: str, excess: int | None = None) -> int:
        """What a withdrawal may take: the excess over initial margin (working orders
        included; pass it when already computed), less the variation-margin gains not paid
        yet. A gain counts as margin the moment it is made, but its cash comes from the losers
        at the next cycle; paying it out before then would let a member leave with money the
        CCP has not collected (and a flat member's cash go negative once its fees are charged)."""
        if excess is None:
            excess = self.excess(account)
        return excess - max(0, self.unsettled(account))

    def account_summary(self, account: str) -> dict:
        """Cash, equity and margin as a member sees them. `initial_margin` and
        `maintenance_margin` are on the positions; `order_margin` is what the working orders
        add at their worst, and `excess` is what is left over both: the room the pre-trade
        check sees (as a futures venue's "available funds"); `withdrawable` is that less
        the variation-margin gains not paid yet."""
        member = self._member(account)
        initial, maintenance = self.requirement(account)
        equity = self.equity(account)
        excess = self.excess(account)
        return {"cash": self.cash(account), "equity": equity, "initial_margin": initial,
                "maintenance_margin": maintenance, "order_margin": equity - initial - excess,
                "excess": excess, "withdrawable": self.withdrawable(account, excess),
                "guarantee_fund": self.ledger.balance(fund_key(account)),
                "margin_call": member.call_deadline is not None,
                "margin_call_deadline": member.call_deadline,
                "liquidating": member.liquidating, "defaulted": member.defaulted}

    def positions(self, account: str) -> dict:
        return self._positions(self._member(account))

    def position_marks(self, account: str) -> dict[str, tuple[int | None, int]]:
        """symbol -> (the mark in ticks, or None before the first; the variation margin in
        cents the open position would receive (+) or pay at that mark, since the last cycle)."""
        member = self._member(account)
        out = {}
        for symbol, pos in member.positions.items():
            if pos.qty:
                mark = self.marks.get(symbol)
                out[symbol] = (mark, pos.unsettled(mark) * self.terms[symbol].tick_value
                               if mark is not None else 0)
        return out

    # ------------------------------------------------------------------ mark and VM cycle

    def mark_cycle(self, ts: int, books: dict, out: list, end_of_day: bool = False) -> list[str]:
        """Mark every contract, settle variation margin, check margin. Returns the accounts the
        venue must liquidate now (margin call not cured in time, or below the hard floor)."""
        for symbol in sorted(self.terms):
            top = books.get(symbol)
            if top is None:
                continue
            mark, fair, basis, source = self._new_mark(symbol, top)
            if mark is not None:
                self.marks[symbol] = mark
                self._emit(out, E.MarkSet, ts, symbol, mark, fair, basis, source)
        self._settle_variation_margin(ts, out, end_of_day)
        liquidate = self._margin_checks(ts, out)
        self._cover_deficits(ts, out)
        return liquidate

    def _cover_deficits(self, ts: int, out: list) -> None:
        """A member with no position left and negative cash cannot cure by trading: its
        deficit is a default and goes through the waterfall."""
        for account in sorted(self.members):
            member = self.members[account]
            if not member.liquidating and not self._positions(member) and self.cash(account) < 0:
                self._waterfall(account, -self.cash(account), ts, out)

    def _settle_variation_margin(self, ts: int, out: list, end_of_day: bool,
                                 new_cycle: bool = True) -> None:
        """Settle every position to the marks. A liquidation's settlement (`new_cycle` False)
        adds to the cycle's gains instead of replacing them: those gains are the base of the
        waterfall's last layer, the variation-margin haircut."""
        flows: list[tuple[str, int]] = []
        for account in sorted(self.members):
            member = self.members[account]
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
                self._move(cash_key(account), VM_ACCOUNT, -vm, "variation_margin", account, ts, out)
                collected += -vm
        paid = 0
        for account, vm in flows:
            if vm > 0:
                self._move(VM_ACCOUNT, cash_key(account), vm, "variation_margin", account, ts, out)
                paid += vm
        assert paid == collected and self.ledger.balance(VM_ACCOUNT) == 0, "VM cycle not zero-sum"
        self._emit(out, E.VariationMarginCycle, ts, end_of_day, paid, collected, len(flows))

    def requirements_of(self, accounts: list[str]) -> dict[str, tuple[int, int]]:
        """(initial, maintenance) of many accounts' positions: one vectorised pass of the
        margin model over all of them where it offers one (equal to the per-account
        `requirement`, which the margin tests prove), else the per-account loop."""
        vectorised = getattr(self.margin, "requirements", None)
        holdings = {a: self._positions(self.members[a]) for a in accounts}
        symbols = sorted({s for held in holdings.values() for s in held})
        if vectorised is None or not symbols or any(s not in self.marks for s in symbols):
            return {a: self.requirement(a) for a in accounts}
        column = {s: j for j, s in enumerate(symbols)}
        positions = np.zeros((len(accounts), len(symbols)), dtype=np.int64)
        for i, a in enumerate(accounts):
            for s, q in holdings[a].items():
                positions[i, column[s]] = q
        marks = np.array([self.marks[s] for s in symbols], dtype=np.int64)
        initial, maintenance = vectorised(positions, marks, [self.terms[s] for s in symbols])
        return {a: (int(initial[i]), int(maintenance[i])) for i, a in enumerate(accounts)}

    def _margin_checks(self, ts: int, out: list) -> list[str]:
        cfg = self.config
        liquidate: list[str] = []
        reasons: dict[str, str] = {}
        checked = [a for a in sorted(self.members) if not self.members[a].liquidating
                   and not self.members[a].defaulted and self._positions(self.members[a])]
        required = self.requirements_of(checked)
        for account in sorted(self.members):
            member = self.members[account]
            if member.liquidating or member.defaulted or not self._positions(member):
                if member.call_deadline is not None and not self._positions(member):
                    member.call_deadline = None
                continue
            initial, maintenance = required[account]
            equity = self.equity(account)
            below_floor = equity < maintenance * cfg.hard_floor_bps // BPS
            if member.call_deadline is not None:
                if equity >= initial:
                    member.call_deadline = None
                    self._emit(out, E.MarginCallCured, ts, account, equity, maintenance)
                elif below_floor:  # the floor does not wait for the cure period
                    liquidate.append(account)
                    reasons[account] = "hard_floor"
                elif ts >= member.call_deadline:
                    liquidate.append(account)
                    reasons[account] = "cure_period_expired"
                continue
            if equity < maintenance:
                if below_floor:
                    liquidate.append(account)
                    reasons[account] = "hard_floor"
                    self._emit(out, E.MarginCall, ts, account, equity, maintenance, initial, ts)
                else:
                    member.call_deadline = ts + cfg.cure_period_ns
                    self._emit(out, E.MarginCall, ts, account, equity, maintenance, initial,
                               member.call_deadline)
        for account in liquidate:
            member = self.members[account]
            member.liquidating = True
            member.collateral_at_default = max(0, self.cash(account))
            self._emit(out, E.LiquidationStarted, ts, account, reasons[account])
        return liquidate

    # ------------------------------------------------------------------ liquidation and default

    def liquidation_plan(self, account: str) -> list[tuple[str, int, int]]:
        """(symbol, side, qty) orders that would close every position of the account."""
        member = self._member(account)
        return [(s, -1 if q > 0 else 1, abs(q)) for s, q in sorted(self._positions(member).items())]

    def finish_liquidation(self, account: str, ts: int, out: list) -> None:
        """After the close-out through the book: allocate what is left at the mark to the
        holders of opposite positions (pro rata to their size, leftover lots by account id),
        settle, and run any loss beyond the account's cash through the default waterfall."""
        member = self._member(account)
        for symbol, qty in sorted(self._positions(member).items()):
            self._allocate(account, symbol, qty, ts, out)
        self._settle_variation_margin(ts, out, False, new_cycle=False)
        loss = -self.cash(account)
        if loss > 0:
            self._waterfall(account, loss, ts, out)
        member.liquidating = False
        member.call_deadline = None

    def _allocate(self, account: str, symbol: str, qty: int, ts: int, out: list) -> None:
        mark = self.marks[symbol]
        holders = sorted((a, m.positions[symbol].qty) for a, m in self.members.items()
                         if a != account and symbol in m.positions and m.positions[symbol].qty * qty < 0)
        total = sum(abs(q) for _, q in holders)
        if total == 0:
            return
        shares = [(a, abs(q) * abs(qty) // total, abs(q)) for a, q in holders]
        left = abs(qty) - sum(s for _, s, _ in shares)
        alloc = []
        for a, s, cap in shares:
            extra = min(left, cap - s)
            left -= extra
            alloc.append((a, s + extra))
        sign = 1 if qty > 0 else -1
        for a, q in alloc:
            if not q:
                continue
            for who, signed in ((a, sign * q), (account, -sign * q)):
                pos = self.members[who].positions[symbol]
                pos.qty += signed
                pos.open_value += signed * mark
                self._emit(out, E.PositionChanged, ts, who, symbol, signed, mark, pos.qty)
            self._emit(out, E.PositionsAllocated, ts, account, symbol, sign * q, mark, a)

    def _waterfall(self, defaulter: str, loss: int, ts: int, out: list) -> None:
        """Defaulter's margin (already consumed: its cash is negative), its guarantee-fund
        contribution, the CCP's skin in the game, the others' contributions pro rata, then
        haircuts on the last cycle's variation-margin gains."""
        target = cash_key(defaulter)
        self._emit(out, E.AccountDefaulted, ts, defaulter, loss)
        member = self.members[defaulter]
        member.defaulted = True
        # layer 1: the defaulter's own margin, the cash it held when its liquidation began,
        # already consumed by the losses that left its cash at -loss
        self._emit(out, E.WaterfallUsed, ts, defaulter, "defaulter_margin", member.collateral_at_default)
        layers = [("defaulter_fund", [(fund_key(defaulter), self.ledger.balance(fund_key(defaulter)))]),
                  ("skin_in_the_game", [(CCP_SKIN, self.ledger.balance(CCP_SKIN))])]
        others = [(fund_key(a), self.ledger.balance(fund_key(a))) for a in sorted(self.members)
                  if a != defaulter and self.ledger.balance(fund_key(a)) > 0]
        layers.append(("members_fund", others))
        # a gainer gives back at most its gain, and never more than the cash it still has
        gains = [(cash_key(a), min(m.last_vm, self.cash(a))) for a, m in sorted(self.members.items())
                 if a != defaulter and m.last_vm > 0 and self.cash(a) > 0]
        layers.append(("vm_haircut", gains))
        for layer, sources in layers:
            if loss <= 0:
                break
            available = sum(max(0, amount) for _, amount in sources)
            take = min(loss, available)
            if take <= 0:
                continue
            shares = _pro_rata(take, [max(0, a) for _, a in sources])
            for (source, _), share in zip(sources, shares):
                self._move(source, target, share, layer, defaulter, ts, out)
            self._emit(out, E.WaterfallUsed, ts, defaulter, layer, take)
            loss -= take

    # ------------------------------------------------------------------ guarantee fund

    def size_guarantee_fund(self, ts: int, out: list) -> int:
        """Cover-2 (or Cover-1): the fund covers the default of the two (one) members with the
        largest uncovered stressed losses. A member's stressed loss is the worst, over extreme
        but plausible scenarios, of its positions' loss: every product moving up or down by
        `stress_multiple` scan ranges, or its one-off event cut in full. Uncovered = stressed
        loss less the initial margin it posts. Contributions are called from members' cash pro
        rata to their initial margin. Returns the required size."""
        cfg = self.config
        needs = {}
        uncovered = []
        for account in sorted(self.members):
            initial, _ = self.requirement(account)
            needs[account] = initial
            uncovered.append(max(0, self.stressed_loss(account) - initial))
        uncovered.sort(reverse=True)
        required = max(cfg.gf_minimum, sum(uncovered[:cfg.cover]))
        self.guarantee_fund_required = required
        total_im = sum(needs.values())
        if total_im:
            accounts = [a for a in sorted(needs) if not self.members[a].defaulted]
            shares = _pro_rata(required, [needs[a] for a in accounts])
            for account, share in zip(accounts, shares):
                have = self.ledger.balance(fund_key(account))
                want = share - have
                if want > 0:
                    want = min(want, max(0, self.cash(account)))
                    self._move(cash_key(account), fund_key(account), want, "guarantee_fund", account, ts, out)
                elif want < 0:
                    self._move(fund_key(account), cash_key(account), -want, "guarantee_fund", account, ts, out)
        self._emit(out, E.GuaranteeFundSized, ts, cfg.cover, required, uncovered[:cfg.cover],
                   self.ledger.balance(CCP_SKIN))
        return required

    def stressed_loss(self, account: str) -> int:
        """Loss in cents of the account's positions in the worst stress scenario, per product:
        +-`stress_multiple` scan ranges, or the product's event cut counted in full."""
        member = self.members[account]
        if self.margin is None:
            return 0
        by_product: dict[str, list[int]] = {}
        for symbol, qty in self._positions(member).items():
            terms = self.terms[symbol]
            mark = self.marks.get(symbol) or self.fair_value(symbol)
            if mark is None:
                continue
            params = self.margin.product_params(terms.product)
            move = math.ceil(params.scan_range * mark * self.config.stress_multiple_bps / BPS)
            cut = math.ceil(params.event_cut * mark)
            losses = by_product.setdefault(terms.product, [0, 0, 0])
            v = qty * terms.tick_value
            losses[0] += -v * move  # up
            losses[1] += v * move  # down
            losses[2] += v * cut  # event cut
        return sum(max(0, max(losses)) for losses in by_product.values())

    # ------------------------------------------------------------------ final settlement

    def final_settlement(self, symbol: str, price: int, ts: int, out: list) -> None:
        """Last variation margin against the settlement price, then every position closed."""
        self.marks[symbol] = price
        self._emit(out, E.MarkSet, ts, symbol, price, None, 0, "final_settlement")
        self._settle_variation_margin(ts, out, True)
        open_interest = 0
        for member in self.members.values():
            pos = member.positions.pop(symbol, None)
            if pos is not None and pos.qty > 0:
                open_interest += pos.qty
            member.working.pop(symbol, None)
        self._emit(out, E.FinalSettlement, ts, symbol, price, open_interest)
        self._cover_deficits(ts, out)
        self.terms.pop(symbol, None)
        self.marks.pop(symbol, None)
        self.basis.pop(symbol, None)
        self._forget_terms()

    # ------------------------------------------------------------------ checks

    def open_interest(self, symbol: str) -> int:
        return sum(m.positions[symbol].qty for m in self.members.values()
                   if symbol in m.positions and m.positions[symbol].qty > 0)

    def ledger_summary(self) -> dict:
        balances = dict(self.ledger.balances)
        return {"balances": balances, "held": self.ledger.held(), "inflow": self.ledger.inflow,
                "outflow": self.ledger.outflow, "guarantee_fund_required": self.guarantee_fund_required}

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


def _pro_rata(total: int, weights: list[int]) -> list[int]:
    """Split `total` in proportion to `weights`, rounding down, leftover units in list order."""
    s = sum(weights)
    if s == 0:
        return [0] * len(weights)
    shares = [total * w // s for w in weights]
    left = total - sum(shares)
    for i, w in enumerate(weights):
        if left == 0:
            break
        if w > 0:
            shares[i] += 1
            left -= 1
    return shares
