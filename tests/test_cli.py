"""The `sitex` command line: the table of subcommands, the demo, the engine and gate benchmarks."""

import json

from api import cli


def test_usage_lists_every_command(capsys):
    assert cli.main([]) == 0
    out = capsys.readouterr().out
    for name in cli.COMMANDS:
        assert name in out


def test_unknown_command_exits_2(capsys):
    assert cli.main(["frobnicate"]) == 2
    assert "unknown command" in capsys.readouterr().err


def test_two_word_commands_resolve_before_one_word():
    assert cli.resolve(["bench", "engine", "--ops", "5"]) == ("bench engine", ["--ops", "5"])
    assert cli.resolve(["demo", "--json"]) == ("demo", ["--json"])


def test_demo_trades_and_ends_with_an_uncrossed_book(capsys):
    assert cli.main(["demo", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert [t["qty"] for t in result["trades"]] == [10, 15, 10, 20, 10, 5]
    assert result["trades"][0]["price"] == "2.001"
    # deterministic: the same demo twice gives the same state
    assert cli.main(["demo", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["digest"] == result["digest"]


def test_bench_engine_prints_the_contracted_keys(capsys):
    assert cli.main(["bench", "engine", "--ops", "3000", "--repeat", "1", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    for key in ("ops_per_s", "baseline_ops_per_s", "ratio", "p99_us", "journal_ops_per_s"):
        assert result[key] > 0
    assert result["trades"] > 0


def test_bench_gate_prints_the_contracted_keys(capsys):
    assert cli.main(["bench", "gate", "--checks", "2000", "--venue-ops", "1000", "--repeat", "1",
                     "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    for key in ("checks_per_s", "baseline_checks_per_s", "ratio", "venue_ops_per_s",
                "venue_baseline_ops_per_s"):
        assert result[key] > 0
    assert result["agree"] and result["venue_agree"]
