"""The regulator's reports, live (through the server) and rebuilt from the journal (the
command line): the large-trader report with position accountability, and the audit trail.
They must agree with each other and with the live positions."""

import csv
import io
import json
import sqlite3
from datetime import UTC, datetime

import httpx
import pyarrow.parquet as pq
import pytest

from api.app import Settings
from api.audit_trail import AUDIT_COLUMNS
from api.large_traders import Levels, large_traders
from api.report_commands import audit_main, large_traders_main
from api.store import OrderStore
from clearing.factory import default_clearinghouse
from exchange.events import Fill
from exchange.journal import Journal

ADMIN = {"X-API-Key": "test-admin-key"}


def trade(s, seller, buyer, sym, qty, price="2.000"):
    r = seller.post("/v1/orders", json={"symbol": sym, "side": "sell", "qty": qty, "price": price})
    assert r.status_code == 200, r.text
    r = buyer.post("/v1/orders", json={"symbol": sym, "side": "buy", "qty": qty, "price": price})
    assert r.status_code == 200 and r.json()["status"] == "filled", r.text


def _session(make_server, admin_key, journal):
    live = {}
    with make_server(Settings(admin_key=admin_key, cycle_seconds=0, rate=0, journal=journal,
                              gate=default_clearinghouse())) as s:
        sym, other = s.front(), s.front("GPU")
        clients = {}
        for name in ("whale", "dealer", "small", "flipper", "gpu-whale"):
            _, clients[name] = s.new_account(name)
            with s.admin() as a:
                assert a.post("/v1/admin/deposits", json={"account_id": name, "amount": "5000000.00"}).status_code == 200
        trade(s, clients["dealer"], clients["whale"], sym, 30)  # whale +30, dealer -30
        trade(s, clients["dealer"], clients["small"], sym, 5)  # small +5: under the level
        trade(s, clients["dealer"], clients["flipper"], sym, 40)  # flipper +40 ...
        trade(s, clients["flipper"], clients["dealer"], sym, 40)  # ... and flat again: a peak
        trade(s, clients["dealer"], clients["gpu-whale"], other, 26, "2.500")
        r = clients["whale"].post("/v1/orders", json={"symbol": sym, "side": "buy", "qty": 1,
                                                      "price": "2.0005"})
        assert r.json()["code"] == "PRICE_NOT_ON_TICK"  # refused at the API: never journaled
        clients["dealer"].post("/v1/orders", json={"symbol": sym, "side": "sell", "qty": 2, "price": "2.050"})
        r = clients["whale"].post("/v1/orders", json={"symbol": sym, "side": "buy", "qty": 2,
                                                      "price": "2.050", "post_only": True})
        assert r.json()["code"] == "WOULD_CROSS_POST_ONLY"  # refused by the venue: journaled
        resting = clients["whale"].post("/v1/orders", json={"symbol": sym, "side": "buy", "qty": 3,
                                                            "price": "1.950"}).json()["order_id"]
        assert clients["whale"].delete(f"/v1/orders/{resting}").status_code == 200

        today = datetime.now(UTC).date().isoformat()
        with s.admin() as a:
            live["report"] = a.get("/v1/admin/reports/large-traders", params={"date": today}).json()
            live["custom"] = a.get("/v1/admin/reports/large-traders", params={
                "date": today, "level": "SIT:41", "accountability": ["SIT:30", "GPU:26"]}).json()
            live["csv"] = a.get("/v1/admin/reports/large-traders", params={"date": today, "format": "csv"})
            pages, after = [], 0
            while after is not None:
                page = a.get("/v1/admin/reports/audit", params={"account": "whale", "after": after,
                                                                "limit": 4}).json()
                pages.append(page["rows"])
                after = page["next"]
            live["audit_pages"] = pages
            live["audit_all"] = a.get("/v1/admin/reports/audit", params={"limit": 10_000}).json()
            live["problems"] = {
                "level": a.get("/v1/admin/reports/large-traders", params={"level": "SIT:lots"}),
                "product": a.get("/v1/admin/reports/large-traders",
                                 params={"accountability": "sit:10"}),
                "date": a.get("/v1/admin/reports/large-traders", params={"date": "yesterday"}),
                "time": a.get("/v1/admin/reports/audit", params={"from": "noon"}),
                "limit": a.get("/v1/admin/reports/audit", params={"limit": 0})}
        live["not_admin"] = clients["whale"].get("/v1/admin/reports/large-traders")
        live["positions"] = {n: c.get("/v1/positions").json() for n, c in clients.items()}
        live["open_interest"] = s.service.venue.gate.open_interest(sym)
        live["sym"], live["other"], live["today"], live["resting"] = sym, other, today, resting
    return live


@pytest.fixture(scope="module")
def session(make_server, admin_key, tmp_path_factory):
    journal = str(tmp_path_factory.mktemp("reports") / "journal.db")
    return _session(make_server, admin_key, journal), journal


def test_large_traders_of_the_day(session):
    live, _ = session
    report, sym, other = live["report"], live["sym"], live["other"]
    assert report["date"] == live["today"]
    assert report["levels"]["SIT"] == {"reportable": 25, "accountability": 500}
    contracts = {c["symbol"]: c for c in report["contracts"]}
    assert set(contracts) == {sym, other}
    sit = contracts[sym]
    assert sit["open_interest"] == 35 == live["open_interest"]
    rows = {r["account"]: r for r in sit["traders"]}
    assert set(rows) == {"whale", "dealer", "flipper"}  # small (5 lots) is under the level
    assert rows["whale"] == {"account": "whale", "long": 30, "short": 0, "net": 30, "peak": 30,
                             "share_of_open_interest": "0.8571", "reported_for": "end_of_day",
                             "above_accountability_level": False}
    assert (rows["dealer"]["short"], rows["dealer"]["net"], rows["dealer"]["peak"]) == (35, -35, 75)
    assert rows["dealer"]["share_of_open_interest"] == "1.0000"
    assert (rows["flipper"]["net"], rows["flipper"]["peak"], rows["flipper"]["reported_for"]) == (0, 40, "peak")
    assert [r["account"] for r in contracts[other]["traders"]] == ["dealer", "gpu-whale"]


def test_end_of_day_positions_match_the_live_ones(session):
    live, _ = session
    for c in live["report"]["contracts"]:
        for row in c["traders"]:
            held = {p["symbol"]: p["qty"] for p in live["positions"].get(row["account"], [])}
            assert row["net"] == held.get(c["symbol"], 0), row


def test_levels_are_configurable_per_product(session):
    live, _ = session
    custom = {c["symbol"]: {r["account"]: r for r in c["traders"]} for c in live["custom"]["contracts"]}
    assert live["custom"]["levels"]["SIT"] == {"reportable": 41, "accountability": 30}
    assert set(custom[live["sym"]]) == {"dealer"}  # 75 at its peak; whale's 30 is under 41 now
    assert custom[live["other"]]["gpu-whale"]["above_accountability_level"] is True  # 26 >= 26


def test_the_csv_has_one_row_per_trader(session):
    live, _ = session
    r = live["csv"]
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert len(rows) == sum(len(c["traders"]) for c in live["report"]["contracts"]) == 5
    whale = next(x for x in rows if x["account"] == "whale")
    assert (whale["net"], whale["open_interest"], whale["above_accountability_level"]) == ("30", "35", "False")


def test_the_report_rebuilt_from_the_journal_equals_the_live_one(session, capsys):
    live, journal = session
    assert large_traders_main(["--journal", journal, "--date", live["today"]]) == 0
    assert json.loads(capsys.readouterr().out) == live["report"]
    assert large_traders_main(["--journal", journal, "--format", "csv"]) == 0  # default: the last day
    assert capsys.readouterr().out == live["csv"].text
    assert large_traders_main(["--journal", journal, "--level", "SIT=41", "--accountability", "SIT=30",
                               "--accountability", "GPU=26", "--date", live["today"]]) == 0
    assert json.loads(capsys.readouterr().out) == live["custom"]


def test_the_audit_trail_pages_and_holds_every_order_event(session):
    live, _ = session
    pages = live["audit_pages"]
    assert all(len(p) == 4 for p in pages[:-1]) and 0 < len(pages[-1]) <= 4
    rows = [r for p in pages for r in p]
    assert all(r["account"] == "whale" for r in rows) and list(rows[0]) == list(AUDIT_COLUMNS)
    events = [r["event"] for r in rows]
    assert events[:3] == ["received", "order_accepted", "fill"]
    assert "cancel_requested" in events and "order_cancelled" in events
    rejected = [r for r in rows if r["event"] == "rejected"]
    assert [(r["reason"], r["order_id"]) for r in rejected] == [("WOULD_CROSS_POST_ONLY", None)]
    assert not any(r["price"] == "2.0005" for r in rows)  # a refusal at the API is no command
    fill = next(r for r in rows if r["event"] == "fill")
    assert (fill["price"], fill["qty"], fill["side"], fill["role"]) == ("2.000", 30, "buy", "taker")
    seqs = [r["seq"] for r in rows if r["seq"] is not None]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)  # whale's side of each fill only
    positions = [r["position"] for r in rows]
    assert positions == sorted(positions)
    assert all(r["time"].startswith(live["today"]) for r in rows)
    cancelled = next(r for r in rows if r["event"] == "order_cancelled")
    assert (cancelled["order_id"], cancelled["reason"]) == (live["resting"], "user")


def test_the_audit_trail_rebuilt_by_the_command_line_is_the_same(session, capsys, tmp_path):
    live, journal = session
    assert audit_main(["--journal", journal]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    served = live["audit_all"]["rows"]
    assert live["audit_all"]["next"] is None
    assert len(rows) == len(served) and [r["event"] for r in rows] == [r["event"] for r in served]
    assert [int(r["seq"]) if r["seq"] else None for r in rows] == [r["seq"] for r in served]
    assert audit_main(["--journal", journal, "--account", "flipper", "--symbol", live["sym"]]) == 0
    flipper = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert {r["account"] for r in flipper} == {"flipper"} and len(flipper) == 6
    first = served[0]["ts"]
    assert audit_main(["--journal", journal, "--from", str(first + 1), "--to", "2100-01-01"]) == 0
    later = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert len(later) == len([r for r in served if r["ts"] > first])
    out = tmp_path / "audit.parquet"
    assert audit_main(["--journal", journal, "--format", "parquet", "--out", str(out)]) == 0
    table = pq.read_table(out)
    assert table.column_names == list(AUDIT_COLUMNS) and table.num_rows == len(served)
    assert table.column("seq").to_pylist() == [r["seq"] for r in served]


@pytest.mark.parametrize("argv,words", [
    (["--gate", "clearing"], "--gate is 'permissive' or MODULE:FACTORY, got 'clearing'"),
    (["--gate", "no_such_module:factory"], "--gate no_such_module:factory: cannot load it"),
    (["--out", "{dir}"], "cannot write --out {dir}: Is a directory"),
])
@pytest.mark.parametrize("main", [large_traders_main, audit_main])
def test_the_commands_refuse_a_gate_or_out_they_cannot_use_in_one_line(session, capsys, tmp_path,
                                                                       main, argv, words):
    _, journal = session
    argv = [a.format(dir=tmp_path) for a in argv]
    assert main(["--journal", journal, *argv]) == 2
    err = capsys.readouterr().err
    assert words.format(dir=tmp_path) in err and "Traceback" not in err
    assert err.count("\n") == 1


def test_refusals(session, capsys, tmp_path, make_server, admin_key):
    live, journal = session
    problems = live["problems"]
    assert problems["level"].status_code == 422 and problems["level"].json()["code"] == "INVALID_COMMAND"
    assert problems["date"].status_code == 422
    # a level for a product the venue does not list was silently unused (sit: SIT kept 500)
    assert problems["product"].status_code == 422
    assert problems["product"].json()["detail"] == "no product 'sit' (products: GPU, SIT)"
    assert large_traders_main(["--journal", journal, "--level", "NOPE=5"]) == 2
    assert "no product 'NOPE' (products: GPU, SIT)" in capsys.readouterr().err
    assert problems["time"].status_code == 422 and "not a time" in problems["time"].json()["detail"]
    assert problems["limit"].status_code == 422
    assert live["not_admin"].status_code == 403
    with make_server(Settings(admin_key=admin_key, cycle_seconds=0, rate=0)) as s:  # no journal
        r = httpx.get(s.url + "/v1/admin/reports/audit", headers=ADMIN)
        assert r.status_code == 409 and "--journal" in r.json()["detail"]
    assert audit_main(["--journal", journal, "--format", "parquet"]) == 2
    assert "needs a file" in capsys.readouterr().err
    assert large_traders_main(["--journal", str(tmp_path / "none.db")]) == 2
    assert audit_main(["--journal", journal, "--from", "noon"]) == 2
    assert large_traders_main(["--journal", journal, "--level", "SIT"]) == 2


def _not_journals(tmp_path):
    """Files a user may hand to --journal by mistake: (path, words the refusal says)."""
    empty = tmp_path / "empty.db"
    empty.write_bytes(b"")
    text = tmp_path / "notes.txt"
    text.write_text("not a journal\n")
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as db:
        db.execute("CREATE TABLE t (x)")
    half = tmp_path / "half.db"  # the batches table alone, no meta: not written by a server
    with sqlite3.connect(half) as db:
        db.execute("CREATE TABLE batches (id INTEGER PRIMARY KEY, n INTEGER, records BLOB)")
    return {"empty": (empty, "the file is empty"), "text": (text, "file is not a database"),
            "sqlite": (other, "without the journal's tables batches and meta"),
            "half": (half, "without the journal's table meta"),
            "missing": (tmp_path / "none.db", "no such file")}


@pytest.mark.parametrize("kind", ["empty", "text", "sqlite", "half", "missing"])
@pytest.mark.parametrize("main", [large_traders_main, audit_main])
def test_a_file_that_is_not_a_journal_is_refused_naming_it(tmp_path, capsys, main, kind):
    """An empty file, a text file, an SQLite file without the journal's tables: refused in one
    line naming the file, exit 2, and no report (the audit trail used to print its header,
    an empty report, before the error; --out was left holding it)."""
    path, words = _not_journals(tmp_path)[kind]
    out = tmp_path / "report.out"
    assert main(["--journal", str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.count("\n") == 1
    assert f"--journal {path}" in captured.err and words in captured.err, captured.err
    assert "Traceback" not in captured.err
    assert main(["--journal", str(path), "--out", str(out)]) == 2
    assert not out.exists()


def test_the_journal_of_a_server_that_took_no_command_gives_empty_reports(tmp_path, capsys):
    path = str(tmp_path / "quiet.db")
    Journal(path).close()
    assert large_traders_main(["--journal", path]) == 0
    assert json.loads(capsys.readouterr().out)["contracts"] == []
    assert audit_main(["--journal", path]) == 0
    captured = capsys.readouterr()
    assert captured.out.strip() == ",".join(AUDIT_COLUMNS)
    assert captured.err == "sitex report audit: 0 rows\n"


def test_a_peak_before_the_day_is_not_reported():
    """Positions are carried into the day; a peak is measured within it."""
    store = OrderStore()
    day1 = int(datetime(2026, 12, 1, 12, tzinfo=UTC).timestamp()) * 10**9
    day2 = day1 + 86_400 * 10**9
    store.apply([Fill(1, day1, 1, "SITZ26", 2000, 30, 1, 10, "b", 0, 11, "a", 0),
                 Fill(2, day1 + 1, 2, "SITZ26", 2000, 20, -1, 12, "c", 0, 13, "a", 0),
                 Fill(3, day2, 3, "SITZ26", 2000, 1, 1, 14, "c", 0, 15, "b", 0)])
    contracts = {"SITZ26": {"product": "SIT", "settled_at": None}}
    first = large_traders(store, contracts, datetime(2026, 12, 1).date(), Levels())
    assert {r["account"]: (r["net"], r["peak"]) for r in first["contracts"][0]["traders"]} == {"a": (10, 30), "b": (-30, 30)}
    second = large_traders(store, contracts, datetime(2026, 12, 2).date(), Levels())
    assert {r["account"]: (r["net"], r["peak"]) for r in second["contracts"][0]["traders"]} == {"b": (-29, 30)}
    contracts["SITZ26"]["settled_at"] = day2 + 10
    settled = large_traders(store, contracts, datetime(2026, 12, 2).date(), Levels())
    assert settled["contracts"][0]["open_interest"] == 0
    assert {r["account"]: (r["net"], r["peak"]) for r in settled["contracts"][0]["traders"]} == {"b": (0, 30)}
