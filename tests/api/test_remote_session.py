"""`sitex simulate --server URL`: the session's agents against a real uvicorn server."""

import json

import httpx
import pytest

from api.app import Settings
from api import simulate
from api.simulate import main
from clearing.factory import default_clearinghouse
from tests.api.conftest import ADMIN

AGENTS = """
[[group]]
kind = "market_maker"
count = 2
wake_s = 0.3
[[group]]
kind = "noise"
count = 6
wake_s = 0.2
[[group]]
kind = "hedger"
count = 2
wake_s = 0.5
monthly_lots = 4
[[group]]
kind = "momentum"
count = 1
wake_s = 0.3
"""


def test_the_session_agents_trade_against_a_live_server(make_server, tmp_path, capsys):
    agents = tmp_path / "agents.toml"
    agents.write_text(AGENTS)
    with make_server(Settings(admin_key=ADMIN, cycle_seconds=0.5, rate=0,
                              gate=default_clearinghouse())) as server:
        code = main(["--server", server.url, "--admin-key", ADMIN, "--hours", str(4 / 3600),
                     "--agents", str(agents), "--json"])
        assert code == 0
        summary = json.loads(capsys.readouterr().out)
        with httpx.Client(base_url=server.url, headers={"X-API-Key": ADMIN}) as admin:
            accounts = {a["account_id"]: a for a in admin.get("/v1/admin/accounts").json()["accounts"]}
    assert summary["agents"] == {"market_maker": 2, "noise": 6, "hedger": 2, "momentum": 1}
    assert summary["commands"] > 50 and summary["fills"] > 0
    # the agents trade for the time asked, after the accounts and streams are set up
    assert summary["seconds"] >= 4 and summary["setup_seconds"] > 0
    # every kind acts on the wall clock: the makers' wake-ups come a little late, never "stale"
    assert set(summary["commands_by_kind"]) >= {"market_maker", "noise", "hedger"}
    # at most a cancel racing a fill, or a market order meeting an empty side of the book
    assert set(summary["rejections"]) <= {"UNKNOWN_ORDER", "NO_LIQUIDITY"}
    # what every agent learnt of its positions from its private channels is what the server holds
    for name, account in summary["accounts"].items():
        server_side = {p["symbol"]: p["qty"] for p in accounts[account]["positions"]}
        assert summary["positions"].get(name, {}) == server_side, name
    traded = {s for p in summary["positions"].values() for s in p}
    for symbol in traded:  # zero-sum: every lot bought was sold by another agent
        assert sum(p.get(symbol, 0) for p in summary["positions"].values()) == 0


def test_server_mode_needs_the_admin_key(capsys, monkeypatch):
    monkeypatch.delenv("SITEX_ADMIN_KEY", raising=False)
    assert main(["--server", "http://127.0.0.1:9", "--hours", "0.001"]) == 2
    assert "admin key" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [["--hours", "0"], ["--hours", "-1"], ["--hours", "nan"],
                                  ["--hours", "0.001", "--seed", "-1"]])
def test_server_mode_refuses_a_length_or_seed_that_cannot_be(argv, capsys):
    """Before: --hours 0, -1 or nan opened every account and ran nothing; --seed -1 was a
    traceback."""
    assert main(["--server", "http://127.0.0.1:9", "--admin-key", "x", *argv]) == 2
    assert "--hours must be > 0 and --seed >= 0" in capsys.readouterr().err


def test_an_unreachable_server_is_a_clear_error(capsys):
    assert main(["--server", "http://127.0.0.1:9", "--admin-key", "x", "--hours", "0.001"]) == 1
    assert "failed" in capsys.readouterr().err


def test_admin_calls_wait_out_the_rate_limit():
    import asyncio

    from api.client import SitexError
    from api.remote_session import _patiently

    answers = [SitexError(429, {"code": "INVALID_COMMAND"}), SitexError(429, {}), {"api_key": "k"}]
    for err in answers[:2]:
        err.retry_after = 0
    calls = []

    async def call():
        calls.append(1)
        answer = answers[len(calls) - 1]
        if isinstance(answer, Exception):
            raise answer
        return answer

    assert asyncio.run(_patiently(call)) == {"api_key": "k"} and len(calls) == 3

    async def refused():
        raise SitexError(403, {"code": "UNKNOWN_ACCOUNT"})

    try:
        asyncio.run(_patiently(refused))
    except SitexError as e:  # anything but a 429 is not waited out
        assert e.status == 403
    else:
        raise AssertionError("a 403 was retried")


@pytest.mark.parametrize("argv, flag", [
    (["--scenario", "no-such-scenario"], "--scenario no-such-scenario"),  # not even checked
    (["--scenario", "demand-explosion"], "--scenario demand-explosion"),
    (["--days", "2"], "--days 2"),
    (["--days", "2", "--window-hours", "0.5"], "--days 2"),
    (["--window-hours", "0.5"], "--window-hours 0.5"),
    (["--start", "2027-01-01T16:00:00+00:00"], "--start 2027-01-01T16:00:00+00:00"),
    (["--out", "runs/x"], "--out runs/x"),
    (["--event-log", "csv"], "--event-log csv"),
])
def test_server_mode_refuses_the_in_process_sessions_options(argv, flag, capsys, monkeypatch):
    """The remote session runs on the server's index and clock and writes no report: a price
    scenario (an unknown one too), a start, days, an output directory used to be dropped
    without a word. A usage error naming both, before any account is opened."""
    monkeypatch.setattr(simulate, "run_remote", lambda *a: pytest.fail("the session ran"))
    with pytest.raises(SystemExit) as done:
        main(["--server", "http://127.0.0.1:9", "--admin-key", "x", "--hours", "0.001", *argv])
    assert done.value.code == 2
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert last.startswith("sitex simulate: error: ") and flag in last
    assert "--server http://127.0.0.1:9" in last
