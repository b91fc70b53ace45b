"""The contract rules an order is checked against, each in one place.

Pure functions of a market's state and an order's fields: the quantity (lot, minimum,
maximum), the price (positive ticks, the daily limits, the dynamic price band), the fields
the venue keeps as given, the trading state, fill-or-kill and reduce-only. The `*_ok`
predicates answer yes or no for the new-order short path (exchange/entry.py); the `check_*`
functions raise `Rejection` with the reason code for the full rule book, and are built on the
same predicates, so a rule cannot drift between the two paths. Compiled, the predicates are C
calls (rules.pxd).

The price band (CME-style): an order may not be priced more aggressively than `band_width`
around the market's `band_anchor` (the last trade, or a settlement set after it); a market
order is protected at the band's edge (`protection_price`).
"""

from __future__ import annotations

from clearing.reasons import Reason, Rejection
from exchange.market import CLOSED, EXPIRED, HALTED
from exchange.orders import STP

__all__ = ["qty_ok", "check_qty", "within_limits", "band_width", "within_band", "price_ok",
           "check_price", "protection_price", "last_price", "stop_reached", "usd",
           "check_order_fields", "check_account", "is_code", "reject_state", "fok_shortfall",
           "reduce_only_room", "check_reduce_only"]

_CANCEL_OLDEST = STP.CANCEL_OLDEST


# -- quantity --------------------------------------------------------------------------------

def qty_ok(m, qty) -> bool:
    """A whole number of lots within the contract's minimum and maximum order size."""
    return type(qty) is int and qty >= m.min_qty and qty <= m.max_qty and not qty % m.lot


def check_qty(m, qty) -> None:
    if qty_ok(m, qty):
        return
    if type(qty) is not int or qty < m.min_qty:
        raise Rejection(Reason.QTY_BELOW_MINIMUM, f"quantity {qty!r} is below the minimum {m.min_qty}")
    if qty % m.lot:
        raise Rejection(Reason.QTY_NOT_ON_LOT, f"quantity {qty} is not a multiple of the lot {m.lot}")
    raise Rejection(Reason.QTY_ABOVE_MAXIMUM, f"quantity {qty} is above the maximum {m.max_qty}")


# -- price: limits and band ------------------------------------------------------------------

def within_limits(m, price) -> bool:
    """Within the daily price limits (none before the first settlement)."""
    return m.limit_high is None or (price <= m.limit_high and price >= m.limit_low)


def band_width(m, ref) -> int:
    """The band's half-width around the reference `ref` (ticks): band_bps of it, at least
    band_min ticks."""
    w = ref * m.band_bps // 10_000
    return w if w > m.band_min else m.band_min


def within_band(m, side, price) -> bool:
    """No more aggressive than the band allows: a buy not above `ref + width`, a sell not
    below `ref - width` (passive prices are free; no reference yet, no band)."""
    ref = m.band_anchor
    if ref is None:
        return True
    w = band_width(m, ref)
    return price <= ref + w if side > 0 else price >= ref - w


def price_ok(m, side, price) -> bool:
    """A positive whole number of ticks, within the daily limits and the band."""
    return type(price) is int and price > 0 and within_limits(m, price) and within_band(m, side, price)


def check_price(m, side, price) -> None:
    if type(price) is not int or price <= 0:
        raise Rejection(Reason.INVALID_PRICE)
    if not within_limits(m, price):
        raise Rejection(Reason.OUTSIDE_DAILY_LIMIT,
                        f"price {usd(m, price)} is outside the daily limits "
                        f"[{usd(m, m.limit_low)}, {usd(m, m.limit_high)}] (USD)")
    if not within_band(m, side, price):
        ref = m.band_anchor
        w = band_width(m, ref)
        raise Rejection(Reason.OUTSIDE_PRICE_BAND,
                        f"price {usd(m, price)} is outside the band "
                        f"[{usd(m, ref - w)}, {usd(m, ref + w)}] around {usd(m, ref)} (USD)")


def protection_price(m, side):
    """The worst price a market order may trade at: the band's edge, within the limits; None
    without a reference price."""
    ref = m.band_anchor
    if ref is None:
        return None
    if side > 0:
        p = ref + band_width(m, ref)
        if m.limit_high is not None and p > m.limit_high:
            p = m.limit_high
    else:
        p = ref - band_width(m, ref)
        if p < 1:
            p = 1
        if m.limit_low is not None and p < m.limit_low:
            p = m.limit_low
    return p


def last_price(m):
    """The price stops are measured against: the last trade, else the reference; or None."""
    return m.last_trade if m.last_trade is not None else m.reference


def stop_reached(m, side, stop_price) -> bool:
    """A stop at `stop_price` is already through the last price: it would trigger at once."""
    last = last_price(m)
    return last is not None and (stop_price <= last if side > 0 else stop_price >= last)


def usd(m, ticks: int) -> str:
    """A price in ticks as the wire writes it, decimal USD ("2.125"): a rejection's text is
    read by people, who think in prices, not ticks."""
    return str(ticks * m.spec.product.tick_size)


# -- the order's fields and the trading state ------------------------------------------------

def check_order_fields(c) -> None:
    """The fields of a new order that the venue keeps as given must be of their kind: the
    account a non-empty string; the order type, time in force and self-trade prevention mode
    integer codes (or their enums), never a bool (True equals 1); the flags bools; the client
    order id and the self-match id non-empty strings or None. Anything else: a rejection."""
    check_account(c.account)
    if not is_code(c.type):
        raise Rejection(Reason.INVALID_COMMAND, f"unknown order type {c.type!r}")
    if not is_code(c.tif):
        raise Rejection(Reason.INVALID_TIME_IN_FORCE, f"unknown time in force {c.tif!r}")
    if not is_code(c.stp):
        raise Rejection(Reason.INVALID_COMMAND, f"unknown self-trade prevention mode {c.stp!r}")
    if type(c.post_only) is not bool or type(c.reduce_only) is not bool:
        raise Rejection(Reason.INVALID_COMMAND, "post_only and reduce_only must be true or false")
    for name, value in (("client order id", c.client_order_id), ("self-match id", c.stp_group)):
        if value is not None and (type(value) is not str or not value):
            raise Rejection(Reason.INVALID_COMMAND, f"the {name} must be a non-empty string or none, not {value!r}")


def check_account(account) -> None:
    if type(account) is not str or not account:
        raise Rejection(Reason.INVALID_COMMAND, f"the account must be a non-empty string, not {account!r}")


def is_code(value) -> bool:
    """An integer code or its enum; not a bool (True equals 1) nor a float (1.0 equals 1)."""
    return isinstance(value, int) and type(value) is not bool


def reject_state(state: str):
    """Refuse an order in a market that is not open, with the state's reason."""
    raise Rejection({HALTED: Reason.MARKET_HALTED, CLOSED: Reason.MARKET_CLOSED,
                     EXPIRED: Reason.MARKET_EXPIRED}.get(state, Reason.MARKET_NOT_OPEN))


# -- fill-or-kill and reduce-only --------------------------------------------------------------

def fok_shortfall(m, side: int, qty: int, limit: int, group: str, stp: int):
    """FOK_NOT_FILLABLE if a fill-or-kill cannot fill in full now (self-trades count
    against it unless the incoming order cancels the resting ones), else None."""
    available = 0
    levels = m.book.asks if side > 0 else reversed(m.book.bids)
    for price in levels:
        if price > limit if side > 0 else price < limit:
            break
        level = (m.book.asks if side > 0 else m.book.bids)[price]
        for r in level.orders.values():
            if r.stp_group == group:
                if stp == _CANCEL_OLDEST:
                    continue
                return Reason.FOK_NOT_FILLABLE  # it would meet the account's own order first
            available += r.remaining
            if available >= qty:
                return None
    return Reason.FOK_NOT_FILLABLE


def reduce_only_room(position: int, side: int) -> int:
    """How much an order on `side` may trade and only reduce `position` (lots)."""
    return -position * side if position * side < 0 else 0


def check_reduce_only(position: int, working: int, side: int, qty: int) -> None:
    """A reduce-only order, with the account's other working reduce-only orders on the
    same side (`working` lots), may not exceed the position it reduces."""
    if qty + working > reduce_only_room(position, side):
        raise Rejection(Reason.REDUCE_ONLY_WOULD_INCREASE,
                        f"position {position}, {working} already working reduce-only: "
                        f"a {'buy' if side > 0 else 'sell'} of {qty} would not only reduce it")
