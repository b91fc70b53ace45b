"""The bare framework under `sitex bench api`: FastAPI and uvicorn answering order entry with
nothing behind it, the ceiling that the real service is measured against on the same machine.

Same server stack as `sitex serve` (uvicorn with httptools and uvloop, one worker, the same
routes): `POST /v1/orders` validates the body into a pydantic model with the order's field
names, reads the `X-API-Key` header and answers an order-shaped JSON; `/v1/ws` parses each
message and answers a result carrying its id. No venue, no journal, no decimal checks, no
events, no fan-out: what is left is HTTP/WebSocket framing, JSON and pydantic, which every
request to the real service pays too. Run with `python -m bench.api_baseline --port N`.
"""

from __future__ import annotations

import argparse
import itertools
import json

from fastapi import FastAPI, Header, WebSocket, WebSocketDisconnect
from pydantic import BaseModel, ConfigDict


class BareOrder(BaseModel):
    model_config = ConfigDict(extra="forbid")

    symbol: str
    side: str
    type: str = "limit"
    qty: int
    price: str | None = None
    time_in_force: str = "GTC"
    client_order_id: str | None = None


class BareResult(BaseModel):
    order_id: int
    status: str
    filled_qty: int
    remaining_qty: int
    fills: list


def create_app() -> FastAPI:
    app = FastAPI(title="bare baseline")
    ids = itertools.count(1)

    @app.get("/v1/health")
    async def health():
        return {"status": "ok"}

    @app.post("/v1/orders", response_model=BareResult)
    async def create_order(body: BareOrder, x_api_key: str = Header()):
        return {"order_id": next(ids), "status": "new", "filled_qty": 0,
                "remaining_qty": body.qty, "fills": []}

    @app.websocket("/v1/ws")
    async def ws(socket: WebSocket):
        await socket.accept()
        try:
            while True:
                msg = json.loads(await socket.receive_text())
                order = BareOrder.model_validate(msg["params"])
                await socket.send_text(json.dumps(
                    {"id": msg.get("id"), "type": "result", "op": msg.get("op"),
                     "data": {"order_id": next(ids), "status": "new", "filled_qty": 0,
                              "remaining_qty": order.qty, "fills": []}}))
        except WebSocketDisconnect:
            pass

    return app


def main(argv: list[str] | None = None) -> int:
    import uvicorn

    ap = argparse.ArgumentParser(prog="python -m bench.api_baseline", description=__doc__.splitlines()[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    args = ap.parse_args(argv)
    uvicorn.run(create_app(), host=args.host, port=args.port, log_level="warning",
                ws_max_size=1 << 20, ws_per_message_deflate=False)  # as `sitex serve` by default
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
