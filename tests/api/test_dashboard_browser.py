"""The dashboard as a person uses it: a real browser (Debian's chromium, headless, driven by
Playwright) against `sitex serve --agents`, the agents trading.

One walk through the page: market data shows without a key (the agents' trades on the tape,
their book on the ladder, both charts drawn); then, on a contract the agents leave alone so
that nothing but this test trades it, a key typed in, an order placed through the form, seen
on the ladder and in the open orders, crossed from a second account through the REST API, the
trade on the tape and the position in the account panel, the rest cancelled with its button;
then the server is stopped and started again on the same journal, and the page shows the lost
connection, reconnects by itself and still knows the account. Every request the page made
went to the server itself. A screenshot is saved in tests/artifacts/.
"""

import os
import signal
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ADMIN = "browser-test-admin"
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
SITEX = str(Path(sys.executable).parent / "sitex")

if not Path(CHROMIUM).exists():  # CI installs it (.ci/run); a developer may not have it
    if os.environ.get("CI"):
        pytest.fail(f"{CHROMIUM} is missing: .ci/run installs Debian's chromium", pytrace=False)
    pytest.skip(f"needs Debian's chromium at {CHROMIUM} (apt-get install chromium)",
                allow_module_level=True)

from playwright.sync_api import expect, sync_playwright


class Server:
    """`sitex serve --agents` in a process of its own, on a journal that outlives it."""

    def __init__(self, port: int, journal: Path):
        self.port, self.journal = port, journal
        self.url = f"http://127.0.0.1:{port}"
        self.proc = None

    def start(self) -> "Server":
        env = dict(os.environ, SITEX_ADMIN_KEY=ADMIN)
        self.proc = subprocess.Popen([SITEX, "serve", "--port", str(self.port), "--agents",
                                      "--journal", str(self.journal)], env=env,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.url + "/readyz").status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            assert self.proc.poll() is None, "the server exited"
            time.sleep(0.1)
        raise AssertionError("the server never became ready")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(20)

    def account(self, name: str) -> str:
        admin = {"X-API-Key": ADMIN}
        r = httpx.post(self.url + "/v1/admin/accounts", json={"account_id": name}, headers=admin)
        assert r.status_code == 201, r.text
        key = r.json()["api_key"]
        r = httpx.post(self.url + "/v1/admin/deposits", json={"account_id": name, "amount": "100000.00"},
                       headers=admin)
        assert r.status_code == 200, r.text
        return key


@pytest.fixture
def server(tmp_path, port):
    s = Server(port, tmp_path / "journal.db").start()
    yield s
    s.stop()


def test_the_dashboard_as_a_person_uses_it(server):
    contracts = httpx.get(server.url + "/v1/contracts").json()
    sit = [c["symbol"] for c in contracts if c["product"] == "SIT"]
    busy, quiet = sit[1], sit[2]  # sitex agents trade the second expiry; nobody the third
    alice, bob = server.account("alice"), server.account("bob")
    reference = Decimal(httpx.get(f"{server.url}/v1/ticker/{quiet}").json()["reference"])
    price = str(reference - Decimal("0.005"))

    ARTIFACTS.mkdir(exist_ok=True)
    requests: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1440, "height": 900})
            page.on("request", lambda r: requests.append(r.url))
            page.goto(server.url + "/")
            status = page.get_by_test_id("connection-status")
            expect(status).to_have_attribute("data-state", "open", timeout=15_000)

            # market data without a key: the agents' contract is live
            expect(page.get_by_test_id("symbol")).to_have_value(busy)
            expect(page.locator("[data-testid=tape] tbody tr").first).to_be_visible(timeout=15_000)
            expect(page.locator("[data-testid=ladder] tr[data-side]").first).to_be_visible(timeout=15_000)
            for chart in ("price-chart", "curve"):
                expect(page.locator(f"[data-testid={chart}] canvas")).to_be_visible()
            expect(page.get_by_test_id("order-form").locator("button[type=submit]")).to_be_disabled()

            # a contract of our own, a key, an order through the form
            page.get_by_test_id("symbol").select_option(quiet)
            page.get_by_test_id("api-key").fill(alice)
            page.get_by_role("button", name="Use key").click()
            account = page.get_by_test_id("account")
            expect(account).to_contain_text("alice")
            assert page.evaluate("sessionStorage.getItem('sitex.apiKey')") == alice
            assert alice not in page.url
            form = page.get_by_test_id("order-form")
            form.locator("select[name=side]").select_option("buy")
            form.locator("input[name=qty]").fill("7")
            form.locator("input[name=price]").fill(price)
            form.locator("button[type=submit]").click()
            expect(page.get_by_test_id("order-result")).to_contain_text("new: 0 filled, 7 open")
            level = page.locator(f"[data-testid=ladder] tr[data-side=bid][data-price='{price}']")
            expect(level.locator("td.qty")).to_have_text("7")
            expect(level.locator("td.mine")).to_have_text("7")
            mine = httpx.get(server.url + "/v1/orders", headers={"X-API-Key": alice}).json()
            assert [(o["symbol"], o["price"], o["remaining_qty"]) for o in mine] == [(quiet, price, 7)]
            row = page.locator(f"[data-testid=open-orders] tr[data-order-id='{mine[0]['order_id']}']")
            expect(row).to_contain_text(price)

            # crossed from a second account through the API
            r = httpx.post(server.url + "/v1/orders", headers={"X-API-Key": bob},
                           json={"symbol": quiet, "side": "sell", "qty": 3, "price": price})
            assert r.status_code == 200 and r.json()["status"] == "filled", r.text
            trade = page.locator("[data-testid=tape] tbody tr").first
            expect(trade).to_contain_text(price)
            expect(trade.locator("td").nth(2)).to_have_text("3")
            position = account.locator(f"tr[data-symbol='{quiet}'] td").nth(1)
            expect(position).to_have_text("3")
            expect(level.locator("td.qty")).to_have_text("4")
            expect(row.locator("td").nth(4)).to_have_text("4")
            page.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)

            # cancelled with its button
            row.get_by_role("button", name="cancel").click()
            expect(row).to_have_count(0)
            expect(level).to_have_count(0)
            order = httpx.get(f"{server.url}/v1/orders/{mine[0]['order_id']}", headers={"X-API-Key": alice})
            assert order.json()["status"] == "cancelled"

            # the server goes away and comes back on its journal: the page follows by itself
            server.stop()
            expect(status).to_have_attribute("data-state", "closed", timeout=15_000)
            expect(status).to_contain_text("reconnecting")
            server.start()
            expect(status).to_have_attribute("data-state", "open", timeout=30_000)
            expect(account).to_contain_text("alice", timeout=10_000)
            expect(position).to_have_text("3", timeout=10_000)
            page.screenshot(path=str(ARTIFACTS / "dashboard-reconnected.png"), full_page=True)
        finally:
            browser.close()
    outside = [u for u in requests if not u.startswith((server.url, server.url.replace("http", "ws")))]
    assert outside == [], outside
    assert not any(alice in u or bob in u for u in requests)  # a key is never in a URL


def test_the_api_pages_load_only_from_the_server(server):
    """/docs (Swagger UI) and /redoc render from the vendored assets. Redoc's sidebar asks for
    its maker's logo on a CDN: the page's Content-Security-Policy makes the browser refuse it
    (Redoc then hides the image), so nothing leaves the machine."""
    requests: list[str] = []
    failed: dict[str, str] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page()
            page.on("request", lambda r: requests.append(r.url))
            page.on("requestfailed", lambda r: failed.update({r.url: r.failure}))
            page.goto(server.url + "/docs")
            expect(page.locator(".swagger-ui .info .title")).to_contain_text("sitex", timeout=15_000)
            expect(page.locator(".opblock-summary-path").first).to_be_visible()
            page.goto(server.url + "/redoc")
            expect(page.locator("h1").first).to_contain_text("sitex", timeout=15_000)
            expect(page.get_by_text("/v1/orders").first).to_be_attached()
        finally:
            browser.close()
    local = ("data:", "blob:", server.url)
    outside = [u for u in requests if not u.startswith(local)]
    assert all(failed.get(u) == "csp" for u in outside), (outside, failed)
    assert [u for u in failed if u.startswith(local)] == [], failed
    assert any(u.endswith("swagger-ui-bundle.js") for u in requests)
    assert any(u.endswith("redoc.standalone.js") for u in requests)


def test_the_order_form_shows_the_servers_reason_for_every_refusal(server):
    """A bad order typed into the form is refused with the API's reason below it, and nothing is
    placed. The form used to let the browser validate the quantity (an empty, 0, negative or
    fractional one gave a browser tooltip and no message on the page), sent an empty price as
    "" (a regex in the message instead of MISSING_PRICE) and read 1.5 lots as 1 had the browser
    let it through. Forgetting the key puts the page's first hint back. The price's label
    names the contract's quote unit."""
    contracts = httpx.get(server.url + "/v1/contracts").json()
    quiet = [c["symbol"] for c in contracts if c["product"] == "SIT"][2]
    alice = server.account("alice")
    reference = Decimal(httpx.get(f"{server.url}/v1/ticker/{quiet}").json()["reference"])
    price = str(reference - Decimal("0.005"))
    refused = [("", price, "INVALID_COMMAND: qty: Input should be a valid integer"),
               ("0", price, "INVALID_COMMAND: qty: Input should be greater than or equal to 1"),
               ("-3", price, "INVALID_COMMAND: qty: Input should be greater than or equal to 1"),
               ("1.5", price, "INVALID_COMMAND: qty: Input should be a valid integer"),
               ("2", price + "3", "PRICE_NOT_ON_TICK"),
               ("2", "abc", "INVALID_COMMAND: price: expected a decimal number such as 2.010, got 'abc'"),
               ("2", "", "MISSING_PRICE"),
               ("2", "-1", "INVALID_PRICE")]
    errors: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1440, "height": 900})
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.goto(server.url + "/#" + quiet)
            expect(page.get_by_test_id("connection-status")).to_have_attribute("data-state", "open",
                                                                              timeout=15_000)
            expect(page.get_by_test_id("quote-unit")).to_have_text("USD per 1 million SIT")
            gpu = next(c["symbol"] for c in contracts if c["product"] == "GPU")
            page.get_by_test_id("symbol").select_option(gpu)
            expect(page.get_by_test_id("quote-unit")).to_have_text("USD per GPU-hour")
            page.get_by_test_id("symbol").select_option(quiet)
            hint = page.locator("#key-hint")
            first_hint = hint.inner_text()
            page.get_by_test_id("api-key").fill(alice)
            page.get_by_role("button", name="Use key").click()
            expect(page.get_by_test_id("account")).to_contain_text("alice")
            form, result = page.get_by_test_id("order-form"), page.get_by_test_id("order-result")
            for qty, typed_price, reason in refused:
                page.evaluate("document.getElementById('order-result').textContent = ''")
                form.locator("input[name=qty]").fill(qty)
                form.locator("input[name=price]").fill(typed_price)
                form.locator("button[type=submit]").click()
                expect(result).to_contain_text(reason)
                expect(result).to_have_class("result err")
            assert httpx.get(server.url + "/v1/orders", headers={"X-API-Key": alice}).json() == []
            page.screenshot(path=str(ARTIFACTS / "dashboard-refused.png"), full_page=True)

            page.get_by_role("button", name="Forget key").click()
            expect(hint).to_have_text(first_hint)
            expect(form.locator("button[type=submit]")).to_be_disabled()
        finally:
            browser.close()
    assert errors == []
