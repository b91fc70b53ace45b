"""What the API answers about orders and fills: an order as it is now with its fills, an
account's order, its closed orders and its fills, from the order store (the window in memory)
and the read model (api/history.py: what left memory), joined so that a client never sees the
seam."""

from __future__ import annotations

from bisect import bisect_right
from operator import itemgetter
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from api.service import Service

CLOSED = ("filled", "cancelled", "expired")
_SEQ = itemgetter("seq")


class OrderReads:
    """The order views of one service (`Service.reads`)."""

    def __init__(self, service: Service):
        self.service = service

    def order_result(self, oid: int, fill_events) -> dict:
        """The answer about order `oid`: its view and fills (`fill_events`: this command's
        fills, the newest; None: all the order's fills, the read model's first)."""
        stored = self.service.store.orders.get(oid)
        o = self.service.fmt.order(stored if stored is not None else self.service.history.order(oid))
        account = o["account"]
        mine = self.service.store.fills.get(account, ())
        if fill_events is None:
            fills = self.service.history.fills_of(account, oid) + [f for f in mine if f["order_id"] == oid]
        else:  # this command's fills are the newest ones: walk back only as far as they go
            trades = {e.trade_id for e in fill_events}
            first = min(trades, default=0)
            fills = []
            for f in reversed(mine):
                if not trades or f["trade_id"] < first:
                    break
                if f["order_id"] == oid and f["trade_id"] in trades:
                    fills.append(f)
            fills.reverse()
        return {"order": o, "fills": [self.service.fmt.fill(f) for f in fills], "order_id": oid,
                "status": o["status"], "filled_qty": o["filled_qty"],
                "remaining_qty": o["remaining_qty"], "reason": o.get("reason")}

    def find_order(self, account: str, order_id: int) -> dict | None:
        """The order if it is `account`'s: in memory, else in the read model."""
        o = self.service.store.order_of(account, order_id)
        if o is None:
            o = self.service.history.order(order_id)
        return o if o is not None and o["account"] == account else None

    def closed_orders(self, account: str, symbol: str | None, since: int, after_id: int,
                      limit: int) -> list[dict]:
        """The account's closed orders (filled, cancelled, expired; of `symbol`, or all) by
        order id after `after_id`, made at or after `since` (ns): the read model's and the
        window's."""
        old = self.service.history.closed_orders(account, symbol, since, after_id, limit)
        orders = self.service.store.orders
        recent = [o for oid in self.service.store.by_account.get(account, ()) if oid > after_id
                  and (o := orders[oid])["status"] in CLOSED and o["ts"] >= since
                  and (symbol is None or o["symbol"] == symbol)]
        return sorted(old + recent, key=lambda o: o["order_id"])[:limit]

    def fills(self, account: str, after_seq: int, since: int, limit: int) -> list[dict]:
        """The account's fills after `after_seq`, at or after `since` (ns), oldest first: the
        read model holds the oldest of them, memory the window."""
        out = self.service.history.fills(account, after_seq, since, limit)
        if len(out) < limit:
            mine = self.service.store.fills.get(account, ())
            start = bisect_right(mine, out[-1]["seq"] if out else after_seq, key=_SEQ)
            for i in range(start, len(mine)):
                f = mine[i]
                if f["ts"] >= since:
                    out.append(f)
                    if len(out) == limit:
                        break
        return out
