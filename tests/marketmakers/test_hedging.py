"""The hedging study (marketmakers/hedging): limit cases against closed forms, the fast
evaluation against the plain reference, standard errors against the spread of seeds,
determinism, and every refusal of a bad setting."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from support.hedging_reference import reference_outcome

from marketmakers.fundamental import simulate_paths
from marketmakers.hedging import (
    SettingsError,
    command,
    parse_assignments,
    run_study,
    settings_for,
)
from marketmakers.hedging.calendar import StudyCalendar
from marketmakers.hedging.evaluate import BlockEvaluator, PreparedProgrammes
from marketmakers.hedging.paths import draw_block
from marketmakers.hedging.programmes import layered, static
from marketmakers.hedging.study import PROGRAMMES, Study, initial_margin_rate

FIVE = ("std_reduction", "variance_reduction", "cvar95_reduction", "mean_cost_change",
        "vm_outflow_p99")
FRICTIONLESS = {"fee": 0.0, "half_spread": 0.0, "funding_rate": 0.0}
PERFECT = {**FRICTIONLESS, "volume_noise": 0.0, "basis_vol": 0.0, "consumption_growth": 0.0}


def small(scenario="demand-explosion", seed=1, **overrides):
    base = {"paths": 2_000, "in_sample_paths": 2_000}
    return settings_for(scenario, {**base, **overrides}, seed=seed)


# ---- limit cases -------------------------------------------------------------------------


def test_a_perfect_hedge_locks_in_the_futures_curve():
    """Known volumes, the index's own price, no frictions, whole lots: the static hedge's cost
    is the same on every path, lots x F(0, m) x contract size; the unhedged bill is not."""
    s = small(**PERFECT)
    study = Study(s)
    result = study.run()
    static_cost = result.costs["static"]
    locked = 20 * study.curve.initial_prices().sum() * study.market.contract_size
    assert np.allclose(static_cost, locked, rtol=1e-12, atol=1e-6)
    row = result.summary["programmes"]["static"]
    assert row["std_reduction"] == pytest.approx(1.0, abs=1e-9)
    assert row["variance_reduction"] == pytest.approx(1.0, abs=1e-12)
    assert row["cvar95_reduction"] == pytest.approx(1.0, abs=1e-9)
    assert result.summary["programmes"]["min_variance"]["hedge_ratio"] == pytest.approx(1.0, abs=1e-9)
    assert result.summary["programmes"]["none"]["std_cost"] > 0.1 * locked


def test_nothing_hedged_changes_nothing():
    result = run_study(small(hedge_ratio=0.0, **FRICTIONLESS))
    rows = result.summary["programmes"]
    for name in ("static", "layered"):
        assert np.array_equal(result.costs[name], result.bill)
        assert rows[name]["std_reduction"] == 0.0 and rows[name]["mean_cost_change"] == 0.0
        assert rows[name]["vm_outflow_p99"] == 0.0
    none = rows["none"]
    assert all(none[f] == 0.0 for f in FIVE)


def test_futures_are_unbiased_so_a_frictionless_hedge_costs_nothing_on_average():
    """No risk premium: E[final settlement] = F(0, m), so E[payoff] = 0."""
    rows = run_study(small(paths=4_000, **FRICTIONLESS)).summary["programmes"]
    for name in ("static", "min_variance", "layered"):
        assert abs(rows[name]["mean_cost_change"]) < 4 * rows[name]["mean_cost_change_se"]


def test_fees_and_spreads_shift_the_cost_by_exactly_what_was_traded():
    base = run_study(small(**FRICTIONLESS))
    charged = run_study(small(**{**FRICTIONLESS, "fee": 0.5, "half_spread": 0.004}))
    for name in ("static", "layered"):
        lots = charged.summary["programmes"][name]["contracts"]
        per_lot = 0.5 + 0.004 * 1_000
        assert np.allclose(charged.costs[name] - base.costs[name], lots * per_lot, rtol=1e-12)


def test_financing_matches_its_closed_form_mean():
    """Futures are martingales, so E[cumulative VM] = 0 and E[financing] = r/365 x im_rate x
    size x sum_m lots_m x F(0, m) x (days month m is open)."""
    s = small(paths=4_000, **{**FRICTIONLESS, "funding_rate": 0.05})
    study = Study(s)
    row = study.run().summary["programmes"]["static"]
    lots = np.rint(study.expected)
    expected = (0.05 / 365 * study.market.im_rate * 1_000
                * (lots * study.curve.initial_prices() * study.cal.last).sum())
    assert abs(row["financing"] - expected) < 4 * row["financing_se"]


def test_independent_volume_and_basis_risk_leave_the_min_variance_ratio_at_one():
    """cov(Q P, S) / (E[Q] var S) = 1 when Q and the basis are independent of the price."""
    mv = run_study(small(in_sample_paths=6_000, price_volume_corr=0.0, volume_noise=0.3,
                         basis_vol=0.1, **FRICTIONLESS)).summary["programmes"]["min_variance"]
    assert mv["hedge_ratio"] == pytest.approx(1.0, abs=0.05)


def test_volume_that_rises_with_the_price_calls_for_more_than_one_for_one():
    low = run_study(small(price_volume_corr=0.0, volume_noise=0.3, **FRICTIONLESS))
    high = run_study(small(price_volume_corr=0.9, volume_noise=0.3, **FRICTIONLESS))
    h_low = low.summary["programmes"]["min_variance"]["hedge_ratio"]
    h_high = high.summary["programmes"]["min_variance"]["hedge_ratio"]
    assert h_high > h_low + 0.05


def test_the_min_variance_ratio_is_the_regression_slope_in_sample():
    """On its own in-sample paths no other ratio does better (the closed form is an argmin)."""
    s = small(volume_noise=0.3, price_volume_corr=0.5)
    study = Study(s)
    unit = static("unit", 1.0, study.expected, whole=False)
    ev = study.evaluator("in_sample", 0, 2_000)
    gain = ev.bill - ev.evaluate(PreparedProgrammes({"unit": unit}, study.curve))["unit"].cost
    h = study.min_variance_ratio()["hedge_ratio"]
    var = lambda r: np.var(ev.bill - r * gain)
    assert var(h) <= min(var(h - 0.02), var(h + 0.02))


# ---- the futures curve -------------------------------------------------------------------


def test_expected_fixing_matches_an_independent_simulation():
    """E[exp(x_j) | x_0] in closed form against simulate_paths (the session's own sampler)."""
    s = small()
    study = Study(s)
    curve = study.curve
    x = simulate_paths(curve.params, curve.x0, 1 / 365, 200, 40_000, np.random.default_rng(7))
    for j in (1, 30, 120, 200):
        sample = np.exp(x[:, j])
        se = sample.std() / math.sqrt(sample.size)
        assert abs(sample.mean() - curve.expected_fixing(0, j, curve.x0)) < 4 * se


def test_final_settlements_average_to_the_initial_futures_curve():
    s = small(paths=20_000, basis_vol=0.0, volume_noise=0.0)
    study = Study(s)
    settles = np.concatenate([study.evaluator("paths", b, 10_000).settle for b in (0, 1)], axis=1)
    se = settles.std(axis=1) / math.sqrt(settles.shape[1])
    assert np.all(np.abs(settles.mean(axis=1) - study.curve.initial_prices()) < 4 * se)


def test_the_table_reads_the_exact_price_to_a_few_millionths():
    study = Study(small())
    curve = study.curve
    x = np.linspace(curve.x0 - 1.5, curve.x0 + 1.5, 301)
    lots = np.arange(1.0, 13.0)
    for k in (0, 17, 200, 364):
        exact = curve.unfixed_exact(k, x, lots)
        table = np.einsum("m,mg->g", lots, curve.tables[k])
        read = np.interp(x, curve.grid, table)
        nonzero = exact > 0
        assert np.max(np.abs(read[nonzero] / exact[nonzero] - 1)) < 5e-5


def test_initial_margin_is_proportional_to_the_mark():
    for product, scenario in (("SIT", "demand-explosion"), ("GPU", "gpu-baseline")):
        rates = [initial_margin_rate(product, "2027-01", p) for p in (0.8, 1.5, 2.0, 3.5, 7.0)]
        assert max(rates) - min(rates) < 1e-3 * min(rates)


# ---- the fast evaluation against the reference -------------------------------------------


@pytest.mark.parametrize("kind", ["static", "layered"])
def test_block_evaluation_equals_the_plain_reference(kind):
    s = small(months=3, paths=40, funding_rate=0.06, fee=0.3, half_spread=0.01,
              consumption_growth=0.2, layers=2)
    study = Study(s)
    block = draw_block(s, study.curve, "paths", 0, 40)
    programme = (static("static", 1.0, study.expected) if kind == "static"
                 else layered("layered", 1.0, study.expected, 2, study.cal))
    out = BlockEvaluator(block, study.curve, study.market).evaluate(
        PreparedProgrammes({kind: programme}, study.curve))[kind]
    ref = reference_outcome(block, study.curve, study.market, programme)
    scale = np.abs(ref["payoff"]).max() + 1.0
    # entries on day 0 are exact; later ones (layered) are read from the table (forward.py)
    assert np.allclose(out.payoff, ref["payoff"], rtol=1e-12 if kind == "static" else 1e-4,
                       atol=0 if kind == "static" else 1e-5 * scale)
    assert np.allclose(ref["final_vm"], ref["payoff"], rtol=1e-9)
    assert np.allclose(out.vm_outflow, ref["vm_outflow"], rtol=1e-4, atol=1e-4 * scale)
    assert np.allclose(out.financing, ref["financing"], rtol=1e-4, atol=1e-6 * scale)
    assert out.entry_costs == pytest.approx(ref["entry_costs"])


@given(growth=st.floats(-0.2, 0.5), ratio=st.floats(0.0, 2.0), layers=st.integers(1, 4),
       rate=st.floats(0.0, 0.1), seed=st.integers(0, 10_000))
def test_cost_decomposes_into_bill_payoff_and_frictions(growth, ratio, layers, rate, seed):
    s = settings_for("baseline", {"months": 2, "paths": 8, "consumption_growth": growth,
                                  "funding_rate": rate}, seed=seed)
    study = Study(s)
    ev = study.evaluator("paths", 0, 8)
    progs = {"s": static("s", ratio, study.expected), "l": layered("l", ratio, study.expected,
                                                                  layers, study.cal)}
    for name, out in ev.evaluate(PreparedProgrammes(progs, study.curve)).items():
        assert np.allclose(out.cost, ev.bill - out.payoff + out.entry_costs + out.financing)
        ref = reference_outcome(ev.block, study.curve, study.market, progs[name])
        assert np.allclose(out.payoff, ref["payoff"], rtol=1e-4, atol=1e-3)


# ---- programmes ------------------------------------------------------------------------------


def test_layered_buys_each_month_in_tranches_before_it():
    cal = StudyCalendar("2027-01", 12)
    expected = 20.0 * 1.15 ** np.arange(12)
    prog = layered("layered", 1.0, expected, 6, cal)
    by_month = {}
    for t in prog.tranches:
        by_month.setdefault(t.month, []).append(t)
    for m, tranches in by_month.items():
        assert sum(t.lots for t in tranches) == np.rint(expected[m])
        assert all(t.lots == int(t.lots) for t in tranches)
        assert all(t.day < cal.first[m] for t in tranches)  # before the month's first fixing
        if m >= 6:  # all six after the start: at the starts of the six months before
            assert sorted({t.day for t in tranches}) == [int(cal.first[m - i]) - 1 for i in range(6, 0, -1)]
    assert {t.day for t in by_month[0]} == {0}


def test_the_calendar_has_one_fixing_per_day():
    cal = StudyCalendar("2027-01", 12)
    assert cal.days == 365 and list(cal.month_days[:2]) == [31, 28]
    assert StudyCalendar("2028-02", 1).days == 29


# ---- determinism, standard errors -----------------------------------------------------------


def test_same_seed_same_json_another_seed_other_paths():
    a = run_study(small(paths=600, in_sample_paths=500))
    b = run_study(small(paths=600, in_sample_paths=500))
    assert json.dumps(a.summary, sort_keys=True) == json.dumps(b.summary, sort_keys=True)
    other = run_study(small(seed=2, paths=600, in_sample_paths=500))
    assert not np.array_equal(other.costs["static"], a.costs["static"])


def test_in_sample_paths_are_independent_of_the_evaluated_paths():
    study = Study(small())
    a = study.evaluator("paths", 0, 50).block.fixings.copy()
    b = study.evaluator("in_sample", 0, 50).block.fixings.copy()
    assert not np.array_equal(a, b)


def test_reported_standard_errors_match_the_spread_of_independent_seeds():
    figures = ("std_reduction", "variance_reduction", "cvar95_reduction", "mean_cost_change",
               "vm_outflow_p99")
    values = {f: [] for f in figures}
    ses = {f: [] for f in figures}
    for seed in range(16):
        row = run_study(small(seed=seed, paths=1_000), only=("static",)).summary["programmes"]["static"]
        for f in figures:
            values[f].append(row[f])
            ses[f].append(row[f + "_se"])
    for f in figures:
        ratio = np.std(values[f], ddof=1) / np.mean(ses[f])
        assert 0.5 < ratio < 1.8, (f, ratio)


# ---- settings and the command ---------------------------------------------------------------


@pytest.mark.parametrize("items, named", [
    (["bogus=1"], "bogus"),
    (["volume_noise=abc"], "volume_noise"),
    (["volume_noise=-0.1"], "volume_noise"),
    (["price_volume_corr=1.5"], "price_volume_corr"),
    (["hedge_ratio=nan"], "hedge_ratio"),
    (["fee=-1"], "fee"),
    (["layers=1.5"], "layers"),
    (["start_month=2027-13"], "start_month"),
    (["basis_vol"], "KEY=VALUE"),
    (["=3"], "KEY=VALUE"),
])
def test_bad_settings_are_refused_naming_the_key(items, named):
    with pytest.raises(SettingsError, match=named):
        parse_assignments(items)


def test_unknown_scenario_is_refused():
    with pytest.raises(SettingsError, match="unknown scenario"):
        settings_for("nope")


@pytest.mark.parametrize("argv, named", [
    (["--set", "bogus=1"], "bogus"),
    (["--set", "basis_vol=x"], "basis_vol"),
    (["--paths", "1"], "paths"),
    (["--months", "0"], "months"),
    (["--scenario", "nope"], "nope"),
    (["--seed", "-3"], "seed"),
])
def test_the_command_refuses_bad_settings_with_exit_2(argv, named, capsys):
    assert command.main(argv + ["--no-progress"]) == 2
    assert named in capsys.readouterr().err


@pytest.mark.parametrize("argv, named", [
    (["--paths", "500", "--set", "paths=2000"], ("--paths 500", "--set paths=2000")),
    (["--set", "paths=2000", "--paths", "500"], ("--paths 500", "--set paths=2000")),
    (["--paths", "500", "--set", "paths=500"], ("--paths 500", "--set paths=500")),  # even equal
    (["--months", "6", "--set", "months=3"], ("--months 6", "--set months=3")),
])
def test_a_setting_given_twice_is_a_usage_error(argv, named, capsys, monkeypatch):
    """--paths and --months are shorthands of --set paths= and --set months=; both given, the
    flag used to win without a word. Refused before the study, argparse's way (exit 2)."""
    monkeypatch.setattr(command, "run_study", lambda *a, **k: pytest.fail("the study ran"))
    with pytest.raises(SystemExit) as done:
        command.main(argv + ["--no-progress"])
    assert done.value.code == 2
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert last.startswith("sitex hedge: error: ") and all(n in last for n in named), last


def test_the_command_refuses_an_out_that_is_a_file_before_the_study(capsys, tmp_path,
                                                                       monkeypatch):
    a_file = tmp_path / "a-file"
    a_file.write_text("")
    monkeypatch.setattr(command, "run_study", lambda *a, **k: pytest.fail("the study ran"))
    assert command.main(["--out", str(a_file), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"sitex hedge: cannot write to --out {a_file}") and "Traceback" not in err


def test_the_command_prints_every_programme_and_figure_as_json(capsys, tmp_path):
    argv = ["--paths", "300", "--seed", "3", "--set", "in_sample_paths=300", "--set",
            "volume_noise=0.1", "--json", "--no-progress", "--out", str(tmp_path)]
    assert command.main(argv) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["scenario"] == "demand-explosion" and out["paths"] == 300 and out["seed"] == 3
    assert out["parameters"]["volume_noise"] == 0.1
    assert set(out["programmes"]) == set(PROGRAMMES)
    for row in out["programmes"].values():
        for f in FIVE:
            assert isinstance(row[f], float) and isinstance(row[f + "_se"], float)
    for name in ("programmes.csv", "sensitivity.csv", "bill_distribution.png", "fan_chart.png",
                 "sensitivity.png"):
        assert (tmp_path / name).stat().st_size > 0
    assert command.main(argv[:-2]) == 0  # same seed, same figures (without --out)
    assert json.loads(capsys.readouterr().out)["programmes"] == out["programmes"]


def test_the_gpu_study_prices_gpu_hour_futures():
    s = small(scenario="gpu-baseline", paths=500, in_sample_paths=500)
    result = run_study(s)
    p = result.summary["parameters"]
    assert p["index"] == "GPU"
    assert p["initial_margin_rate"] == pytest.approx(initial_margin_rate("GPU", "2027-01", 2.5))
    assert result.summary["programmes"]["static"]["std_reduction"] > 0.3


def test_the_printed_table_names_every_hedged_programme():
    text = command.report.format_table(run_study(small(paths=300, in_sample_paths=300)).summary)
    for name in ("static", "min_variance", "layered", "std red.", "VM p99"):
        assert name in text


# ---- through the market ---------------------------------------------------------------------


def test_through_the_market_end_to_end_on_a_short_horizon():
    """Two contract months, three paths: the hedger buys every lot of each programme through
    the book, the clearinghouse's cash flows make the hedge, and the market's cost sits near
    the Monte Carlo's on the same paths (it differs by what execution and marks cost)."""
    from marketmakers.hedging.through_market import format_market, run_through_market

    s = small(months=2, market_paths=3, market_window_s=120.0, in_sample_paths=500)
    m = run_through_market(s)
    assert m["paths"] == 3 and set(m["programmes"]) == {"static", "min_variance", "layered"}
    study = Study(s)
    for name, e in m["programmes"].items():
        market = e["market"]
        assert market["lots_short"] == 0
        lots = study.programmes(m["hedge_ratio_min_variance"])[name].contracts_traded()
        assert market["contracts"] == lots
        for source in ("market", "monte_carlo", "monte_carlo_frictionless"):
            assert {"std_reduction", "variance_reduction", "mean_cost_change"} <= set(e[source])
        bill = 20 * 2 * 2_000  # ~ lots x months x USD per contract: the scale of the bill
        assert abs(e["market_minus_monte_carlo"]["mean"]) < 0.05 * bill
        assert market["financing"] > 0 and market["initial_margin_mean"] > 0
    assert "through the market" in format_market(m)


def test_a_market_run_settles_on_the_months_fixings_and_books_every_fill():
    from marketmakers.hedging.market_runner import Compression
    from marketmakers.hedging.through_market import run_one

    s = small(months=1, in_sample_paths=500)
    study = Study(s)
    ev = study.evaluator("paths", 0, 2)
    prog = static("static", 1.0, study.expected)
    r = run_one(study, ev, 1, prog, Compression(window_s=120.0))
    assert r["contracts"] == 20 and r["lots_short"] == 0
    # the hedge's cash = lots x (final settlement - fill prices) x size - fees: bounded by the
    # frictionless payoff on the same path give or take the execution cost and fees
    mc = ev.evaluate(PreparedProgrammes({"static": prog}, study.curve))["static"].payoff[1]
    assert abs(r["hedge_cash"] - (mc - r["execution_cost"])) < 0.02 * abs(mc) + 20 * 50
