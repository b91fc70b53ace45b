"""A real uvicorn server on 127.0.0.1 (a free port), in a thread, for the end-to-end tests."""

import asyncio
import socket
import threading
import time

import httpx
import pytest
import uvicorn

from api.app import Settings, create_app

ADMIN = "test-admin-key"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    def __init__(self, settings: Settings):
        self.app = create_app(settings)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_level="error",
                                lifespan="on")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def service(self):
        return self.app.state.service

    def __enter__(self):
        self.thread.start()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.url + "/v1/health").status_code == 200:
                    return self
            except httpx.HTTPError:
                time.sleep(0.05)
        raise RuntimeError("server did not start")

    def __exit__(self, *exc):
        self.server.should_exit = True
        self.thread.join(10)

    def admin(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, headers={"X-API-Key": ADMIN})

    def new_account(self, name: str | None = None) -> tuple[str, httpx.Client]:
        with self.admin() as a:
            r = a.post("/v1/admin/accounts", json={"account_id": name} if name else {})
            assert r.status_code == 201, r.text
            body = r.json()
        return body["account_id"], httpx.Client(base_url=self.url,
                                                headers={"X-API-Key": body["api_key"]})

    def front(self, product: str = "SIT") -> str:
        contracts = httpx.get(self.url + "/v1/contracts").json()
        return [c["symbol"] for c in contracts if c["product"] == product][1]


@pytest.fixture(scope="module")
def server():
    with LiveServer(Settings(admin_key=ADMIN, cycle_seconds=0, rate=0)) as s:
        yield s


def run(coro):
    return asyncio.run(coro)


@pytest.fixture(scope="session")
def make_server():
    """LiveServer(settings) as a context manager, for tests that need their own settings."""
    return LiveServer


@pytest.fixture(scope="session")
def admin_key():
    return ADMIN


@pytest.fixture
def port():
    return free_port()
