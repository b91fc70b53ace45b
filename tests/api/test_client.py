"""The Python clients against a live server: ccxt-like names, errors, streams."""

import asyncio
from decimal import Decimal

import pytest

from api.client import AsyncClient, Client, SitexError

ADMIN = "test-admin-key"


def test_sync_client_round_trip(server):
    with Client(server.url, ADMIN) as admin:
        a = admin.create_account()
        b = admin.create_account()
        assert len(admin.fetch_accounts()["accounts"]) >= 2
    sym = server.front()
    with Client(server.url, a["api_key"]) as ca, Client(server.url, b["api_key"]) as cb:
        maker = ca.create_order(sym, "limit", "sell", 4, Decimal("2.050"))
        assert maker["status"] == "new"
        taker = cb.create_order(sym, "limit", "buy", 4, "2.050", params={"client_order_id": "t1"})
        assert taker["status"] == "filled" and taker["fills"][0]["price"] == "2.050"
        assert ca.fetch_order(maker["order_id"])["status"] == "filled"
        book = ca.fetch_order_book(sym, 5)
        assert book["symbol"] == sym and ["2.050", 4] not in book["asks"]
        assert [(p["symbol"], p["qty"]) for p in cb.fetch_positions()] == [(sym, 4)]
        assert cb.fetch_balance()["account_id"] == b["account_id"]
        assert cb.fetch_my_trades()[-1]["order_id"] == taker["order_id"]
        assert ca.fetch_trades(sym)[0]["qty"] == 4
        assert ca.fetch_ticker(sym)["last"] == "2.050"
        assert any(m["symbol"] == sym for m in ca.fetch_markets())
        assert ca.fetch_index("SIT")["value"]
        resting = ca.create_order(sym, "limit", "buy", 2, "1.990")
        assert ca.edit_order(resting["order_id"], amount=1)["order"]["qty"] == 1
        assert [o["order_id"] for o in ca.fetch_open_orders(sym)] == [resting["order_id"]]
        assert ca.cancel_order(resting["order_id"])["status"] == "cancelled"
        assert ca.cancel_all_orders() == {"cancelled": []}
        with pytest.raises(SitexError) as e:
            ca.create_order(sym, "limit", "buy", 1, "1.9905")
        assert e.value.status == 400 and e.value.code == "PRICE_NOT_ON_TICK"
        with pytest.raises(TypeError):
            ca.create_order(sym, "limit", "buy", 1, 1.99)  # floats never reach the wire


def test_async_client_streams_and_socket_orders(server):
    with Client(server.url, ADMIN) as admin:
        key = admin.create_account()["api_key"]
        other = admin.create_account()["api_key"]
    sym = server.front("GPU")

    async def scenario():
        async with AsyncClient(server.url, key) as c, AsyncClient(server.url, other) as d:
            books = c.watch_order_book(sym)
            first = await asyncio.wait_for(books.__anext__(), 5)
            placed = await c.create_order_ws(sym, "limit", "buy", 3, "2.410")
            after = await asyncio.wait_for(books.__anext__(), 5)
            await c.subscribe("trades." + sym, "orders")  # before the trade happens
            trades = c.watch_trades(sym)
            mine = c.watch_orders()
            await d.create_order(sym, "limit", "sell", 1, "2.410")
            trade = await asyncio.wait_for(trades.__anext__(), 5)
            cancelled = await c.cancel_order_ws(placed["order_id"])
            event = await asyncio.wait_for(mine.__anext__(), 5)
            with pytest.raises(SitexError):
                await c.create_order_ws(sym, "limit", "buy", 1, "2.4105")
            return first, placed, after, trade, cancelled, event

    first, placed, after, trade, cancelled, event = asyncio.run(scenario())
    assert placed["status"] == "new"
    assert [Decimal("2.410"), 3] in after["bids"] and after["seq"] > first["seq"]
    assert trade["price"] == "2.410" and trade["qty"] == 1
    assert cancelled["status"] == "cancelled"
    assert event["kind"].startswith("order_")


def test_watch_order_book_resubscribes_on_a_gap(server):
    with Client(server.url, ADMIN) as admin:
        key = admin.create_account()["api_key"]
    sym = server.front("GPU")

    async def scenario():
        async with AsyncClient(server.url, key) as c:
            books = c.watch_order_book(sym)
            await asyncio.wait_for(books.__anext__(), 5)
            await c.create_order(sym, "limit", "buy", 1, "2.400")
            # drop the delta before the watcher sees it: the next one then shows a gap
            q = c._streams["book." + sym]
            await asyncio.wait_for(_until(lambda: not q.empty()), 5)
            q.get_nowait()
            await c.create_order(sym, "limit", "buy", 1, "2.390")
            book = await asyncio.wait_for(books.__anext__(), 5)  # a fresh snapshot, both orders
            return book

    book = asyncio.run(scenario())
    prices = [p for p, _ in book["bids"]]
    assert Decimal("2.400") in prices and Decimal("2.390") in prices


async def _until(pred):
    while not pred():
        await asyncio.sleep(0.01)


def test_the_client_manages_keys_and_reads_the_history(server):
    sym = server.front("GPU")
    with Client(server.url, ADMIN) as admin:
        made = admin.create_account()
        reader = admin.create_api_key(made["account_id"], scope="read", label="ro")
        assert [k["key_id"] for k in admin.fetch_api_keys(made["account_id"])] == [made["key_id"], reader["key_id"]]
    with Client(server.url, made["api_key"]) as c, Client(server.url, reader["api_key"]) as r:
        placed = c.create_order(sym, "limit", "buy", 1, "2.420")
        c.cancel_order(placed["order_id"])
        fok = c.create_order(sym, "limit", "buy", 1, "2.420", params={"time_in_force": "FOK"})
        closed = r.fetch_closed_orders(sym)
        assert [(o["order_id"], o["status"]) for o in closed] == [
            (placed["order_id"], "cancelled"), (fok["order_id"], "expired")]
        assert r.fetch_closed_orders(sym, limit=1, after_id=placed["order_id"]) == closed[1:]
        assert r.fetch_closed_orders(since=fok["order"]["ts"]) == closed[1:]
        assert r.fetch_my_trades(since=0) == []
        with pytest.raises(SitexError) as e:
            r.create_order(sym, "limit", "buy", 1, "2.420")
        assert e.value.status == 403 and e.value.code == "INSUFFICIENT_SCOPE"
    with Client(server.url, ADMIN) as admin:
        assert admin.revoke_api_key(made["account_id"], reader["key_id"])["status"] == "revoked"


def test_a_quantity_or_order_id_that_is_not_an_int_is_refused_before_it_is_sent(server):
    """`int()` made 1.5 lots an order for 1 and `cancel_order(3.9)` a cancel of order 3."""
    import numpy as np

    with Client(server.url, ADMIN) as admin:
        key = admin.create_account()["api_key"]
    sym = server.front()
    with Client(server.url, key) as c:
        resting = c.create_order(sym, "limit", "buy", np.int64(2), "1.990")  # numpy ints are ints
        oid = resting["order_id"]
        for amount in (1.5, 2.0, True, "2", None, Decimal("1")):
            with pytest.raises(TypeError, match="int"):
                c.create_order(sym, "limit", "buy", amount, "1.990")
        for call in (c.fetch_order, c.cancel_order, c.edit_order):
            with pytest.raises(TypeError, match="int"):
                call(oid + 0.9)
        with pytest.raises(TypeError, match="int"):
            c.edit_order(oid, amount=1.5)
        assert [(o["order_id"], o["remaining_qty"]) for o in c.fetch_open_orders()] == [(oid, 2)]
        with pytest.raises(SitexError) as e:
            c.create_order(sym, "limit", "buy", 0, "1.990")
        assert e.value.code == "INVALID_COMMAND"

    async def over_the_socket():
        async with AsyncClient(server.url, key) as a:
            with pytest.raises(TypeError, match="int"):
                await a.create_order_ws(sym, "limit", "buy", 1.5, "1.990")
            with pytest.raises(TypeError, match="int"):
                await a.cancel_order_ws(oid + 0.9)
            assert (await a.fetch_order(oid))["status"] == "new"
    asyncio.run(over_the_socket())
