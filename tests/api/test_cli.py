"""The API's subcommands of `sitex`: serve, agents, bench api."""

import json

import pytest

from api import cli


def test_api_subcommands_are_in_the_table():
    for name in ("serve", "agents", "bench api"):
        module, func = cli.COMMANDS[name][0].split(":")
        assert callable(getattr(__import__(module, fromlist=[func]), func))


def test_serve_help(capsys):
    with pytest.raises(SystemExit) as e:
        cli.main(["serve", "--help"])
    assert e.value.code == 0
    out = capsys.readouterr().out
    for flag in ("--host", "--port", "--journal", "--agents", "--index-source", "--ws-deflate"):
        assert flag in out


def test_serve_accepts_websocket_compression_only_when_asked(monkeypatch):
    import uvicorn

    seen = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: seen.append(kw["ws_per_message_deflate"]))
    assert cli.main(["serve", "--gate", "permissive"]) == 0
    assert cli.main(["serve", "--gate", "permissive", "--ws-deflate"]) == 0
    assert seen == [False, True]


@pytest.mark.parametrize("argv,words", [
    (["--rate-limit", "-1"], "--rate-limit must be >= 0"),
    (["--burst", "0"], "--burst must be >= 1"),
    (["--retention", "-1"], "--retention must be >= 0"),
    (["--cycle", "nan"], "--cycle must be >= 0"),
    (["--snapshot-every", "-1"], "--snapshot-every must be >= 0"),
    (["--max-body", "-5"], "--max-body must be >= 1"),
    (["--max-json-depth", "0"], "--max-json-depth must be >= 1"),
    (["--port", "99999"], "--port must be from 0 to 65535"),
    (["--gate", "clearing"], "--gate is 'permissive' or MODULE:FACTORY"),
    (["--gate", "no_such_module:factory"], "--gate no_such_module:factory: cannot load it"),
    (["--log-level", "loud"], "invalid choice: 'loud'"),
])
def test_serve_refuses_a_bad_option_with_a_usage_error_before_serving(argv, words, capsys,
                                                                       monkeypatch):
    import uvicorn

    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: pytest.fail("served"))
    with pytest.raises(SystemExit) as done:
        cli.main(["serve", *argv])
    assert done.value.code == 2
    assert words in capsys.readouterr().err


def test_serve_says_when_its_journal_cannot_be_opened(tmp_path, capsys):
    journal = tmp_path / "no-such-dir" / "journal.db"
    assert cli.main(["serve", "--journal", str(journal), "--gate", "permissive"]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"sitex serve: cannot open the journal {journal}") and "Traceback" not in err


def test_agents_need_the_admin_key(capsys, monkeypatch):
    monkeypatch.delenv("SITEX_ADMIN_KEY", raising=False)
    assert cli.main(["agents", "--server", "http://127.0.0.1:9"]) == 2
    assert "admin key" in capsys.readouterr().err  # an error, on stderr as every command's


@pytest.mark.parametrize("argv", [["--seconds", "-1"], ["--seconds", "nan"], ["--makers", "-1"],
                                  ["--takers", "-2"]])
def test_agents_refuse_a_length_or_count_that_cannot_be_with_a_usage_error(argv, capsys):
    """--seconds -1 (or nan) used to run forever, like 0; a negative count ran a session."""
    with pytest.raises(SystemExit) as done:
        cli.main(["agents", "--server", "http://127.0.0.1:9", "--admin-key", "k", *argv])
    assert done.value.code == 2
    assert "--seconds must be >= 0 (0: forever), --makers and --takers >= 0" in capsys.readouterr().err


def test_bench_api_reports_both_modes(capsys):
    assert cli.main(["bench", "api", "--seconds", "0.5", "--clients", "2", "--rounds", "1",
                     "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    modes = {r["mode"]: r for r in result["rows"]}
    assert set(modes) == {"rest", "ws"}
    for r in modes.values():
        assert r["orders"] > 0 and r["orders_per_s"] > 0 and 0 < r["p50_ms"] <= r["p99_ms"]
    assert result["commands"] >= sum(r["orders"] for r in modes.values())
    for r in modes.values():  # the bare framework answered the same clients
        assert r["baseline_orders_per_s"] > 0
        assert r["ratio"] == round(r["orders_per_s"] / r["baseline_orders_per_s"], 3)


def test_bench_api_baseline_can_be_skipped(capsys):
    assert cli.main(["bench", "api", "--seconds", "0.3", "--clients", "1", "--modes", "rest",
                     "--no-baseline", "--json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)["rows"]
    assert row["orders"] > 0 and "ratio" not in row


def test_bench_api_takes_the_ratio_round_by_round(capsys):
    assert cli.main(["bench", "api", "--seconds", "0.3", "--clients", "1", "--modes", "rest",
                     "--rounds", "3", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    (row,) = result["rows"]
    assert row["rounds"] == 3 and len(row["round_ratios"]) == 3
    assert row["ratio"] == sorted(row["round_ratios"])[1]  # the median
    assert result["commands"] >= row["orders"] > row["orders_per_s"] * 0.3


def test_serve_and_the_api_doc_name_the_same_endpoint_for_the_admin_index_source():
    """`sitex serve --index-source admin` tells providers where to send their quotes: the
    endpoint docs/api.md names for it, and one the app serves."""
    import re
    from pathlib import Path

    from api.app import Settings, create_app

    action = next(a for a in cli.parser_for("serve")._actions if "--index-source" in a.option_strings)
    named = re.findall(r"POST (/v1/admin/[\w/-]+)", action.help)
    assert named == ["/v1/admin/provider-quotes"]
    doc = (Path(__file__).parents[2] / "docs" / "api.md").read_text()
    bullet = " ".join(doc[doc.index("* Index source."):].split("\n* ", 1)[0].split())
    assert f"`admin`: providers submit quotes through `POST {named[0]}`" in bullet
    routes = {getattr(r, "path", None) for r in create_app(Settings(gate=None)).routes}
    assert named[0] in routes
