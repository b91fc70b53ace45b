"""The session report on records built by hand: every file written, readable and consistent;
every figure names its contract and units; the page holds everything and needs no network."""

import base64
import csv
import json
from html.parser import HTMLParser

import numpy as np

from marketmakers.plots import FIGURES, bin_ns, resample, risk_figure
from marketmakers.record import SAMPLE_KEYS, SessionRecord
from marketmakers.report import format_summary, jsonable, write_report

START = 1_798_761_600_000_000_000  # 2027-01-01T00:00:00Z in ns
STEP = 60_000_000_000  # one-minute samples
N = 300
FILES = {"summary.json", "samples.csv", "makers.csv", "risk_events.csv", "price.png",
         "spread_depth.png", "volume.png", "makers.png", "risk.png", "report.html"}

FULL_SUMMARY = {
    "scenario": "calm", "seed": 7, "events": 123_456, "events_per_s": 41_152.3, "trades": 812,
    "volume": 9_340,
    "mm_obligations": [{"maker": "mm-a", "presence": 0.9213, "met": True},
                    {"maker": "mm-long-name", "presence": 0.71, "met": False}],
    "margin_calls": 1, "liquidations": 1, "defaults": 1,
    "stylized_facts": {"returns": 299, "excess_kurtosis": 4.12, "autocorr_returns_lag1": -0.02,
                 "autocorr_abs_returns_lag1": 0.21},
}


def busy_record() -> SessionRecord:
    rng = np.random.default_rng(11)
    ts = START + STEP * np.arange(1, N + 1, dtype=np.int64)
    fundamental = 2.0 * np.exp(np.cumsum(rng.normal(0, 0.002, N)))
    index = fundamental * (1 + rng.normal(0, 0.001, N))
    index[:5] = np.nan  # before the first publication
    last = np.round(index + rng.normal(0, 0.002, N), 3)
    last[:10] = np.nan  # before the first trade
    bid, ask = last - 0.002, last + 0.003
    trades = rng.poisson(3, N)
    samples = {
        "ts": ts, "fundamental_usd": fundamental, "index_usd": index, "last_usd": last,
        "mark_usd": np.round(index, 3), "bid_usd": bid, "ask_usd": ask,
        "spread_ticks": np.round((ask - bid) * 1000), "bid_depth": rng.integers(0, 50, N),
        "ask_depth": rng.integers(0, 50, N), "volume": trades * rng.integers(1, 10, N),
        "trades": trades,
    }
    makers = {name: {"inventory": np.cumsum(rng.integers(-3, 4, N)),
                     "pnl_usd": np.cumsum(rng.normal(0, 5, N))} for name in ("mm-a", "mm-b")}
    risk = [
        {"ts": int(ts[100]), "kind": "margin_call", "account": "hf-1", "layer": None,
         "amount_cents": 250_000},
        {"ts": int(ts[120]), "kind": "liquidation", "account": "hf-1", "layer": None,
         "amount_cents": None},
        {"ts": int(ts[121]), "kind": "default", "account": "hf-1", "layer": None,
         "amount_cents": 900_000},
        {"ts": int(ts[121]), "kind": "waterfall", "account": "hf-1", "layer": "defaulter_margin",
         "amount_cents": 600_000},
        {"ts": int(ts[121]), "kind": "waterfall", "account": "hf-1", "layer": "ccp_skin",
         "amount_cents": 300_000},
    ]
    summary = {**FULL_SUMMARY, "mean_price": np.float64(2.01), "samples": np.int64(N)}
    return SessionRecord(summary=summary, samples=samples, makers=makers, risk_events=risk)


def quiet_record() -> SessionRecord:
    """No trades, no index, no makers, no risk events: only the fundamental moves."""
    ts = START + STEP * np.arange(1, 21, dtype=np.int64)
    nan = np.full(20, np.nan)
    zero = np.zeros(20, dtype=np.int64)
    samples = {k: nan for k in SAMPLE_KEYS}
    samples.update(ts=ts, fundamental_usd=np.linspace(2, 2.1, 20), bid_depth=zero,
                   ask_depth=zero, volume=zero, trades=zero)
    return SessionRecord(summary={"events": 40}, samples=samples)


def read_csv(path):
    with path.open(newline="") as f:
        return list(csv.reader(f))


def assert_complete(files, out_dir):
    assert set(files) == FILES
    for name, path in files.items():
        assert path == out_dir / name and path.stat().st_size > 0
        if name.endswith(".png"):
            data = path.read_bytes()
            assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000, name


def test_a_busy_session_writes_every_file(tmp_path):
    record = busy_record()
    out = tmp_path / "report"  # created by write_report
    files = write_report(record, out)
    assert_complete(files, out)

    summary = json.loads((out / "summary.json").read_text())
    assert summary == {**FULL_SUMMARY, "mean_price": 2.01, "samples": N, "files": sorted(FILES)}

    rows = read_csv(out / "samples.csv")
    assert rows[0] == ["ts", "time_utc", *SAMPLE_KEYS[1:]]
    assert len(rows) == N + 1
    first = dict(zip(rows[0], rows[1]))
    assert first["ts"] == str(START + STEP) and first["time_utc"] == "2027-01-01T00:01:00.000Z"
    assert first["index_usd"] == "" and first["last_usd"] == ""  # NaN as an empty cell
    last = dict(zip(rows[0], rows[-1]))
    assert float(last["fundamental_usd"]) == record.samples["fundamental_usd"][-1]  # exact
    assert int(last["trades"]) == record.samples["trades"][-1]

    makers = read_csv(out / "makers.csv")
    assert makers[0] == ["ts", "maker", "inventory", "pnl_usd"] and len(makers) == 2 * N + 1
    assert [r[1] for r in makers[1:3]] == ["mm-a", "mm-b"]

    risk = read_csv(out / "risk_events.csv")
    assert risk[0] == ["ts", "time_utc", "kind", "account", "layer", "amount_cents"]
    assert [r[2] for r in risk[1:]] == ["margin_call", "liquidation", "default", "waterfall",
                                        "waterfall"]
    assert risk[2][5] == "" and risk[4][4:] == ["defaulter_margin", "600000"]


def test_a_session_without_trades_index_or_makers_still_writes_everything(tmp_path):
    files = write_report(quiet_record(), tmp_path)
    assert_complete(files, tmp_path)
    assert len(read_csv(tmp_path / "samples.csv")) == 21
    assert len(read_csv(tmp_path / "makers.csv")) == 1
    assert len(read_csv(tmp_path / "risk_events.csv")) == 1
    assert json.loads((tmp_path / "summary.json").read_text())["events"] == 40


def test_summary_values_become_strict_json():
    summary = {"kurtosis": float("nan"), "xs": np.arange(2), "p": np.float32(0.5), "t": (1, 2)}
    assert jsonable(summary) == {"kurtosis": None, "xs": [0, 1], "p": 0.5, "t": [1, 2]}


def test_the_risk_figure_of_a_quiet_session_says_there_was_nothing(tmp_path):
    record = quiet_record()
    record.samples = {k: v[:0] for k, v in record.samples.items()}  # not even one sample
    fig = risk_figure(record)
    fig.savefig(tmp_path / "risk.png")
    assert (tmp_path / "risk.png").stat().st_size > 0
    assert "no margin calls, no liquidations, no defaults" in fig.axes[0].get_title()


def test_format_summary_full():
    text = format_summary(FULL_SUMMARY)
    lines = text.splitlines()
    assert lines[0].split() == ["scenario", "calm", "(seed", "7)"]
    assert "123,456  (41,152/s)" in text and "9,340 lots" in text
    assert any(line.split()[-4:] == ["mm-a", "met", "presence", "92.1%"] for line in lines)
    assert any(line.split()[-5:] == ["mm-long-name", "NOT", "met", "presence", "71.0%"]
               for line in lines)
    assert "excess kurtosis 4.12" in text and "acf(|r|, 1) 0.21" in text
    # the values start in one column
    column = lines[0].index("calm")
    assert all(line[column - 2:column] == "  " and line[column] != " " for line in lines)


def test_format_summary_minimal():
    assert format_summary({}) == "(no figures in the summary)"
    assert format_summary({"events": 40}).split() == ["events", "40"]
    assert format_summary({"mm_obligations": {"mm-a": {"met": True}}}).split() == [
        "mm", "obligations", "mm-a", "met"]


def test_format_summary_prints_rejections_and_says_what_the_facts_mean():
    text = format_summary({**FULL_SUMMARY, "rejections": 1_234})
    assert any(line.split() == ["rejections", "1,234"] for line in text.splitlines())
    assert "excess kurtosis > 0: fatter tails than a normal law" in text
    assert "acf(r, 1): lag-1 autocorrelation of returns" in text
    assert "docs/sessions.md" in text


def named_record() -> SessionRecord:
    record = busy_record()
    record.summary.update(primary_symbol="SITH27", price_unit="USD per 1 million SIT",
                          index_name="SIT", sample_interval_s=60.0, start_ts=START,
                          trades=5_000)
    return record


def titles_and_labels(fig) -> str:
    return " | ".join(t for ax in fig.axes for t in (ax.get_title(), ax.get_ylabel()))


def test_every_figure_names_its_contract_and_units():
    record = named_record()
    figures = {name: figure(record) for name, figure in FIGURES.items()}
    price = titles_and_labels(figures["price.png"])
    assert "SITH27" in price and "price (USD per 1 million SIT)" in price
    assert "\n1-minute samples" in price
    spread = titles_and_labels(figures["spread_depth.png"])
    assert "SITH27" in spread and "ticks of 0.001 USD" in spread and "(lots)" in spread
    assert "\n5-minute means of 1-minute samples" in spread  # 300 samples: 60 bins of 5 minutes
    volume = titles_and_labels(figures["volume.png"])
    own = int(record.samples["trades"].sum())
    # the title counts the plotted contract's trades, names it, and gives the session's total
    assert f"in SITH27: {own:,} trades (5,000 in all contracts)" in volume
    assert "lots per 5 minutes" in volume
    makers = titles_and_labels(figures["makers.png"])
    assert "lots, all contracts" in makers and "PnL (USD" in makers
    assert "every account and contract" in titles_and_labels(figures["risk.png"])


def test_the_volume_title_matches_the_summary_when_one_contract_traded():
    record = named_record()
    record.summary["trades"] = int(record.samples["trades"].sum())
    title = FIGURES["volume.png"](record).axes[0].get_title()
    assert title.endswith(f"{record.summary['trades']:,} trades") and "all contracts" not in title


def test_a_day_of_minute_samples_is_resampled_into_fifteen_minute_bins():
    n = 1_440
    rng = np.random.default_rng(3)
    ts = START + STEP * np.arange(1, n + 1, dtype=np.int64)
    spread = rng.integers(1, 7, n).astype(float)
    spread[100:130] = np.nan  # an empty side for half an hour
    samples = {k: np.zeros(n) for k in SAMPLE_KEYS}
    samples.update(ts=ts, spread_ticks=spread)
    record = SessionRecord(summary={"start_ts": START}, samples=samples)
    assert bin_ns(record) == 15 * STEP
    ends, means = resample(record, "spread_ticks", "mean")
    assert len(ends) == 96 and ends[0] == START + 15 * STEP and ends[-1] == ts[-1]
    expected = [np.mean(c[~np.isnan(c)]) if (~np.isnan(c)).any() else np.nan
                for c in spread.reshape(96, 15)]
    assert np.allclose(means, expected, equal_nan=True)
    ends, volume = resample(record, "spread_ticks", "sum")
    assert np.nansum(volume) == np.nansum(spread)
    line = FIGURES["spread_depth.png"](record).axes[0].get_lines()[0]
    assert len(line.get_xdata()) == 96  # a curve of 96 points, not a barcode of 1,440


class _Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.images, self.links, self.text = [], [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "img":
            self.images.append(attrs["src"])
        for key in ("href", "src"):
            if key in attrs and tag != "img":
                self.links.append(attrs[key])

    def handle_data(self, data):
        self.text.append(data)


def test_the_page_holds_the_summary_plots_obligations_and_risk_events_offline(tmp_path):
    record = named_record()
    events_log = tmp_path / "events.csv.gz"
    events_log.write_bytes(b"")
    files = write_report(record, tmp_path, event_log=events_log)
    assert "events.csv.gz" in json.loads((tmp_path / "summary.json").read_text())["files"]
    html = files["report.html"].read_text(encoding="utf-8")
    page = _Page()
    page.feed(html)
    text = " ".join(page.text)
    # every plot embedded as it was written, nothing fetched from anywhere
    assert len(page.images) == 5
    pngs = {files[name].read_bytes() for name in FIGURES}
    for src in page.images:
        assert src.startswith("data:image/png;base64,")
        assert base64.b64decode(src.split(",", 1)[1]) in pngs
    assert "http://" not in html and "https://" not in html and "<script" not in html
    assert all(link in {p.name for p in files.values()} for link in page.links)
    assert "events.csv.gz" in page.links
    # the summary, the makers' obligations and the risk events
    assert "5,000" in text and "SITH27" in text
    assert "mm-long-name" in text and "NOT met" in text and "71.0%" in text
    for kind in ("margin_call", "liquidation", "default", "waterfall"):
        assert kind in text
    assert "defaulter_margin" in text and "6,000.00" in text  # 600,000 cents drawn
    assert "excess kurtosis" in text  # the terms explained
