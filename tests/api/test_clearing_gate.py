"""The service with the clearinghouse plugged in: deposits, margin fields, trades clear."""

import httpx

from api import wire

from api.app import Settings
from clearing.factory import default_clearinghouse


def test_accounts_deposit_trade_and_account_view(make_server, admin_key):
    with make_server(Settings(admin_key=admin_key, cycle_seconds=0, rate=0,
                              gate=default_clearinghouse())) as server:
        alice_id, alice = server.new_account()
        bob_id, bob = server.new_account()
        with server.admin() as admin:
            for account in (alice_id, bob_id):
                r = admin.post("/v1/admin/deposits", json={"account_id": account, "amount": "100000.00"})
                assert r.status_code < 300, r.text
            r = admin.post("/v1/admin/deposits", json={"account_id": alice_id, "amount": "1.001"})
            assert r.status_code == 422 or r.json()["code"] == "INVALID_AMOUNT"
        symbol = server.front()
        book = httpx.get(f"{server.url}/v1/book/{symbol}").json()
        assert book["symbol"] == symbol
        r = alice.post("/v1/orders", json={"symbol": symbol, "side": "sell", "type": "limit",
                                           "qty": 5, "price": "2.001"})
        assert r.status_code < 300, r.text
        r = bob.post("/v1/orders", json={"symbol": symbol, "side": "buy", "type": "limit",
                                         "qty": 5, "price": "2.001"})
        assert r.status_code < 300 and r.json()["filled_qty"] == 5, r.text
        (position,) = [p for p in bob.get("/v1/positions").json() if p["symbol"] == symbol]
        assert (position["qty"], position["mark"], position["unsettled_pnl"]) == (5, "2.001", "0.00")
        # 5 more bought 2 ticks above the mark (the first trade's price until a mark cycle):
        # 2 ticks x 1 USD a tick x 5 lots to pay if marked now
        for who, side in ((alice, "sell"), (bob, "buy")):
            r = who.post("/v1/orders", json={"symbol": symbol, "side": side, "qty": 5, "price": "2.003"})
            assert r.status_code < 300, r.text
        (position,) = [p for p in bob.get("/v1/positions").json() if p["symbol"] == symbol]
        assert (position["qty"], position["mark"], position["unsettled_pnl"]) == (10, "2.001", "-10.00")
        assert [p for p in bob.get("/v1/account").json()["positions"] if p["symbol"] == symbol] == [position]
        account = bob.get("/v1/account").json()
        assert account["cash"] == "99998.00"  # 100,000 USD less a 20-cent taker fee x 10 lots
        assert account["order_margin"] == "0.00"
        # a resting bid takes margin at its worst: the excess (room for new orders) and what
        # can be withdrawn shrink by it, the margin on the positions does not move
        r = bob.post("/v1/orders", json={"symbol": symbol, "side": "buy", "qty": 20, "price": "1.990"})
        assert r.status_code < 300 and r.json()["remaining_qty"] == 20, r.text
        after = bob.get("/v1/account").json()
        amount = wire.parse_decimal
        assert after["initial_margin"] == account["initial_margin"]
        assert amount(after["order_margin"]) > 0
        assert amount(after["excess"]) == (amount(after["equity"]) - amount(after["initial_margin"])
                                           - amount(after["order_margin"]))
        assert after["withdrawable"] == after["excess"]  # a loss pending, no gain to hold back
        r = bob.post("/v1/withdrawals", json={"amount": after["withdrawable"]})
        assert r.status_code < 300, r.text
        r = bob.post("/v1/withdrawals", json={"amount": "0.01"})
        assert r.json()["code"] == "INSUFFICIENT_FUNDS"
        with server.admin() as admin:
            ledger = admin.get("/v1/admin/accounts").json()
        assert ledger


def test_provider_quotes_go_through_the_index_methodology(make_server, admin_key):
    with make_server(Settings(admin_key=admin_key, cycle_seconds=0, rate=0,
                              index_source="admin")) as server:
        with server.admin() as admin:
            for provider, inp, out in (("p1", "1.00", "5.00"), ("p2", "1.02", "5.00"),
                                       ("p3", "0.98", "5.00"), ("wild", "90.00", "5.00")):
                r = admin.post("/v1/admin/provider-quotes", json={
                    "name": "SIT", "provider": provider, "tier": "standard",
                    "input_price": inp, "output_price": out, "volume": 100})
                assert r.status_code == 200, r.text
            r = admin.post("/v1/admin/provider-quotes", json={
                "name": "SIT", "provider": "p4", "tier": "galactic", "input_price": "1.0"})
            assert r.status_code == 400 and r.json()["code"] == "INVALID_QUOTE"
            r = admin.post("/v1/admin/provider-quotes", json={
                "name": "SIT", "provider": "p4", "tier": "standard", "input_price": 1.0})
            assert r.status_code == 422  # a float price is refused
            pub = admin.post("/v1/admin/index/publish").json()["SIT"]
        assert pub["status"] == "ok" and pub["contributors"] == 3
        assert pub["quotes_rejected"]["outlier"] == 1 and pub["value"] == "2.000000"
        assert httpx.get(server.url + "/v1/index/SIT").json()["value"] == "2.000000"


def test_the_cycle_expires_and_settles_a_contract_after_its_last_trading_time():
    import asyncio

    from api.service import Service

    clock = {"t": 1_795_000_000 * 1_000_000_000}
    svc = Service(None, gate=default_clearinghouse(), clock=lambda: clock["t"])

    async def go():
        await svc.start()
        front = svc.venue.contracts()[0]
        for account in ("a", "b"):
            await svc.open_account(account, False)
            await svc.cash("deposit", account, 10_000_000)  # cents
        await svc.cycle()  # publishes the index: the contracts get reference prices
        await svc.orders.place("a", wire.OrderRequest(symbol=front.symbol, side="sell", qty=2, price="2.000"))
        await svc.orders.place("b", wire.OrderRequest(symbol=front.symbol, side="buy", qty=2, price="2.000"))
        assert svc.venue.gate.open_interest(front.symbol) == 2
        clock["t"] = front.last_trade_ts + 1
        await svc.cycle()
        assert svc.venue.trading_state(front.symbol) == "expired"
        assert svc.venue.gate.open_interest(front.symbol) == 0
        assert len([c for c in svc.venue.contracts() if c.product.code == "SIT"]) == 12
        await svc.stop()

    asyncio.run(go())
