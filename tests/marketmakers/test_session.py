"""The session runner: determinism (in and across processes), the obligations accounting
proven from the event log, the schedule of index, marks and variation margin, an expiry inside
a session, margin calls and liquidation, and the summary's promised keys."""

import gzip
import gc
import hashlib
import json
import os
import subprocess
import sys
from collections import Counter
from datetime import datetime
from itertools import pairwise

import pytest

from clearing.clearinghouse import ClearingHouse
from clearing.config import ClearingConfig
from clearing.factory import default_margin_model
from exchange.venue import Venue
from marketmakers.agents.config import parse_agents
from marketmakers.session import NS_PER_SECOND, Session, SessionConfig

SMALL = {
    "obligation": {"max_spread_ticks": 20, "min_size": 10, "min_presence": 0.8},
    "group": [
        {"kind": "market_maker", "count": 1},
        {"kind": "market_maker", "count": 1, "model": "glft", "gamma": 0.05},
        {"kind": "noise", "count": 8},
        {"kind": "momentum", "count": 2, "wake_s": 30},
        {"kind": "mean_reversion", "count": 2, "wake_s": 30},
        {"kind": "arbitrageur", "count": 1},
        {"kind": "hedger", "count": 1, "wake_s": 60},
    ],
}
HOUR = 3_600 * NS_PER_SECOND


def run(tmp_path=None, venue=None, **kw):
    kw.setdefault("agents", parse_agents(SMALL))
    kw.setdefault("hours", 0.25)
    session = Session(SessionConfig(**kw), venue=venue,
                      log_path=tmp_path / "events.csv" if tmp_path else None)
    return session, session.run()


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    path = tmp_path_factory.mktemp("small")
    session, record = run(path, seed=11)
    return session, record, path / "events.csv"


# ---------------------------------------------------------------------------- determinism

FIGURES = ("events", "commands", "trades", "volume", "trades_by_symbol", "digest",
           "mm_obligations", "margin_calls", "liquidations", "defaults", "rejections",
           "stylized_facts")


def test_the_same_config_gives_the_same_log_and_figures(small):
    _, first, _ = small
    _, again = run(seed=11)
    for key in FIGURES:
        assert again.summary[key] == first.summary[key], key
    assert first.summary["events"] > 1_000 and first.summary["trades"] > 10


def test_a_finished_session_is_freed(small):
    """A sweep's worker runs one session after another: none may outlive its run (the compiled
    scheduler's queue, out of the collector's sight, kept each one alive with its event log)."""
    gc.collect()
    before = {id(o) for o in gc.get_objects() if type(o) is Session}
    run(seed=12)
    gc.collect()
    assert {id(o) for o in gc.get_objects() if type(o) is Session} <= before


def test_another_seed_gives_another_log(small):
    _, first, _ = small
    _, other = run(seed=12)
    assert other.summary["digest"] != first.summary["digest"]


def test_the_digest_is_the_sha256_of_events_csv(small):
    session, record, path = small
    assert hashlib.sha256(path.read_bytes()).hexdigest() == record.summary["digest"]
    lines = path.read_text().splitlines()
    assert lines[0] == "seq,ts,kind,symbol,account,order_id,side,price,qty,detail"
    assert len(lines) - 1 == record.summary["events"] == session.log.count
    seqs = [int(line.split(",", 1)[0]) for line in lines[1:]]
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))  # gap-free, in order


SMALL_TOML = """
[obligation]
max_spread_ticks = 20
min_size = 10
min_presence = 0.8

[[group]]
kind = "market_maker"
count = 2

[[group]]
kind = "noise"
count = 8

[[group]]
kind = "momentum"
count = 2
wake_s = 30

[[group]]
kind = "arbitrageur"
count = 1
"""


def test_the_digest_does_not_depend_on_the_process_hash_seed(tmp_path):
    """`sitex simulate` in two interpreters with different string hashing (so different set
    and dict-of-str iteration orders wherever they could leak in) logs the same events."""
    agents = tmp_path / "agents.toml"
    agents.write_text(SMALL_TOML)
    digests = []
    for hash_seed in ("0", "4242"):
        out = tmp_path / f"run-{hash_seed}"
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        done = subprocess.run(
            [sys.executable, "-m", "api.cli", "simulate", "--json", "--hours", "0.25",
             "--no-progress", "--seed", "5", "--agents", str(agents), "--out", str(out)],
            env=env, capture_output=True, text=True, check=True, timeout=120)
        digest = json.loads(done.stdout)["digest"]
        csv_text = gzip.decompress((out / "events.csv.gz").read_bytes())
        assert digest == hashlib.sha256(csv_text).hexdigest()
        digests.append(digest)
    assert digests[0] == digests[1]


# ---------------------------------------------------------------------------- obligations

def rebuild_own_quotes(events, account: str):
    """From the log alone: after each timestamp at which one of the maker's own orders changed,
    its own (best bid, lots, best ask, lots) in the contract it quotes (the one of its latest
    new order: after an expiry a maker moves to the new front month). Makers send plain limit
    orders (no iceberg, no stop), so the lots at a price are the remaining quantities."""
    orders: dict[int, list] = {}  # order_id -> [side, price, remaining, symbol]
    changes: list[tuple[int, tuple]] = []
    active = None

    def top():
        bids = [(o[1], o[2]) for o in orders.values() if o[0] > 0 and o[3] == active]
        asks = [(o[1], o[2]) for o in orders.values() if o[0] < 0 and o[3] == active]
        bid = max((p for p, _ in bids), default=None)
        ask = min((p for p, _ in asks), default=None)
        return (bid, sum(q for p, q in bids if p == bid), ask, sum(q for p, q in asks if p == ask))

    for e in events:
        kind = e.kind
        changed = False
        if kind == "order_accepted":
            if e.account == account and e.status == "new" and e.price is not None:
                orders[e.order_id] = [e.side, e.price, e.qty, e.symbol]
                active = e.symbol
                changed = True
        elif kind == "fill":
            for oid, acct, remaining in ((e.maker_order_id, e.maker_account, e.maker_remaining),
                                         (e.taker_order_id, e.taker_account, e.taker_remaining)):
                if acct == account and oid in orders:
                    if remaining:
                        orders[oid][2] = remaining
                    else:
                        del orders[oid]
                    changed = True
        elif kind in ("order_cancelled", "order_expired"):
            if e.account == account and orders.pop(e.order_id, None) is not None:
                changed = True
        elif kind == "order_amended" and e.account == account and e.order_id in orders:
            orders[e.order_id][1:3] = [e.price, e.remaining]
            changed = True
        if changed:
            if changes and changes[-1][0] == e.ts:
                changes[-1] = (e.ts, top())  # the state after the last change at this instant
            else:
                changes.append((e.ts, top()))
    return changes


def compliant_ns_from_log(events, maker, start_ts: int, end_ts: int) -> int:
    """The tracker's semantics: a maker's quote state changes at the venue time of the command
    that changed its orders (the session updates the tracker right after that command), and
    holds until the next change or the end; the session starts non-compliant."""
    total = 0
    since, compliant = start_ts, False
    for ts, (bid, bid_lots, ask, ask_lots) in rebuild_own_quotes(events, maker.account):
        if compliant:
            total += ts - since
        since, compliant = ts, maker.obligation.compliant(bid, bid_lots, ask, ask_lots)
    if compliant:
        total += end_ts - since
    return total


@pytest.mark.parametrize("which", ["small", "across_the_fixing", "expiry"])
def test_obligations_accounting_equals_the_log(which, request):
    """Also across a daily fixing, and through an expiry (the expiring maker's quotes are
    cancelled with the contract; it quotes the new front month from its next wake-up)."""
    session, record = request.getfixturevalue(which)[:2]
    events = list(session.log.events())
    reports = {r["maker"]: r for r in record.summary["mm_obligations"]}
    assert set(reports) == {m.name for m in session.makers} == set(record.summary["mm_obligations_met"])
    session_ns = session.end_ts - session.start_ts
    for maker in session.makers:
        report = reports[maker.name]
        expected = compliant_ns_from_log(events, maker, session.start_ts, session.end_ts)
        assert 0 < expected <= session_ns
        assert report["compliant_ns"] == expected, maker.name
        assert report["session_ns"] == session_ns
        presence = expected / session_ns
        assert report["presence"] == round(presence, 4)
        assert report["met"] is (presence >= maker.obligation.min_presence)
        assert record.summary["mm_obligations_met"][maker.name] is report["met"]


def test_a_strict_obligation_is_not_met_and_the_log_agrees():
    """A spread bar tighter than any ladder the makers quote: no compliant time at all."""
    agents = parse_agents({**SMALL, "obligation": {"max_spread_ticks": 1, "min_size": 10,
                                                   "min_presence": 0.5}})
    session, record = run(seed=11, agents=agents, hours=0.1)
    events = list(session.log.events())
    for maker, report in zip(session.makers, record.summary["mm_obligations"], strict=True):
        assert report["compliant_ns"] == compliant_ns_from_log(events, maker, session.start_ts,
                                                               session.end_ts) == 0
        assert report["met"] is False


# ---------------------------------------------------------------------------- the schedule

@pytest.fixture(scope="module")
def across_the_fixing():
    """15:30 to 16:30 UTC: the daily 16:00 boundary inside the session."""
    return run(seed=2, hours=1.0, start="2027-01-04T15:30:00+00:00")


def test_marks_and_variation_margin_every_mark_interval(across_the_fixing):
    session, _ = across_the_fixing
    events = list(session.log.events())
    start, interval = session.start_ts, 900 * NS_PER_SECOND
    vm = [e for e in events if e.kind == "variation_margin"]
    mark_times = sorted({e.ts for e in events if e.kind == "mark"})
    scheduled = [start + i * interval for i in range(5)]  # 15:30 (opening), 15:45 ... 16:30
    assert mark_times == scheduled
    assert sorted({e.ts for e in vm}) == scheduled
    # every live contract is marked at every cycle, and each cycle settles gains = losses
    live = {e.symbol for e in events if e.kind == "contract_listed"}
    for ts in scheduled:
        assert {e.symbol for e in events if e.kind == "mark" and e.ts == ts} == live
    assert all(e.paid == e.collected for e in vm)


def test_one_end_of_day_cycle_at_the_16_utc_boundary(across_the_fixing):
    session, _ = across_the_fixing
    eod = [e for e in session.log.events() if e.kind == "variation_margin" and e.end_of_day]
    assert [e.ts for e in eod] == [session.start_ts + HOUR // 2]  # 16:00 UTC
    assert eod[0].ts % (86_400 * NS_PER_SECOND) == 16 * HOUR


def test_a_session_ending_at_16_utc_has_one_end_of_day_cycle():
    session, _ = run(seed=2, hours=0.5, start="2027-01-04T15:30:00+00:00")
    eod = [e for e in session.log.events() if e.kind == "variation_margin" and e.end_of_day]
    assert len(eod) == 1


def test_the_index_is_published_every_index_interval(across_the_fixing):
    session, _ = across_the_fixing
    interval = session._index_interval()
    assert interval == 60 * NS_PER_SECOND
    for name in ("SIT", "GPU"):
        pubs = session.venue.gate.histories[name].publications
        times = [p.ts for p in pubs]
        assert times[0] == session.start_ts
        assert all(b - a == interval for a, b in pairwise(times))
        assert times[-1] > session.end_ts - interval
        assert session.venue.index_value(name) == pubs[-1].value


def test_the_log_shows_every_index_publication(across_the_fixing):
    session, _ = across_the_fixing
    kinds = Counter(e.kind for e in session.log.events())
    publications = len(session.venue.gate.histories["SIT"].publications)
    assert kinds["index_published"] == 2 * publications  # SIT and GPU, one a minute each


# ---------------------------------------------------------------------------- expiry

EXPIRY_AGENTS = {"group": [
    {"kind": "market_maker", "count": 1, "expiry": 1},
    {"kind": "market_maker", "count": 1, "expiry": 2},
    {"kind": "hedger", "count": 2, "roll_days": 0.02, "wake_s": 60, "monthly_lots": 4},
    {"kind": "noise", "count": 6},
    {"kind": "noise", "count": 6, "expiry": 2},
]}
LAST_TRADE_F27 = "2027-01-29T16:00:00+00:00"


@pytest.fixture(scope="module")
def expiry():
    return run(seed=3, hours=1.25, start="2027-01-29T15:00:00+00:00",
               agents=parse_agents(EXPIRY_AGENTS))


def test_the_front_month_settles_and_the_next_is_listed(expiry):
    session, record = expiry
    events = list(session.log.events())
    last_trade = SessionConfig(start=LAST_TRADE_F27).start_ts()
    settled = [e for e in events if e.kind == "final_settlement" and e.symbol == "SITF27"]
    assert len(settled) == 1 and settled[0].ts == last_trade
    assert any(e.kind == "contract_listed" and e.symbol == "SITF28" and e.ts == last_trade
               for e in events)
    listed = [s for s, _ in session.listed("SIT")]
    assert "SITF27" not in listed and listed[0] == "SITG27" and "SITF28" in listed
    # nobody holds the expired contract: open interest 0
    gate = session.venue.gate
    assert all(gate.positions(a.account).get("SITF27", 0) == 0 for a in session.agents)
    hedgers = [a for a in session.agents if a.kind == "hedger"]
    assert all("SITF27" not in gate.positions(h.account) for h in hedgers)
    # the front-month maker moved on to the new front month and kept its quotes up
    front = record.summary["mm_obligations"][0]
    assert front["maker"] == "market-maker-1"
    assert front["compliant_ns"] > last_trade - session.start_ts
    # no order of the expired contract trades after its last trading time
    assert not [e for e in events if e.kind == "fill" and e.symbol == "SITF27" and e.ts >= last_trade]


def test_hedgers_hold_their_strip_and_roll_out_of_the_front_month(expiry):
    session, _ = expiry
    lots = EXPIRY_AGENTS["group"][2]["monthly_lots"]
    roll_from = SessionConfig(start=LAST_TRADE_F27).start_ts() - round(0.02 * 86_400 * NS_PER_SECOND)
    last: dict = {}
    for e in session.log.events():
        if e.kind == "position_changed" and e.account.startswith("hedger"):
            assert 0 <= e.position <= lots, e  # long the strip, never beyond it
            last[e.account, e.symbol] = (e.ts, e.position)
    assert {s for _, s in last} == {"SITF27", "SITG27", "SITH27"}  # the strip rolled to H27
    for (_, symbol), (ts, position) in last.items():
        if symbol == "SITF27":  # sold out after the roll date, before the last trade
            assert position == 0 and ts >= roll_from


def test_agents_on_expiry_1_move_to_the_new_front_month(expiry):
    session, record = expiry
    reasons = Counter(e.reason.name for e in session.log.events() if e.kind == "rejected")
    assert reasons["MARKET_EXPIRED"] == 0
    assert all(record.summary["mm_obligations_met"].values())


# ---------------------------------------------------------------------------- margin calls

# Seed 7157 of `efficiency-shock` (over 2.25 h: the path's draws depend on its length) has a
# -27% jump of the fundamental at 579 s. Underfunded hedgers are long by then, so the 900 s
# mark cycle calls them: with the default rulebook their equity is ~61% of maintenance, above
# the 50% hard floor, and they cure the call by halving their position. A stricter rulebook
# (hard floor at 70% of maintenance) liquidates them at once: both paths are exercised.
RISKY_SEED = 7157
RISKY_AGENTS = {"group": [
    {"kind": "market_maker", "count": 2},
    {"kind": "hedger", "count": 2, "cash_usd": 30_000, "monthly_lots": 500, "clip": 10,
     "wake_s": 10, "months": 1},
    {"kind": "noise", "count": 6},
]}


def risky_session(hard_floor_bps: int):
    gate = ClearingHouse(ClearingConfig(hard_floor_bps=hard_floor_bps), margin=default_margin_model())
    return run(venue=Venue(gate=gate), scenario="efficiency-shock", seed=RISKY_SEED, hours=2.25,
               agents=parse_agents(RISKY_AGENTS))


def test_underfunded_agents_are_called_and_cure_the_call():
    session, record = risky_session(ClearingConfig().hard_floor_bps)
    s = record.summary
    events = list(session.log.events())
    kinds = Counter(e.kind for e in events)
    assert s["margin_calls"] >= 1 and (s["liquidations"], s["defaults"]) == (0, 0)
    assert s["margin_calls"] == kinds["margin_call"]
    assert [r["kind"] for r in record.risk_events] == ["margin_call"] * s["margin_calls"]
    calls = [e for e in events if e.kind == "margin_call"]
    assert {e.account for e in calls} <= {"hedger-1", "hedger-2"}
    assert all(e.equity < e.maintenance and e.deadline > e.ts for e in calls)  # not the floor
    for call in calls:  # the hedger sold (reduce_risk), then the call was cured
        cured = [e for e in events if e.kind == "margin_call_cured" and e.account == call.account
                 and e.ts > call.ts]
        sold = [e for e in events if e.kind == "position_changed" and e.account == call.account
                and call.ts < e.ts <= cured[0].ts and e.qty < 0]
        assert cured and sold
        assert cured[0].ts < call.deadline



def test_the_shipped_stress_example_is_this_population_and_gets_its_calls():
    """docs/examples/underfunded-hedgers.toml, the file the docs tell a user to run to watch
    margin calls, is the population above; with the default session (the CLI's clearinghouse)
    its hedgers are called."""
    from pathlib import Path

    from marketmakers.agents.config import load_agents

    example = Path(__file__).resolve().parents[2] / "docs" / "examples" / "underfunded-hedgers.toml"
    agents = load_agents(example)
    assert agents == parse_agents(RISKY_AGENTS)
    record = Session(SessionConfig(scenario="efficiency-shock", seed=RISKY_SEED, hours=2.25,
                                   agents=agents)).run()
    assert record.summary["margin_calls"] >= 1

def test_underfunded_agents_are_called_and_liquidated():
    session, record = risky_session(7_000)
    s = record.summary
    events = list(session.log.events())
    kinds = Counter(e.kind for e in events)
    assert s["margin_calls"] >= 1 and s["liquidations"] >= 1
    assert s["margin_calls"] == kinds["margin_call"]
    assert s["liquidations"] == kinds["liquidation_started"]
    assert s["defaults"] == kinds["account_defaulted"]
    risk = Counter(e["kind"] for e in record.risk_events)
    assert (risk["margin_call"], risk["liquidation"], risk["default"]) == (
        s["margin_calls"], s["liquidations"], s["defaults"])
    called = {e.account for e in events if e.kind == "margin_call"}
    liquidated = {e.account for e in events if e.kind == "liquidation_started"}
    assert liquidated <= called
    assert all(a.startswith("hedger") for a in called)
    rejected = Counter(e.reason.name for e in events if e.kind == "rejected")
    assert rejected["INSUFFICIENT_MARGIN"] > 0  # they were stopped before at the gate, too
    for agent in session.agents:  # a liquidated agent knows it and is out
        assert agent.out is (agent.account in liquidated)
    gate = session.venue.gate
    assert all(not gate.positions(a) for a in liquidated)
    # the liquidation's close-out orders and cancels are in the log, at the liquidation time
    for e in (e for e in events if e.kind == "liquidation_started"):
        after = [x for x in events if x.ts == e.ts and x.seq > e.seq
                 and getattr(x, "account", None) == e.account]
        assert after, e


# ---------------------------------------------------------------------------- the summary

def test_the_summary_has_the_promised_keys(small):
    _, record, _ = small
    s = record.summary
    for key in ("events", "events_per_s", "trades", "digest", "mm_obligations_met",
                "margin_calls", "liquidations", "defaults"):
        assert key in s, key
    assert s["events"] > 0 and s["events_per_s"] > 0 and s["trades"] > 0
    assert isinstance(s["margin_calls"], int) and isinstance(s["liquidations"], int)
    assert isinstance(s["defaults"], int)
    assert json.loads(json.dumps(s["mm_obligations_met"])) == s["mm_obligations_met"]
    facts = s["stylized_facts"]
    for key in ("excess_kurtosis", "autocorr_returns_lag1", "autocorr_abs_returns_lag1",
                "mean_spread", "mean_depth"):
        assert key in facts, key
    assert facts["mean_spread"] > 0 and facts["mean_depth"] > 0
    assert -1 <= facts["autocorr_returns_lag1"] <= 1


# ---------------------------------------------------------------------------- many days

DAY = 86_400 * NS_PER_SECOND
WINDOW = HOUR // 2


@pytest.fixture(scope="module")
def days():
    """Three days from the 27 January 16:00 fixing, trading half an hour before each of the
    next three fixings: the front month's last trading day (29 January) falls in the middle."""
    return run(seed=4, days=3, window_hours=0.5, start="2027-01-27T16:00:00+00:00")


def closes(session) -> list[int]:
    return [session.start_ts + (d + 1) * DAY for d in range(session.config.days)]


def test_a_multi_day_session_trades_only_in_its_windows(days):
    session, record = days
    assert session.end_ts == session.start_ts + 3 * DAY
    windows = [(close - WINDOW, close) for close in closes(session)]
    events = list(session.log.events())
    outside = [e for e in events if e.ts != session.start_ts
               and not any(a <= e.ts <= b for a, b in windows)]
    assert outside == []
    assert any(e.kind == "fill" for e in events if windows[1][0] <= e.ts <= windows[1][1])
    ts = record.samples["ts"]
    assert len(ts) == 3 * 30  # a sample a minute, in the windows only
    assert all(any(a < t <= b for a, b in windows) for t in ts)
    s = record.summary
    assert (s["days"], s["window_hours"], s["trading_hours"], s["hours"]) == (3, 0.5, 1.5, 72.0)


def test_each_close_settles_the_day_and_cancels_what_rests(days):
    session, _ = days
    events = list(session.log.events())
    fixings = session.venue.gate.histories["SIT"].daily_fixings()
    assert len(fixings) == 4  # the start's and each day's 16:00 fixing
    for close in closes(session):
        at_close = [e for e in events if e.ts == close]
        eod = [e for e in at_close if e.kind == "variation_margin" and e.end_of_day]
        assert eod and eod[0].accounts > 0  # the end-of-day variation margin (and an expiry's)
        marked = {e.symbol for e in at_close if e.kind == "mark"}
        assert {"SITG27", "SITH27"} <= marked
    for close in closes(session)[:-1]:  # the session's end closes the last day
        at_close = [e for e in events if e.ts == close]
        settled = {e.symbol for e in at_close if e.kind == "reference_price" and e.settlement}
        expired = {e.symbol for e in at_close if e.kind == "final_settlement"}
        marked = {e.symbol for e in at_close if e.kind == "mark"}
        assert marked - expired <= settled and len(settled) >= 20  # a settlement price each
        # (on the expiry day the expiring month's orders go with it)
        assert any(e.kind == "order_cancelled" and e.reason in ("cancel_all", "contract_expired")
                   for e in at_close)
        # nothing rests into the night: every order live at the close was cancelled then
        live_orders: dict = {}
        for e in events:
            if e.ts > close:
                break
            if e.kind == "order_accepted" and e.status == "new":
                live_orders[e.order_id] = e
            elif e.kind == "order_cancelled" or (e.kind == "fill" and e.maker_remaining == 0):
                live_orders.pop(e.order_id if e.kind == "order_cancelled" else e.maker_order_id, None)
            if e.kind == "fill" and e.taker_remaining == 0:
                live_orders.pop(e.taker_order_id, None)
        assert live_orders == {}


def test_the_front_month_expires_as_it_falls_and_the_report_follows_the_next(days):
    session, record = days
    events = list(session.log.events())
    last_trade = int(datetime.fromisoformat(LAST_TRADE_F27).timestamp()) * NS_PER_SECOND
    assert [e.ts for e in events if e.kind == "final_settlement" and e.symbol == "SITF27"] == [last_trade]
    assert record.summary["primary_symbols"] == [[session.start_ts, "SITF27"], [last_trade, "SITG27"]]
    assert record.summary["primary_symbol"] == "SITF27"


def test_a_multi_day_session_counts_obligations_over_its_windows_only(days):
    session, record = days
    events = list(session.log.events())
    for maker, report in zip(session.makers, record.summary["mm_obligations"], strict=True):
        assert report["session_ns"] == 3 * WINDOW
        expected = compliant_ns_from_log(events, maker, session.start_ts, session.end_ts)
        assert 0 < report["compliant_ns"] == expected <= 3 * WINDOW


def test_a_multi_day_price_plot_is_in_days_with_the_scenario_level(days):
    from marketmakers.plots import FIGURES

    _, record = days
    level = record.summary["scenario_level_usd"]
    assert len(level) == 4 and all(v > 0 for _, v in level)
    ax = FIGURES["price.png"](record).axes[0]
    assert ax.get_xlabel() == "days since the session start"
    assert any(line.get_label().startswith("scenario level") for line in ax.get_lines())
    assert "SITF27 then SITG27" in ax.get_title() and "30-minute window" in ax.get_title()


@pytest.mark.parametrize("kw,message", [
    ({"days": 2, "window_hours": 0.1}, "whole number of mark intervals"),
    ({"days": 2, "window_hours": 25}, "at most 24"),
    ({"days": -1}, "days must be"),
])
def test_bad_multi_day_settings_are_refused(kw, message):
    with pytest.raises(ValueError, match=message):
        SessionConfig(**kw)


def test_thirty_days_of_demand_explosion_show_the_scenario_and_call_the_underfunded():
    """The docs' example (docs/sessions.md): the shipped underfunded population through 30
    days of the demand-explosion scenario, seed 27: the price rises toward the scenario's
    level, a jump down on the seventh day brings margin calls on the leveraged hedgers."""
    from pathlib import Path

    from marketmakers.agents.config import load_agents

    example = Path(__file__).resolve().parents[2] / "docs" / "examples" / "underfunded-hedgers.toml"
    record = Session(SessionConfig(scenario="demand-explosion", seed=27, days=30,
                                   agents=load_agents(example))).run()
    s = record.summary
    fundamental = record.samples["fundamental_usd"]
    assert fundamental[-1] > 1.2 * fundamental[0]  # the scenario's rise
    assert s["scenario_level_usd"][-1][1] > s["scenario_level_usd"][0][1]
    assert s["margin_calls"] >= 1
    assert {e["account"] for e in record.risk_events} <= {"hedger-1", "hedger-2"}
