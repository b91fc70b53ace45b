"""`sitex simulate` through the command line: the JSON it promises, the report it writes, and
clean exit-2 errors for a bad scenario or agents file."""

import gzip
import hashlib
import json

import pytest

from api import cli
from marketmakers import simulate

PROMISED = ("events", "events_per_s", "trades", "digest", "mm_obligations_met", "margin_calls",
            "liquidations", "defaults")
PLOTS = ("price.png", "spread_depth.png", "volume.png", "makers.png", "risk.png")


def test_simulate_json_prints_one_object_and_writes_the_report(tmp_path, capsys):
    out = tmp_path / "report"
    assert cli.main(["simulate", "--hours", "0.1", "--out", str(out), "--json", "--no-progress"]) == 0
    text = capsys.readouterr().out
    assert text.count("\n") == 1  # one JSON object on one line
    summary = json.loads(text)
    for key in PROMISED:
        assert key in summary, key
    assert summary["events"] > 0 and summary["events_per_s"] > 0 and summary["trades"] > 0
    assert len(summary["digest"]) == 64
    assert len(summary["mm_obligations_met"]) == 5  # the default agents: 5 makers
    assert all(isinstance(v, bool) for v in summary["mm_obligations_met"].values())
    for name in ("summary.json", "events.csv.gz", "report.html", *PLOTS):
        assert (out / name).is_file() and (out / name).stat().st_size > 0, name
    for name in PLOTS:
        assert (out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    written = json.loads((out / "summary.json").read_text())
    assert written["digest"] == summary["digest"]
    assert written["events"] == summary["events"]
    assert {"events.csv.gz", "report.html", "summary.json", *PLOTS} <= set(written["files"])
    # the default event log is gzip; the digest is the SHA-256 of the CSV inside
    csv_text = gzip.decompress((out / "events.csv.gz").read_bytes())
    assert hashlib.sha256(csv_text).hexdigest() == summary["digest"]


def test_the_plain_event_log_has_the_digest_of_the_gzip_one(tmp_path, capsys):
    digests = {}
    for fmt, name in (("csv", "events.csv"), ("gzip", "events.csv.gz")):
        out = tmp_path / fmt
        assert cli.main(["simulate", "--hours", "0.05", "--out", str(out), "--json",
                         "--no-progress", "--event-log", fmt]) == 0
        digests[fmt] = json.loads(capsys.readouterr().out)["digest"]
        assert sorted(p.name for p in out.glob("events.*")) == [name]
    assert digests["csv"] == digests["gzip"]
    assert hashlib.sha256((tmp_path / "csv" / "events.csv").read_bytes()).hexdigest() == digests["csv"]


def test_the_printed_summary_names_the_page_and_counts_rejections(tmp_path, capsys):
    out = tmp_path / "report"
    assert cli.main(["simulate", "--hours", "0.05", "--out", str(out), "--no-progress"]) == 0
    text = capsys.readouterr().out
    assert any(line.split()[0] == "rejections" for line in text.splitlines())
    assert f"report: {out}/report.html" in text and "events.csv.gz" in text

def test_simulate_days_runs_daily_windows_and_reports_them(tmp_path, capsys):
    out = tmp_path / "days"
    assert cli.main(["simulate", "--days", "2", "--window-hours", "0.25", "--out", str(out),
                     "--json", "--no-progress"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert (summary["days"], summary["window_hours"], summary["trading_hours"]) == (2, 0.25, 0.5)
    assert summary["hours"] == 48 and summary["trades"] > 0
    assert [m["session_ns"] for m in summary["mm_obligations"]] == [1_800 * 10**9] * 5
    page = (out / "report.html").read_text()
    assert "2 trading days of 0.25-hour windows" in page


@pytest.mark.parametrize("args", [
    ["--scenario", "no-such-scenario"],
    ["--agents", "{missing}"],
    ["--agents", "{bad}"],
    ["--hours", "-1"],
    ["--days", "2", "--window-hours", "0.1"],  # not a whole number of 15-minute mark cycles
    ["--scenario", "gpu-baseline"],  # a GPU scenario cannot drive the SIT fundamental
    ["--hours", "inf"],
    ["--hours", "1e12"],  # past the nanosecond clock's end
    ["--start", "1960-01-01T00:00:00"],  # before the clock's epoch
    ["--start", "9999-12-31T00:00:00"],
    ["--start", "not-a-time"],
    ["--out", "{file}"],  # a file where the report's directory goes
])
def test_bad_input_exits_2_with_a_message_and_no_traceback(tmp_path, capsys, args):
    bad = tmp_path / "bad.toml"
    bad.write_text('[[group]]\nkind = "wizard"\n')
    (tmp_path / "a-file").write_text("")
    args = [a.format(missing=tmp_path / "missing.toml", bad=bad, file=tmp_path / "a-file")
            for a in args]
    length = [] if "--days" in args else ["--hours", "0.05"]  # --hours with --days: a usage error
    code = cli.main(["simulate", *length, "--out", str(tmp_path / "o"), "--json",
                     "--no-progress", *args])
    captured = capsys.readouterr()
    assert code == 2
    assert captured.err.startswith("sitex simulate: ")
    assert "Traceback" not in captured.err
    assert captured.out == ""
    if "--scenario" in args:
        assert args[args.index("--scenario") + 1] in captured.err
    elif "{bad}" in str(args) or str(bad) in args:
        assert "group 0 (wizard)" in captured.err
    elif "--agents" in args:
        assert "missing.toml" in captured.err
    elif "--start" in args or "1e12" in args:
        assert "--start" in captured.err
    elif "--out" in args[-2:]:
        assert "a-file is a file" in captured.err


def test_a_session_shorter_than_one_sample_interval_writes_an_empty_report(tmp_path, capsys):
    """36 s of trading, less than the report's 60 s sample interval: no sample was taken, and
    the report still comes (empty series, empty axes), not a KeyError."""
    out = tmp_path / "short"
    assert cli.main(["simulate", "--hours", "0.01", "--out", str(out), "--json",
                     "--no-progress"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["events"] > 0
    assert (out / "report.html").is_file()
    assert (out / "samples.csv").read_text().count("\n") == 1  # the header alone


@pytest.mark.parametrize("args, named", [
    (["--days", "2", "--hours", "3"], ("--hours 3", "--days 2")),
    (["--hours", "24", "--days", "2"], ("--hours 24", "--days 2")),  # the default, said aloud
    (["--window-hours", "1"], ("--window-hours 1", "without --days")),
    (["--hours", "2", "--window-hours", "1"], ("--window-hours 1", "without --days")),
    (["--days", "0", "--window-hours", "1"], ("--window-hours 1", "without --days")),
])
def test_options_that_contradict_each_other_are_a_usage_error(monkeypatch, capsys, args, named):
    """A session's length is --hours or --days, and --window-hours is a day's window of --days:
    given together (or the window alone), one used to win without a word (--days over --hours,
    the window ignored). Refused before anything runs, argparse's way: exit 2, one line."""
    monkeypatch.setattr(simulate, "run", lambda args: pytest.fail("the session ran"))
    with pytest.raises(SystemExit) as done:
        cli.main(["simulate", "--no-progress", *args])
    assert done.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: sitex simulate")
    last = err.strip().splitlines()[-1]
    assert last.startswith("sitex simulate: error: ") and all(n in last for n in named), last


def test_a_length_in_days_or_in_hours_alone_still_runs(monkeypatch):
    """What stays meaningful: --days with its --window-hours, --hours alone, --days 0 (--hours)
    with --hours."""
    ran = []
    monkeypatch.setattr(simulate, "run", lambda args: ran.append(
        (args.hours, args.days, args.window_hours)) or 0)
    for args in (["--days", "2", "--window-hours", "0.25"], ["--hours", "3"], ["--days", "2"],
                 ["--days", "0", "--hours", "3"]):
        assert cli.main(["simulate", *args]) == 0
    assert ran == [(24.0, 2, 0.25), (3.0, 0, 2.0), (24.0, 2, 2.0), (3.0, 0, 2.0)]
