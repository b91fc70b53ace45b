"""The `sitex` command line: the table of subcommands, every option's help and default, the
demo, the engine and gate benchmarks."""

import argparse
import json
from datetime import UTC, date, datetime

import pytest

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


def test_bench_alone_lists_the_bench_commands(capsys):
    assert cli.main(["bench"]) == 0
    out = capsys.readouterr().out
    listed = [line.split()[:2] for line in out.splitlines() if line.startswith("  ")]
    assert {" ".join(words) for words in listed} == {n for n in cli.COMMANDS if n.startswith("bench ")}
    assert cli.main(["report"]) == 0
    assert "report audit" in capsys.readouterr().out
    assert cli.main(["bench", "nonsense"]) == 2
    err = capsys.readouterr().err
    assert "unknown command 'bench nonsense'" in err and "bench engine" in err


def test_every_command_has_a_parser():
    assert set(cli.PARSERS) == set(cli.COMMANDS)


@pytest.mark.parametrize("name", sorted(cli.COMMANDS))
def test_every_option_of_every_command_has_help_and_shows_its_default(name, capsys):
    parser = cli.parser_for(name)
    assert parser.prog == f"sitex {name}"
    assert issubclass(parser.formatter_class, argparse.ArgumentDefaultsHelpFormatter)
    options = [a for a in parser._actions if a.option_strings and a.dest != "help"]
    assert options
    formatter = parser._get_formatter()
    for action in options:
        assert action.help and action.help != argparse.SUPPRESS, (name, action.option_strings)
        assert "%(default)" in formatter._get_help_string(action), (name, action.option_strings)
    text = parser.format_help()  # renders (a stray % in a help text would raise here)
    flat = " ".join(text.split())
    assert flat.count("(default: ") == len(options)
    # the command runs this very parser: its --help prints the same text
    with pytest.raises(SystemExit) as done:
        cli.main([*name.split(), "--help"])
    assert done.value.code == 0
    assert capsys.readouterr().out == text


def test_no_help_shows_a_secret_from_the_environment(monkeypatch):
    monkeypatch.setenv("SITEX_ADMIN_KEY", "s3cret-admin-key")
    for name in cli.COMMANDS:
        assert "s3cret-admin-key" not in cli.parser_for(name).format_help(), name


def test_demo_trades_and_ends_with_an_uncrossed_book(capsys):
    assert cli.main(["demo", "--json", "--date", "2027-03-10"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert [t["qty"] for t in result["trades"]] == [10, 15, 10, 20, 10, 5]
    assert result["trades"][0]["price"] == "2.001"
    # each trade under the order that made it
    assert [t["by"] for t in result["trades"]] == ["market order"] * 2 + ["IOC sweep"] * 3 + [
        "triggered stop"]
    assert result["trades"][-1]["seller"] == "hedger"
    # deterministic: the same demo twice gives the same state
    assert cli.main(["demo", "--json", "--date", "2027-03-10"]) == 0
    assert json.loads(capsys.readouterr().out)["digest"] == result["digest"]


def test_the_demo_trades_a_contract_of_its_own_day(capsys):
    """The contract comes from the demo's clock: a contract that trades on that day, never
    one whose last trading day has passed (today's by default)."""
    for day in ("2026-11-30", "2027-03-10", "2028-02-29"):
        assert cli.main(["demo", "--json", "--date", day]) == 0
        result = json.loads(capsys.readouterr().out)
        clock, last = (datetime.fromisoformat(result[k]) for k in ("clock", "last_trade"))
        assert clock.date() == date.fromisoformat(day) and clock < last
        assert (last - clock).days < 32  # the front month
    assert cli.main(["demo", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["date"] == datetime.now(UTC).date().isoformat()
    assert datetime.fromisoformat(result["last_trade"]) > datetime.now(UTC)


def test_the_printed_demo_names_the_market_order_the_sweep_and_the_stop(capsys):
    assert cli.main(["demo", "--date", "2027-03-10"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    heads = [line.strip().split(":")[0] for line in lines if line.startswith("  the ")]
    assert heads == ["the market order", "the IOC sweep", "the triggered stop"]
    assert "SITH27" in lines[0] and "2027-03-10T10:00:00+00:00" in lines[0]


@pytest.mark.parametrize("argv,words", [
    (["--index", "abc"], "argument --index: an index value in USD > 0"),
    (["--index", "-1"], "argument --index: an index value in USD > 0"),
    (["--index", "2.0000001"], "with at most 6 decimals"),
    (["--date", "1969-12-31"], "argument --date: a day from 1970-01-01 to 9998-12-31"),
    (["--date", "9999-10-01"], "argument --date: a day from 1970-01-01 to 9998-12-31"),
    (["--date", "2026-02-29"], "argument --date: a day as YYYY-MM-DD"),
])
def test_the_demo_refuses_an_index_or_a_day_it_cannot_run_with_a_usage_error(argv, words, capsys):
    with pytest.raises(SystemExit) as done:
        cli.main(["demo", *argv])
    assert done.value.code == 2
    assert words in capsys.readouterr().err


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


@pytest.mark.parametrize("argv,words", [
    (["bench", "gate", "--checks", "0"], "--checks and --repeat must be >= 1"),
    (["bench", "margin", "--accounts", "0"], "--accounts, --expiries and --loop-accounts must be >= 1"),
    (["bench", "session", "--hours", "0"], "--hours must be > 0"),
    (["bench", "session", "--hours", "inf"], "--hours must be > 0 and at most 8760"),
    (["bench", "engine", "--ops", "0"], "--ops and --repeat must be >= 1"),
    (["bench", "engine", "--repeat", "0"], "--ops and --repeat must be >= 1"),
    (["bench", "api", "--clients", "0"], "--clients, --window and --rounds must be >= 1, --seconds > 0"),
    (["bench", "api", "--seconds", "0"], "--clients, --window and --rounds must be >= 1, --seconds > 0"),
    (["bench", "api", "--rounds", "0"], "--clients, --window and --rounds must be >= 1, --seconds > 0"),
    (["bench", "api", "--modes", "nope"], "--modes is rest, ws or rest,ws, got 'nope'"),
    (["bench", "memory", "--orders", "0"], "--warmup from 0 to below --orders"),
    (["bench", "memory", "--orders", "100", "--warmup", "200"], "--warmup from 0 to below --orders"),
    (["bench", "memory", "--every", "0"], "--every must be >= 1"),
    (["bench", "memory", "--retention", "-1"], "--retention must be >= 0"),
])
def test_a_benchmark_refuses_a_bad_size_with_a_usage_error(argv, words, capsys):
    with pytest.raises(SystemExit) as done:
        cli.main(argv)
    assert done.value.code == 2
    assert words in capsys.readouterr().err
