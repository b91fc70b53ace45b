"""The end of a session: its record (marketmakers/record.py) built from what the runner kept,
the summary `sitex simulate --json` prints, the sampled series, the stylized facts of the
primary contract's mid and, for a multi-day session, the scenario's level at each fixing.

Runs once per session, after the loop (and after its wall time is taken): not compiled, as
its work is numpy's and the event log's digest (marketmakers/event_log.py, compiled)."""

from __future__ import annotations

from collections import Counter

import numpy as np

from clearing.types import NS_PER_SECOND
from marketmakers.record import SessionRecord
from marketmakers.session_config import NS_PER_DAY
from marketmakers.stylized import returns_facts, stylized_facts


def build_record(session) -> SessionRecord:
    """The record of a session that has run (marketmakers/session.py's Session)."""
    config = session.config
    reports = [t.close(session.end_ts) for t in session.trackers.values()]
    samples = {k: np.asarray(v) for k, v in session.samples.items()}
    makers = {name: {k: np.asarray(v) for k, v in series.items()}
              for name, series in session.maker_series.items()}
    digest = session.log.write(session.log_path)
    kinds = Counter(e["kind"] for e in session.risk_events)
    waterfall: Counter = Counter()
    for e in session.risk_events:
        if e["kind"] == "waterfall":
            waterfall[e["layer"]] += e["amount_cents"]
    facts = stylized(samples, config)
    wall_s, events, commands, flow = session.wall_s, session.events, session.commands, session.flow
    summary = {
        "scenario": config.scenario, "seed": config.seed,
        "hours": config.span_ns() / (3_600 * NS_PER_SECOND),
        "days": config.days, "window_hours": config.window_hours if config.days else None,
        "trading_hours": config.days * config.window_hours if config.days else None,
        "start": config.start, "start_ts": session.start_ts, "end_ts": session.end_ts,
        "primary_symbol": session.primaries[0][1] if session.primaries else None,
        "primary_symbols": session.primaries,
        # what the report's figures name: the index and the unit of every price
        "index_name": session.scenario.index_name,
        "price_unit": (session.venue.market(session.primary).spec.product.quote_unit
                       if session.primary else None),
        "sample_interval_s": config.sample_interval_s,
        "agents": dict(Counter(a.kind for a in session.agents)),
        "events": events, "commands": commands,
        "wall_s": round(wall_s, 3),
        "events_per_s": round(events / wall_s) if wall_s > 0 else None,
        "commands_per_s": round(commands / wall_s) if wall_s > 0 else None,
        # ABIDES counts every message to and from its exchange: commands in plus events out
        "messages_per_s": (round((commands + events) / wall_s)
                           if wall_s > 0 else None),
        "trades": sum(f[0] for f in flow.values()),
        "volume": sum(f[1] for f in flow.values()),
        "trades_by_symbol": {sym: f[0] for sym, f in sorted(flow.items())},
        "digest": digest,
        "mm_obligations_met": {r.maker: r.met for r in reports},
        "mm_obligations": [r.to_dict() for r in reports],
        "margin_calls": kinds["margin_call"], "liquidations": kinds["liquidation"],
        "defaults": kinds["default"], "waterfall_cents": dict(sorted(waterfall.items())),
        "rejections": sum(a.rejections for a in session.agents),
        "stylized_facts": facts,
    }
    if config.days:
        summary["scenario_level_usd"] = scenario_level(session.scenario.params, config.days,
                                                       session.start_ts)
    return SessionRecord(summary=summary, samples=samples, makers=makers,
                         risk_events=list(session.risk_events))


def scenario_level(p, days: int, start_ts: int) -> list[list]:
    """[ts, USD] at each day's fixing: the level the scenario's fundamental reverts to,
    exp(theta(t) + lambda mu_J / kappa) (the stationary mean of its log with jumps,
    docs/price-model.md), the trend a multi-day session's price plot draws."""
    days = np.arange(days + 1)
    log_level = p.theta(days / 365.0) + p.jump_rate * p.jump_mean / p.kappa
    return [[start_ts + int(d) * NS_PER_DAY, float(v)] for d, v in zip(days, np.exp(log_level))]


def window_returns(ts, mid, step: int, sample_interval_s: float) -> np.ndarray:
    """Log returns of the mid every `step` samples within each trading window, joined."""
    cuts = np.flatnonzero(np.diff(ts) > 2 * sample_interval_s * NS_PER_SECOND) + 1
    windows = [w[::step] for w in np.split(mid, cuts)]
    windows = [w[~np.isnan(w)] for w in windows]
    return np.concatenate([np.diff(np.log(w)) for w in windows if w.size > 1] or [np.empty(0)])


def stylized(samples: dict, config) -> dict:
    """Stylized facts of the primary contract's mid (trade prices bounce between bid and
    ask) at `returns_interval_s` (shorter in a short session): at one minute a 0.001 USD tick is about one minute's
    standard deviation, and the mid's half-tick steps alone make returns mean-revert (the
    lag-1 autocorrelation at the sample interval is reported too, for comparison)."""
    if len(samples.get("ts", ())) < 3:
        return {}
    mid = (samples["bid_usd"] + samples["ask_usd"]) / 2
    step = round(config.returns_interval_s / config.sample_interval_s)
    step = max(1, min(step, len(mid) // 30))  # a short session: shorter returns, not too few
    spreads = samples["spread_ticks"][~np.isnan(samples["spread_ticks"])]
    depth = (samples["bid_depth"] + samples["ask_depth"]) / 2
    if config.days:  # the returns within each day's window, not across the nights
        returns = window_returns(samples["ts"], mid, step, config.sample_interval_s)
        if returns.size < 3:
            return {}
        facts = returns_facts(returns, spreads, depth)
        every = window_returns(samples["ts"], mid, 1, config.sample_interval_s)
        lag1 = returns_facts(every)["autocorr_returns_lag1"] if every.size >= 3 else None
    else:
        prices = mid[::step]
        prices = prices[~np.isnan(prices)]
        if prices.size < 4:
            return {}
        facts = stylized_facts(prices, spreads, depth)
        every = mid[~np.isnan(mid)]
        lag1 = stylized_facts(every)["autocorr_returns_lag1"] if every.size >= 4 else None
    facts["returns_interval_s"] = step * config.sample_interval_s
    if lag1 is not None:
        facts["autocorr_returns_lag1_at_sample_interval"] = lag1
    return facts
