"""Each account's margin: what its positions require, what its working orders add at their
worst, the room left over (excess) and what it may withdraw.

The algorithms live in the margin model (clearing/margin.py, a SPAN-like scenario scan, beside
the reference each is tested against); this part feeds them an account's positions, working
orders and marks, caches each contract's unit risk array per mark, and offers the pre-trade
check its cheap upper bound (`bound_and_equity`) before the exact scan.
"""

from __future__ import annotations

import numpy as np

from clearing.accounts import Accounts, Member, open_positions
from clearing.ledger import cash_key, fund_key
from clearing.margin import MarginModel, unit_risk_array
from clearing.marking import Marking
from clearing.reasons import Reason, Rejection


class Margins:
    def __init__(self, accounts: Accounts, marking: Marking, terms: dict, margin=None):
        self.accounts = accounts
        self.marking = marking
        self.terms = terms
        self.margin = margin  # a clearing.margin.MarginModel (None: no margin requirement)
        self.unit_risk: dict[tuple[str, int], tuple[int, ...]] = {}  # (symbol, mark) -> array
        self.unit_loss: dict[str, tuple[int, str, int, int]] = {}  # symbol -> its worst losses
        self.cached_model = None  # the margin model the unit caches were filled for

    def forget_terms(self) -> None:
        """The listed contracts changed: drop the unit risks computed from their terms."""
        self.unit_risk.clear()
        self.unit_loss.clear()

    # ------------------------------------------------------------------ on the positions

    def requirement(self, account: str):
        """(initial, maintenance) margin in cents on the positions."""
        positions = open_positions(self.accounts.members[account])
        if self.margin is None or not positions:
            return 0, 0
        marks = {s: self.marking.marks[s] for s in positions}
        terms = {s: self.terms[s] for s in positions}
        req = self.margin.requirement(positions, marks, terms)
        return req.initial, req.maintenance

    def requirements_of(self, accounts: list[str]) -> dict[str, tuple[int, int]]:
        """(initial, maintenance) of many accounts' positions: one vectorised pass of the
        scan model (MarginModel) over all of them (equal to the per-account
        `requirement`, which the margin tests prove), else the per-account loop."""
        scan = self.margin if isinstance(self.margin, MarginModel) else None
        members, marks = self.accounts.members, self.marking.marks
        holdings = {a: open_positions(members[a]) for a in accounts}
        symbols = sorted({s for held in holdings.values() for s in held})
        if scan is None or not symbols or any(s not in marks for s in symbols):
            return {a: self.requirement(a) for a in accounts}
        column = {s: j for j, s in enumerate(symbols)}
        positions = np.zeros((len(accounts), len(symbols)), dtype=np.int64)
        for i, a in enumerate(accounts):
            for s, q in holdings[a].items():
                positions[i, column[s]] = q
        mark_row = np.array([marks[s] for s in symbols], dtype=np.int64)
        initial, maintenance = scan.requirements(positions, mark_row, [self.terms[s] for s in symbols])
        return {a: (int(initial[i]), int(maintenance[i])) for i, a in enumerate(accounts)}

    # ------------------------------------------------------------------ with working orders

    def initial_with_orders(self, member: Member, symbol: str | None = None, side: int = 0,
                            qty: int = 0) -> int:
        """Initial margin on the worst case of the member's working orders filling, with a new
        order of `qty` lots on `side` of `symbol` added when given."""
        positions = open_positions(member)
        buys = {s: w[0] for s, w in member.working.items() if w[0] > 0}
        sells = {s: w[1] for s, w in member.working.items() if w[1] > 0}
        if symbol is not None:
            book = buys if side > 0 else sells
            book[symbol] = book.get(symbol, 0) + qty
        symbols = set(positions) | set(buys) | set(sells)
        marks = {}
        for s in symbols:
            mark = self.marking.marks.get(s)
            if mark is None:
                mark = self.marking.fair_value(s)
            if mark is None:
                raise Rejection(Reason.NO_REFERENCE_PRICE, f"{s} has no mark or index value yet")
            marks[s] = mark
        if isinstance(self.margin_caches(), MarginModel):  # the scan model: its cached form
            terms = self.terms
            return self.margin.initial_with_orders(positions, buys, sells,
                                                   {s: self.unit(s, marks[s]) for s in symbols},
                                                   {s: terms[s].product for s in symbols})
        terms = {s: self.terms[s] for s in symbols}
        req = self.margin.requirement_with_orders(positions, buys, sells, marks, terms)
        return req.initial

    def unit(self, symbol: str, mark: int) -> tuple[int, ...]:
        """The contract's unit risk array at `mark`, computed once per mark."""
        key = (symbol, mark)
        unit = self.unit_risk.get(key)
        if unit is None:
            if len(self.unit_risk) >= 4_096:
                self.unit_risk.clear()
            terms = self.terms[symbol]
            unit = self.unit_risk[key] = unit_risk_array(
                terms, self.margin.product_params(terms.product), mark)
        return unit

    def margin_caches(self):
        """The margin model, after dropping the unit risks cached for another one (they depend
        on its parameters), so that a model swapped in is used at once by both paths."""
        margin = self.margin
        if margin is not self.cached_model:
            self.unit_risk.clear()
            self.unit_loss.clear()
            self.cached_model = margin
        return margin

    def unit_losses(self, symbol: str, mark: int) -> tuple[int, str, int, int] | None:
        """(mark, product, max(unit risk), max(-unit risk)): the largest loss in cents of one
        long and of one short contract over the scenarios at `mark`, cached per symbol for its
        latest mark; None where the exact scan would raise (no terms, a mark <= 0, a product
        without margin parameters), which `bound_and_equity` leaves to the scan."""
        terms = self.terms.get(symbol)
        if terms is None or mark <= 0 or terms.product not in self.margin.params.products:
            return None
        unit = self.unit(symbol, mark)
        entry = self.unit_loss[symbol] = (mark, terms.product, max(0, max(unit)), max(0, -min(unit)))
        return entry

    def bound_and_equity(self, account: str, member: Member, symbol: str, side: int,
                         qty: int) -> tuple[int, int] | None:
        """(an upper bound of `initial_with_orders(member, symbol, side, qty)`, equity), both
        from one pass over the member's contracts; None where the bound is not formed (then
        the exact scan decides, raising what it raises): a margin model without
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
        margin = self.margin_caches()
        if not isinstance(margin, MarginModel) or qty <= 0:  # the bound is the scan model's
            return None
        positions, working, marks, terms = member.positions, member.working, self.marking.marks, self.terms
        cache = self.unit_loss
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
                mark = self.marking.fair_value(s) if s in terms else None
                if mark is None:
                    return None
            entry = cache.get(s)
            if entry is None or entry[0] != mark:
                entry = self.unit_losses(s, mark)
                if entry is None:
                    return None
            _, product, up, down = entry
            loss = hi * up if hi > 0 else 0
            if lo < 0 and -lo * down > loss:
                loss = -lo * down
            lots = -lo if hi + lo < 0 else hi  # max(|hi|, |lo|), as hi >= lo
            acc = exposure.get(product)
            exposure[product] = (loss, lots) if acc is None else (acc[0] + loss, acc[1] + lots)
        return margin.initial_bound(exposure), self.accounts.ledger.balances[cash_key(account)] + vm

    # ------------------------------------------------------------------ room and summary

    def excess(self, account: str) -> int:
        """Equity over initial margin, working orders counted at their worst (positions only
        while a contract with working orders has no reference price yet)."""
        initial, _ = self.requirement(account)
        member = self.accounts.members[account]
        if self.margin is not None and any(w[0] or w[1] for w in member.working.values()):
            try:
                initial = self.initial_with_orders(member)
            except Rejection:
                pass
        return self.marking.equity(account) - initial

    def withdrawable(self, account: str, excess: int | None = None) -> int:
        """What a withdrawal may take: the excess over initial margin (working orders
        included; pass it when already computed), less the variation-margin gains not paid
        yet. A gain counts as margin the moment it is made, but its cash comes from the losers
        at the next cycle; paying it out before then would let a member leave with money the
        CCP has not collected (and a flat member's cash go negative once its fees are charged)."""
        if excess is None:
            excess = self.excess(account)
        return excess - max(0, self.marking.unsettled(account))

    def account_summary(self, account: str) -> dict:
        """Cash, equity and margin as a member sees them. `initial_margin` and
        `maintenance_margin` are on the positions; `order_margin` is what the working orders
        add at their worst, and `excess` is what is left over both: the room the pre-trade
        check sees (as a futures venue's "available funds"); `withdrawable` is that less
        the variation-margin gains not paid yet."""
        member = self.accounts.member(account)
        initial, maintenance = self.requirement(account)
        equity = self.marking.equity(account)
        excess = self.excess(account)
        return {"cash": self.accounts.cash(account), "equity": equity, "initial_margin": initial,
                "maintenance_margin": maintenance, "order_margin": equity - initial - excess,
                "excess": excess, "withdrawable": self.withdrawable(account, excess),
                "guarantee_fund": self.accounts.ledger.balance(fund_key(account)),
                "margin_call": member.call_deadline is not None,
                "margin_call_deadline": member.call_deadline,
                "liquidating": member.liquidating, "defaulted": member.defaulted}
