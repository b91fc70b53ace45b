"""A deliberately simple reference matcher: the executable specification of FIFO matching.

Lists and sorting, no caching, obviously correct. It covers limit and market orders, IOC,
FOK, post-only, icebergs, cancel, amend and the four self-trade prevention modes, with the
price band around the last trade. The venue must produce the same fills and the same book.
"""

from __future__ import annotations

from dataclasses import dataclass

BAND_BPS = 500
BAND_MIN = 20
MAX_QTY = 10_000


@dataclass
class RefOrder:
    order_id: int
    account: str
    side: int
    price: int
    qty: int
    remaining: int
    display: int | None
    visible: int
    tif: str
    post_only: bool
    stp: str
    arrival: int
    top: bool = False  # pro-rata: set a new best price when it rested


class Reject(Exception):
    def __init__(self, reason: str):
        self.reason = reason


class ReferenceMatcher:
    def __init__(self, allocation: str = "fifo"):
        self.allocation = allocation
        self.resting: list[RefOrder] = []
        self.fills: list[tuple] = []  # (maker id, taker id, price, qty)
        self.next_id = 0
        self.arrivals = 0
        self.last_trade: int | None = None
        self.expired: dict[int, str] = {}  # order id -> why it was expired as soon as accepted

    # --- helpers ------------------------------------------------------------------------

    def _arrival(self) -> int:
        self.arrivals += 1
        return self.arrivals

    def _queue(self, side: int) -> list[RefOrder]:
        """Resting orders of one side in priority order: best price, then arrival."""
        mine = [o for o in self.resting if o.side == side]
        return sorted(mine, key=lambda o: (-o.price * side, o.arrival))

    def _band(self):
        if self.last_trade is None:
            return None
        w = max(BAND_MIN, self.last_trade * BAND_BPS // 10_000)
        return self.last_trade - w, self.last_trade + w

    def _crosses(self, side, price, limit) -> bool:
        return price <= limit if side > 0 else price >= limit

    def _check_price(self, side, price):
        if price <= 0:
            raise Reject("INVALID_PRICE")
        band = self._band()
        if band and (price > band[1] if side > 0 else price < band[0]):
            raise Reject("OUTSIDE_PRICE_BAND")

    # --- commands -----------------------------------------------------------------------

    def new(self, account, side, qty, price, kind="limit", tif="GTC", post_only=False,
            display=None, stp="cancel_newest"):
        """The new order's id; an order the book cannot take at once (a market order without
        liquidity, a fill-or-kill that cannot fill) is accepted and expired (`expired`)."""
        expire = None
        if qty < 1:
            raise Reject("QTY_BELOW_MINIMUM")
        if qty > MAX_QTY:
            raise Reject("QTY_ABOVE_MAXIMUM")
        if kind == "limit":
            self._check_price(side, price)
            limit = price
        else:
            band = self._band()
            if band is None:
                raise Reject("NO_REFERENCE_PRICE")
            limit = band[1] if side > 0 else band[0]
            opp = self._queue(-side)
            if not opp or not self._crosses(side, opp[0].price, limit):
                expire = "NO_LIQUIDITY"
            tif = "IOC" if tif == "GTC" else tif
        if display is not None and not (0 < display < qty):
            raise Reject("INVALID_DISPLAY_QTY")
        if post_only:
            opp = self._queue(-side)
            if opp and self._crosses(side, opp[0].price, price):
                raise Reject("WOULD_CROSS_POST_ONLY")
        if tif == "FOK" and expire is None:
            avail = 0
            for r in self._queue(-side):
                if not self._crosses(side, r.price, limit):
                    break
                if r.account == account:
                    if stp == "cancel_oldest":
                        continue
                    avail = -1  # it would meet its own order first
                    break
                avail += r.remaining
                if avail >= qty:
                    break
            if avail < qty:
                expire = "FOK_NOT_FILLABLE"
        self.next_id += 1
        if expire is not None:
            self.expired[self.next_id] = expire
            return self.next_id
        o = RefOrder(self.next_id, account, side, price if kind == "limit" else None, qty, qty,
                     display, qty if display is None else display, tif, post_only, stp, 0)
        alive = self._match(o, limit)
        if o.remaining and alive and kind == "limit" and tif not in ("IOC", "FOK"):
            self._rest(o)
        return o.order_id

    def _rest(self, o: RefOrder) -> None:
        o.visible = o.remaining if o.display is None else min(o.display, o.remaining)
        o.arrival = self._arrival()
        own = self._queue(o.side)
        o.top = self.allocation == "pro_rata" and (not own or o.price * o.side > own[0].price * o.side)
        self.resting.append(o)

    def _match(self, o: RefOrder, limit: int) -> bool:
        if self.allocation == "pro_rata":
            return self._match_pro_rata(o, limit)
        while o.remaining:
            opp = [r for r in self._queue(-o.side) if self._crosses(o.side, r.price, limit)]
            if not opp:
                return True
            r = opp[0]
            if r.account == o.account:
                if not self._self_trade(o, r):
                    return False
                continue
            self._fill(o, r, min(o.remaining, r.visible))
        return True

    def _self_trade(self, o: RefOrder, r: RefOrder) -> bool:
        """The FIFO rules above, as a function: False when the incoming order is done."""
        if o.stp == "cancel_oldest":
            self.resting.remove(r)
            return True
        if o.stp == "cancel_both":
            self.resting.remove(r)
            return False
        if o.stp == "decrement_and_cancel":
            d = min(o.remaining, r.remaining)
            o.qty -= d
            o.remaining -= d
            if d == r.remaining:
                self.resting.remove(r)
            else:
                r.qty -= d
                r.remaining -= d
                r.visible = min(r.visible, r.remaining)
            return o.remaining > 0
        return False

    def _fill(self, o: RefOrder, r: RefOrder, q: int) -> None:
        self.fills.append((r.order_id, o.order_id, r.price, q))
        self.last_trade = r.price
        r.remaining -= q
        r.visible -= q
        o.remaining -= q
        if r.visible == 0:
            if r.remaining:
                r.visible = min(r.display, r.remaining)
                r.arrival = self._arrival()
            else:
                self.resting.remove(r)

    def _match_pro_rata(self, o: RefOrder, limit: int) -> bool:
        """Level by level: self-trades first, the top order, then shares by visible size
        (rounded down), leftover lots one order at a time in time priority."""
        while o.remaining:
            opp = [r for r in self._queue(-o.side) if self._crosses(o.side, r.price, limit)]
            if not opp:
                return True
            price = opp[0].price
            level = lambda: sorted((r for r in self.resting if r.side == -o.side and r.price == price),
                                   key=lambda r: r.arrival)
            for r in [r for r in level() if r.account == o.account]:
                if not self._self_trade(o, r):
                    return False
            if not o.remaining or not level():
                continue
            first = level()[0]
            if first.top:
                first.top = False
                self._fill(o, first, min(o.remaining, first.visible))
            while o.remaining and level():
                makers = level()
                total = sum(r.visible for r in makers)
                if o.remaining >= total:
                    for r in makers:
                        self._fill(o, r, r.visible)
                    continue
                shares = [r.visible * o.remaining // total for r in makers]
                left = o.remaining - sum(shares)
                for i, r in enumerate(makers):
                    extra = min(r.visible - shares[i], left)
                    shares[i] += extra
                    left -= extra
                for r, q in zip(makers, shares):
                    if q:
                        self._fill(o, r, q)
        return True

    def _find(self, account, order_id) -> RefOrder:
        for o in self.resting:
            if o.order_id == order_id:
                if o.account != account:
                    raise Reject("NOT_ORDER_OWNER")
                return o
        raise Reject("UNKNOWN_ORDER")

    def cancel(self, account, order_id):
        self.resting.remove(self._find(account, order_id))

    def amend(self, account, order_id, qty=None, price=None):
        o = self._find(account, order_id)
        new_qty = o.qty if qty is None else qty
        new_price = o.price if price is None else price
        if new_qty == o.qty and new_price == o.price:
            raise Reject("NOTHING_TO_AMEND")
        if new_qty < 1:
            raise Reject("QTY_BELOW_MINIMUM")
        if new_qty > MAX_QTY:
            raise Reject("QTY_ABOVE_MAXIMUM")
        filled = o.qty - o.remaining
        if new_qty <= filled:
            raise Reject("AMEND_BELOW_FILLED")
        if o.display is not None and o.display >= new_qty:
            raise Reject("INVALID_DISPLAY_QTY")
        if new_price != o.price:
            self._check_price(o.side, new_price)
            opp = self._queue(-o.side)
            if o.post_only and opp and self._crosses(o.side, opp[0].price, new_price):
                raise Reject("WOULD_CROSS_POST_ONLY")
        delta = new_qty - o.qty
        if new_price == o.price and delta < 0:
            o.qty = new_qty
            o.remaining += delta
            o.visible = min(o.visible, o.remaining)
            return
        self.resting.remove(o)
        o.qty = new_qty
        o.remaining += delta
        o.price = new_price
        o.visible = o.remaining if o.display is None else min(o.display, o.remaining)
        alive = self._match(o, new_price)
        if o.remaining and alive:
            self._rest(o)

    def book(self, side: int) -> list[tuple]:
        """L3 view: (order id, price, remaining, visible) in priority order."""
        return [(o.order_id, o.price, o.remaining, o.visible) for o in self._queue(side)]
