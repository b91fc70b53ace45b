"""The dashboard's files and the OpenAPI pages: shipped in the package, pinned, nothing from a
CDN; the session summary the dashboard's session panel shows (the browser test is in
test_dashboard_browser.py)."""

import hashlib
import json
import re
import tomllib
from pathlib import Path

import httpx

from api import dashboard

ROOT = Path(__file__).resolve().parents[2]
STATIC = ROOT / "api" / "static"


def test_vendored_libraries_are_the_pinned_releases_with_their_licences():
    pinned = json.loads((STATIC / "vendor" / "vendor.json").read_text())
    assert {name: p["version"] for name, p in pinned.items()} == {
        "swagger-ui-dist": "5.36.0", "redoc": "2.5.4", "uplot": "1.6.32"}
    for name, p in pinned.items():
        folder = STATIC / "vendor" / f"{name}-{p['version']}"
        assert "LICENSE" in p["sha256"]
        for file, digest in p["sha256"].items():
            assert hashlib.sha256((folder / file).read_bytes()).hexdigest() == digest, file
        assert sorted(f.name for f in folder.iterdir()) == sorted(p["sha256"])


def test_the_package_ships_every_static_file():
    """pyproject's package-data globs cover every file under api/static (`pip install .`
    ships the dashboard: the wheel holds what these globs match)."""
    globs = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["api"]
    files = [p.relative_to(ROOT / "api") for p in STATIC.rglob("*") if p.is_file()]
    assert files
    unshipped = [f for f in files if not any(f.match(g) and len(f.parts) == len(Path(g).parts)
                                             for g in globs)]
    assert unshipped == []


def test_pages_reference_only_the_server(server):
    for path in ("/", "/docs", "/redoc"):
        r = httpx.get(server.url + path)
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
        assert "default-src 'self'" in r.headers["content-security-policy"]
        refs = re.findall(r'(?:src|href|url)\s*[=:(]\s*["\']([^"\']+)["\']', r.text)
        assert refs, path
        external = [u for u in refs if re.match(r"^(https?:)?//", u)]
        assert external == [], (path, external)
        for ref in refs:
            if ref.startswith("/") and not ref.startswith("/openapi"):
                asset = httpx.get(server.url + ref)
                assert asset.status_code == 200, ref
    assert "swagger-ui-dist-5.36.0/swagger-ui-bundle.js" in httpx.get(server.url + "/docs").text
    assert "redoc-2.5.4/redoc.standalone.js" in httpx.get(server.url + "/redoc").text
    assert '"validatorUrl": null' in httpx.get(server.url + "/docs").text


def test_the_dashboard_page_has_the_stable_hooks(server):
    page = httpx.get(server.url + "/").text
    hooks = set(re.findall(r'data-testid="([^"]+)"', page))
    assert {"ladder", "tape", "price-chart", "curve", "account", "order-form", "open-orders",
            "connection-status"} <= hooks
    script = httpx.get(server.url + "/static/dashboard.js").text
    assert "sessionStorage" in script and "localStorage" not in script
    assert "prev_seq" in script  # the gap check of the book's deltas
    assert dashboard.vendored("uplot", "uPlot.iife.min.js") in page


def test_the_session_summary_shows_makers_fundamental_and_risk(make_server, admin_key):
    """Through a real server running its cycles: the fundamental of the simulated feed, and a
    registered market maker whose quote becomes compliant once it shows 10 lots a side within
    20 ticks on the second SIT expiry (an ordinary account is not listed)."""
    import time

    from api.app import Settings

    with make_server(Settings(admin_key=admin_key, cycle_seconds=0.1, rate=0)) as s:
        s.new_account("plain")  # an ordinary account: not in the list
        with s.admin() as a:
            r = a.post("/v1/admin/accounts", json={"account_id": "mm-reg", "market_maker": True})
            assert r.status_code == 201
            maker = httpx.Client(base_url=s.url, headers={"X-API-Key": r.json()["api_key"]})

        def session(until, timeout=10.0):
            deadline = time.monotonic() + timeout
            while True:
                body = httpx.get(s.url + "/v1/session").json()
                if until(body) or time.monotonic() > deadline:
                    return body
                time.sleep(0.05)

        sym = s.front()
        body = session(lambda b: b["market_makers"] and len(b["fundamental"].get("SIT", [])) >= 2)
        assert body["index_source"] == "feed" and set(body["fundamental"]) == {"SIT", "GPU"}
        assert all(p["value"].count(".") == 1 for p in body["fundamental"]["SIT"])
        assert body["obligation"] == {"symbol": sym, "max_spread_ticks": 20, "min_size": 10,
                                      "min_presence": 0.8}
        assert [(m["account"], m["compliant"]) for m in body["market_makers"]] == [("mm-reg", False)]

        for side, price in (("buy", "1.990"), ("sell", "2.010")):  # 20 ticks apart, 10 lots
            r = maker.post("/v1/orders", json={"symbol": sym, "side": side, "qty": 10, "price": price})
            assert r.status_code == 200, r.text
        body = session(lambda b: b["market_makers"][0]["compliant"])
        assert body["market_makers"][0]["compliant"] is True
        body = session(lambda b: b["market_makers"][0]["presence"] > 0)
        assert 0 < body["market_makers"][0]["presence"] < 1
        assert body["risk"] == {"margin_calls": 0, "margin_calls_cured": 0, "liquidations": 0,
                                "positions_allocated": 0, "defaults": 0}
        assert body["waterfall"] == [] and body["events"] == []
        assert httpx.get(s.url + "/v1/session?history=-1").status_code == 422
