"""sitex backtest-margin: the statistics, and a back-test that can fail."""

import json

import pytest

from api import backtest_margin as bt
from api import cli


def test_kupiec_p_value():
    assert bt.kupiec_p_value(10, 1_000) == pytest.approx(1.0)  # exactly 1%: no evidence against
    assert bt.kupiec_p_value(25, 1_000) < 0.001  # far too many breaches
    assert bt.kupiec_p_value(0, 1_000) < 0.01  # far too few (over-margined) is rejected too
    assert 0.05 < bt.kupiec_p_value(13, 1_000) < 1.0


def test_basel_zones():
    assert [bt.basel_zone(x) for x in (0, 4, 4.9, 5, 9, 9.9, 10, 30)] == \
        ["green", "green", "green", "yellow", "yellow", "yellow", "red", "red"]


def test_shipped_scenarios_are_covered(capsys):
    assert cli.main(["backtest-margin", "--paths", "300", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)["scenarios"]
    assert {"baseline", "demand-explosion", "efficiency-shock"} <= set(result)
    for name, r in result.items():
        assert r["coverage"] >= 0.99, name
        assert r["zone"] != "red", name
        assert r["observations"] == 300 * 250 * 2


def test_a_margin_too_thin_shows_up_red(monkeypatch):
    real = bt.margin_model_for

    def thin(scenario):
        model, scan = real(scenario)
        params = model.params.products[scenario.index_name]
        from dataclasses import replace

        from clearing.margin import MarginModel, MarginParams
        weak = replace(params, scan_range=0.002, event_cover=0.0, extreme_cover=0.0)
        return MarginModel(MarginParams(products={scenario.index_name: weak}, apc_buffer=0.0)), 0.002

    monkeypatch.setattr(bt, "margin_model_for", thin)
    r = bt.backtest("demand-explosion", paths=100, seed=3)
    assert r["coverage"] < 0.99 and r["zone"] == "red"


def test_unknown_scenario_exits_2(capsys):
    assert cli.main(["backtest-margin", "--scenario", "nope"]) == 2


@pytest.mark.parametrize("argv", [["--paths", "0"], ["--paths", "-3"], ["--seed", "-1"]])
def test_a_bad_size_or_seed_is_a_usage_error(argv, capsys):
    with pytest.raises(SystemExit) as done:
        cli.main(["backtest-margin", *argv])
    assert done.value.code == 2
    assert "--paths must be >= 1, --seed >= 0" in capsys.readouterr().err


def test_the_table_says_what_its_columns_mean(capsys):
    assert cli.main(["backtest-margin", "--scenario", "baseline", "--paths", "50"]) == 0
    out = capsys.readouterr().out
    header = next(line for line in out.splitlines() if line.startswith("scenario"))
    assert header.split()[-2:] == ["p", "zone"]  # "kupiec p", then "zone"
    # every column named in the header is explained below the table
    for term in ("scan:", "coverage:", "breaches:", "kupiec p:", "zone:"):
        assert term in out, term
    assert "green up to 4" in out and "1% of the time" in out
