"""What the API remembers beyond the venue's live state, built only from events.

The venue keeps live orders; clients also ask about filled and cancelled ones, their fills,
recent trades and positions. `OrderStore.apply(events)` folds the event stream into those
views (wire-ready dicts, prices still in ticks), so replaying the journal rebuilds them too.
It also counts what /metrics reports (accepted orders are `orders`; rejected ones by reason,
trades, margin calls, liquidations, defaults, the default waterfall's use) in the handlers it
runs anyway: no event is looked at twice for a count.
Closed orders and fills leave it once they are older than the service's retention window
(`retire`, in the order they closed or happened): the service keeps them in its read model
(api/history.py), so memory holds live orders and a window of history, not all of it.
"""

from __future__ import annotations

from collections import defaultdict, deque
from functools import partial

from clearing.reasons import Reason
from exchange.orders import OrderType, Side, TimeInForce

_TYPE = {int(t): t.wire for t in OrderType}
_TIF = {int(t): t.wire for t in TimeInForce}
_SIDE = {int(s): s.wire for s in Side}
# the clearinghouse's risk events (clearing/clearing_events.py), counted and kept
RISK_KINDS = ("margin_call", "margin_call_cured", "liquidation_started", "positions_allocated",
              "waterfall", "account_defaulted")


class OrderStore:
    def __init__(self, trades_kept: int = 1000):
        self.orders: dict[int, dict] = {}
        self.by_account: dict[str, dict[int, None]] = defaultdict(dict)  # oids in arrival order
        self.fills: dict[str, deque[dict]] = defaultdict(deque)  # per account, in seq order
        self.trades: dict[str, deque] = defaultdict(partial(deque, maxlen=trades_kept))
        self.positions: dict[str, dict[str, int]] = defaultdict(dict)
        self.volume: dict[str, int] = defaultdict(int)
        self.by_client_id: dict[tuple[str, str], int] = {}
        self.trades_total = 0
        self.rejected: dict[str, int] = defaultdict(int)  # reason name -> new orders refused
        self.risk: dict[str, int] = defaultdict(int)  # risk event kind -> how many
        self.waterfall: dict[str, int] = defaultdict(int)  # layer -> cents it absorbed
        self.risk_events: deque = deque(maxlen=200)  # the latest risk events (wire-ready dicts)
        # (account, client_order_id) -> what the order asked for (the service's order_terms)
        self.terms: dict[tuple[str, str], tuple] = {}
        self.closed: deque[tuple[int, int]] = deque()  # (ts, order id) as orders close
        self.fill_times: deque[tuple[int, str]] = deque()  # (ts, account) of each fill kept
        self._handlers = self._make_handlers()

    def _make_handlers(self) -> dict:
        risk = dict.fromkeys(RISK_KINDS, self._risk)
        return risk | {
            "order_accepted": self._accepted,
            "fill": self._fill,
            "order_cancelled": self._gone,
            "order_expired": self._gone,
            "order_amended": self._amended,
            "order_triggered": self._triggered,
            "rejected": self._rejected,
        }

    def __setstate__(self, state: dict) -> None:
        """A snapshot made before a view was added still loads (the view starts empty)."""
        self.__init__()
        self.__dict__.update(state)
        self._handlers = self._make_handlers()

    def apply(self, events) -> None:
        handlers = self._handlers
        for e in events:
            h = handlers.get(e.kind)
            if h is not None:
                h(e)

    def _accepted(self, e) -> None:
        self.orders[e.order_id] = {
            "order_id": e.order_id, "account": e.account, "symbol": e.symbol,
            "side": _SIDE[int(e.side)], "type": _TYPE[int(e.type)], "price": e.price,
            "stop_price": e.stop_price, "qty": e.qty, "filled_qty": 0, "remaining_qty": e.qty,
            "display_qty": e.display_qty, "time_in_force": _TIF[int(e.tif)], "expire_at": None,
            "post_only": False, "reduce_only": False, "client_order_id": e.client_order_id,
            "status": e.status, "reason": None, "ts": e.ts,
        }
        self.by_account[e.account][e.order_id] = None
        if e.client_order_id is not None:
            self.by_client_id[(e.account, e.client_order_id)] = e.order_id

    def _fill(self, e) -> None:
        taker_side = _SIDE[e.aggressor]
        maker_side = _SIDE[-e.aggressor]
        for oid, account, remaining, side, role in (
            (e.maker_order_id, e.maker_account, e.maker_remaining, maker_side, "maker"),
            (e.taker_order_id, e.taker_account, e.taker_remaining, taker_side, "taker"),
        ):
            o = self.orders.get(oid)
            if o is not None:
                o["remaining_qty"] = remaining
                o["filled_qty"] = o["qty"] - remaining
                o["status"] = "filled" if remaining == 0 else "partially_filled"
                if remaining == 0:
                    self.closed.append((e.ts, oid))
            self.fills[account].append({
                "trade_id": e.trade_id, "order_id": oid, "symbol": e.symbol, "side": side,
                "price": e.price, "qty": e.qty, "role": role, "ts": e.ts, "seq": e.seq})
            self.fill_times.append((e.ts, account))
            pos = self.positions[account]
            pos[e.symbol] = pos.get(e.symbol, 0) + (e.qty if side == "buy" else -e.qty)
        self.trades_total += 1
        self.trades[e.symbol].append({"trade_id": e.trade_id, "symbol": e.symbol, "price": e.price,
                                      "qty": e.qty, "side": taker_side, "ts": e.ts})
        self.volume[e.symbol] += e.qty

    def _rejected(self, e) -> None:
        if e.command == "new":
            self.rejected[Reason(e.reason).name] += 1

    def _risk(self, e) -> None:
        self.risk[e.kind] += 1
        if e.kind == "waterfall":
            self.waterfall[e.layer] += e.amount
        self.risk_events.append(e.to_dict())

    def _gone(self, e) -> None:
        o = self.orders.get(e.order_id)
        if o is not None:
            o["remaining_qty"] = 0
            if e.kind == "order_expired":
                o["status"] = "expired"
                if e.reason is not None:  # expired at once: why the book could not take it
                    o["reason"] = e.reason.name
            else:
                o["status"] = "cancelled"
            self.closed.append((e.ts, e.order_id))

    def _amended(self, e) -> None:
        o = self.orders.get(e.order_id)
        if o is not None:
            o.update(price=e.price, qty=e.qty, remaining_qty=e.remaining,
                     filled_qty=e.qty - e.remaining, stop_price=e.stop_price)
            if e.remaining == 0:  # decrement-and-cancel took all of it: the venue cancelled it
                o["status"] = "cancelled"
                self.closed.append((e.ts, e.order_id))

    def _triggered(self, e) -> None:
        o = self.orders.get(e.order_id)
        if o is not None and o["status"] == "pending_trigger":
            o["status"] = "new"

    def order_of(self, account: str, order_id: int) -> dict | None:
        """The order if it belongs to `account` (someone else's order does not exist for you)."""
        o = self.orders.get(order_id)
        return o if o is not None and o["account"] == account else None

    def open_orders(self, account: str, symbol: str | None = None) -> list[dict]:
        out = []
        for oid in self.by_account.get(account, ()):
            o = self.orders[oid]
            if o["remaining_qty"] > 0 and o["status"] in ("new", "partially_filled", "pending_trigger"):
                if symbol is None or o["symbol"] == symbol:
                    out.append(o)
        return out

    def retire(self, horizon: int) -> tuple[list[tuple[dict, tuple | None]], list[tuple[str, dict]]]:
        """Take out the orders closed and the fills made before `horizon` (ns): the orders,
        each with what it asked for if it had a client order id, and the (account, fill)s."""
        orders, fills = [], []
        closed = self.closed
        while closed and closed[0][0] < horizon:
            oid = closed.popleft()[1]
            o = self.orders.pop(oid, None)
            if o is None:
                continue
            del self.by_account[o["account"]][oid]
            coid = o["client_order_id"]
            terms = None
            if coid is not None:
                key = (o["account"], coid)
                del self.by_client_id[key]
                terms = self.terms.pop(key, None)
            orders.append((o, terms))
        times = self.fill_times
        while times and times[0][0] < horizon:
            account = times.popleft()[1]
            fills.append((account, self.fills[account].popleft()))
        return orders, fills

    def check(self) -> None:
        """Positions sum to zero per symbol (every fill has a buyer and a seller)."""
        totals: dict[str, int] = defaultdict(int)
        for pos in self.positions.values():
            for symbol, qty in pos.items():
                totals[symbol] += qty
        assert all(v == 0 for v in totals.values()), totals
