"""A session's flat figures (what a sweep of sessions compares), on records built by hand."""

import math

import numpy as np

from marketmakers.record import SessionRecord
from marketmakers.session_figures import FIGURES, realised_vol, session_figures

STEP = 60_000_000_000  # one-minute samples
SUMMARY = {"trades": 12, "volume": 40, "events": 300, "commands": 90, "rejections": 2,
           "margin_calls": 1, "liquidations": 0, "defaults": 0, "digest": "ab" * 32,
           "primary_symbol": "SITF27", "agents": {"market_maker": 2, "noise": 5},
           "mm_obligations": [{"maker": "mm-1", "presence": 0.9, "met": True},
                              {"maker": "mm-2", "presence": 0.5, "met": False}],
           "stylized_facts": {"excess_kurtosis": 1.5, "autocorr_returns_lag1": -0.1,
                              "autocorr_abs_returns_lag1": 0.2}}


def record(bid, ask, bid_depth, ask_depth, spread, makers=None, summary=SUMMARY):
    n = len(bid)
    samples = {"ts": STEP * np.arange(1, n + 1, dtype=np.int64), "bid_usd": np.array(bid, float),
               "ask_usd": np.array(ask, float), "bid_depth": np.array(bid_depth),
               "ask_depth": np.array(ask_depth), "spread_ticks": np.array(spread, float)}
    return SessionRecord(summary=summary, samples=samples, makers=makers or {})


def test_every_figure_in_its_order_and_type():
    r = record([1.999, 2.000, 2.001, 1.998], [2.001, 2.002, 2.003, 2.002], [10, 20, 30, 40],
               [30, 20, 10, 0], [2, 2, 2, 4],
               makers={"mm-1": {"pnl_usd": np.array([0.0, 5.0, 120.5])},
                       "mm-2": {"pnl_usd": np.array([0.0, -3.0, -20.5])}})
    row = session_figures(r)
    assert list(row) == list(FIGURES)
    for name, (kind, _) in FIGURES.items():
        assert row[name] is None or type(row[name]) is kind, name
    assert (row["trades"], row["volume"], row["rejections"], row["margin_calls"]) == (12, 40, 2, 1)
    assert (row["market_makers"], row["agents_total"]) == (2, 7)
    assert row["mean_spread_ticks"] == 2.5
    assert row["mean_depth_lots"] == 20.0  # (bid + ask depth) / 2, averaged
    assert row["maker_pnl_usd_total"] == 100.0 and row["maker_pnl_usd_mean"] == 50.0
    assert row["obligations_met_share"] == 0.5 and row["obligation_presence_mean"] == 0.7
    assert row["excess_kurtosis"] == 1.5 and row["digest"] == "ab" * 32


def test_realised_volatility_is_the_annualised_sd_of_log_mid_returns():
    mids = np.array([2.0, 2.01, 1.99, 2.02, 2.0])
    r = record(mids - 0.001, mids + 0.001, [1] * 5, [1] * 5, [2] * 5)
    per_minute = np.std(np.diff(np.log(mids)), ddof=1)
    assert math.isclose(realised_vol(r.samples), per_minute * math.sqrt(365 * 24 * 60), rel_tol=1e-12)


def test_a_one_sided_book_leaves_its_samples_out_and_an_empty_session_gives_none():
    r = record([2.0, np.nan, 2.01, 2.0], [2.002, 2.003, 2.012, 2.002], [5, 0, 5, 5],
               [5, 5, 5, 5], [2, np.nan, 2, 2])
    assert realised_vol(r.samples) is not None
    assert session_figures(r)["mean_spread_ticks"] == 2.0
    empty = session_figures(record([np.nan] * 3, [np.nan] * 3, [0] * 3, [0] * 3, [np.nan] * 3,
                                   summary={**SUMMARY, "mm_obligations": [],
                                            "stylized_facts": {}}))
    for name in ("mean_spread_ticks", "realised_vol", "excess_kurtosis", "maker_pnl_usd_mean",
                 "obligations_met_share"):
        assert empty[name] is None, name
    assert empty["mean_depth_lots"] == 0.0
