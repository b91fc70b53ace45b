"""The service's order entry: a client's new order, cancel or amend made into the venue's
command, queued through the service's writer (api/service.py), and answered once durable with
the order as it is then and its fills (api/order_reads.py). A retried client_order_id is
answered with the order it named, without a second order; one reused for another order is
refused. Refusals raise the Rejection the API answers with."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from typing import TYPE_CHECKING

from api import wire
from clearing.reasons import Reason, Rejection
from exchange import commands as C
from exchange.orders import OrderType, Side, TimeInForce

if TYPE_CHECKING:
    from api.service import Service

_SIDES = {"buy": Side.BUY, "sell": Side.SELL}
_TYPES = {t.wire: t for t in OrderType}
_TIFS = {t.wire: t for t in TimeInForce}


class OrderRequests:
    """Orders, cancels and amends through one service (`Service.orders`)."""

    def __init__(self, service: Service):
        self.service = service
        self.refused: dict[str, int] = defaultdict(int)  # orders refused at the API, by reason

    def _spec(self, symbol: str):
        try:
            return self.service.venue.contract(symbol)
        except KeyError:
            raise Rejection(Reason.UNKNOWN_SYMBOL, f"no listed contract {symbol!r}") from None

    def order_args(self, account: str, r: wire.OrderRequest) -> tuple:
        """The NewOrder fields after its `ts` (prices converted and checked)."""
        tick = self._spec(r.symbol).product.tick_size
        price = wire.price_to_ticks(r.price, tick) if r.price is not None else None
        stop = wire.price_to_ticks(r.stop_price, tick) if r.stop_price is not None else None
        return (account, r.symbol, _SIDES[r.side], r.qty, price, _TYPES[r.type],
                _TIFS[r.time_in_force], stop, r.display_qty, r.expire_at, r.post_only,
                r.reduce_only, r.client_order_id)

    async def place(self, account: str, r: wire.OrderRequest) -> dict:
        pending = self.place_nowait(account, r)
        if isinstance(pending, dict):
            return pending
        return self.placed(account, r, await pending)

    def place_nowait(self, account: str, r: wire.OrderRequest) -> dict | asyncio.Future:
        """The first half of `place`, for a caller that would rather not be a coroutine (the
        WebSocket's order entry): the order of a retried client_order_id as it is now (a
        client_order_id used for another order raises DUPLICATE_CLIENT_ORDER_ID), or the
        future of the queued order's events, to be handed to `placed` once resolved."""
        try:
            args = self.order_args(account, r)
        except Rejection as refused:  # an unknown symbol, a price off the tick: never queued
            self.refused[refused.reason.name] += 1
            raise
        if r.client_order_id is not None:
            earlier = self._earlier_result(account, r.client_order_id, args)
            if earlier is not None:
                return earlier
        return self.service.submit(lambda ts: C.NewOrder(ts, *args))

    def placed(self, account: str, r: wire.OrderRequest, events: list) -> dict:
        """The second half of `place`: the answer to a durable order (raises its rejection)."""
        oid = None
        for e in events:
            if e.kind == "order_accepted" and e.account == account:
                oid = e.order_id
                break
        if oid is None:
            rej = rejected(events)
            if rej is not None and rej.reason == Reason.DUPLICATE_CLIENT_ORDER_ID:
                # a concurrent retry of the same order (or a reuse, refused there)
                earlier = self._earlier_result(account, r.client_order_id, self.order_args(account, r))
                if earlier is not None:
                    return earlier
            raise as_rejection(rej)
        return self.service.reads.order_result(oid, [e for e in events if e.kind == "fill"])

    def _earlier_result(self, account: str, client_order_id: str, args: tuple) -> dict | None:
        """The order `client_order_id` named, as it is now, if `args` ask for what it asked;
        DUPLICATE_CLIENT_ORDER_ID if they ask for something else; None if the id is new."""
        key = (account, client_order_id)
        oid = self.service.store.by_client_id.get(key)
        if oid is not None:
            terms = self.service.store.terms.get(key)
        else:  # perhaps an order that has left memory
            found = self.service.history.by_client_id(account, client_order_id)
            if found is None:
                return None
            oid, terms = found
        if terms != order_terms(args):
            raise Rejection(Reason.DUPLICATE_CLIENT_ORDER_ID,
                            f"client order id {client_order_id!r} was used for order {oid}, "
                            f"with other parameters")
        return self.service.reads.order_result(oid, None)

    async def cancel(self, account: str, order_id: int) -> dict:
        if self.service.store.order_of(account, order_id) is None:
            raise Rejection(Reason.UNKNOWN_ORDER, f"no order {order_id} in this account")
        events = await self.service.execute(lambda ts: C.CancelOrder(ts, account, order_id))
        rej = rejected(events)
        if rej is not None:
            raise as_rejection(rej)
        return self.service.fmt.order(self.service.store.orders[order_id])

    async def amend(self, account: str, order_id: int, r: wire.AmendRequest) -> dict:
        o = self.service.store.order_of(account, order_id)
        if o is None:
            raise Rejection(Reason.UNKNOWN_ORDER, f"no order {order_id} in this account")
        tick = self.service.fmt.tick(o["symbol"])
        price = wire.price_to_ticks(r.price, tick) if r.price is not None else None
        stop = wire.price_to_ticks(r.stop_price, tick) if r.stop_price is not None else None
        events = await self.service.execute(lambda ts: C.AmendOrder(ts, account, order_id, r.qty, price, stop))
        rej = rejected(events)
        if rej is not None:
            raise as_rejection(rej)
        return self.service.reads.order_result(order_id, [e for e in events if e.kind == "fill"])

    async def cancel_all(self, account: str, symbol: str | None) -> list[int]:
        events = await self.service.execute(lambda ts: C.CancelAll(ts, account, symbol))
        rej = rejected(events)
        if rej is not None:
            raise as_rejection(rej)
        return [e.order_id for e in events if e.kind == "order_cancelled" and e.account == account]


def order_terms(args: tuple) -> tuple:
    """What an order asked for (NewOrder's fields from `account` to `reduce_only`), in plain
    values: a live request and a replayed command compare equal (enums and ints, False and 0)."""
    (_, symbol, side, qty, price, typ, tif, stop, display, expire_at, post_only, reduce_only) = args[:12]
    return (symbol, int(side), qty, price, int(typ), int(tif), stop, display, expire_at,
            bool(post_only), bool(reduce_only))


def rejected(events):
    """The command's rejection, if the venue refused it (its last `rejected` event)."""
    for e in reversed(events):
        if e.kind == "rejected":
            return e
    return None


def as_rejection(rej) -> Rejection:
    """A refusal as the Rejection the API answers with (its problem+json)."""
    if rej is None:
        return Rejection(Reason.INVALID_COMMAND, "the venue did not accept the command")
    return Rejection(Reason(rej.reason), rej.text)