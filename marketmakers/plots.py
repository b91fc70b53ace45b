"""The figures of a session report, drawn from a `SessionRecord` and nothing else.

Each figure is a plain `matplotlib.figure.Figure` on an Agg canvas: no pyplot, so no global
figure registry and no GUI backend, and a report can be written from a thread or a server.
Every figure names the contract it shows and its units. The x axis is hours since the session
start (days for a session longer than two days). A multi-day session trades in daily windows
(marketmakers/session.py): its lines break between windows rather than draw across the hours
nobody traded. Empty or all-NaN series draw empty axes.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from marketmakers.record import SessionRecord

SIZE_IN = (10, 5)
DPI = 100
NS_PER_MINUTE = 60_000_000_000
NS_PER_HOUR = 60 * NS_PER_MINUTE
NS_PER_DAY = 24 * NS_PER_HOUR
EVENT_KINDS = (("margin_call", "margin calls"), ("liquidation", "liquidations"),
               ("default", "defaults"))
MAX_BINS = 120  # the resampled figures draw at most this many points: readable at 10 inches
BIN_MINUTES = (1, 2, 5, 10, 15, 30, 60, 120, 240, 480, 1_440)
AGGREGATES = {"sum": np.sum, "mean": np.mean, "p10": lambda v: np.percentile(v, 10),
              "p90": lambda v: np.percentile(v, 90)}


def session_start_ns(record: SessionRecord) -> int:
    """`summary["start_ts"]` when the runner gives it; otherwise one sample interval before the
    first sample, because each sample time is the end of its interval."""
    if "start_ts" in record.summary:
        return int(record.summary["start_ts"])
    ts = np.asarray(record.samples["ts"], dtype=np.int64)
    if ts.size == 0:
        return 0
    return int(ts[0] - (ts[1] - ts[0])) if ts.size > 1 else int(ts[0])


def _span_ns(record: SessionRecord) -> int:
    ts = record.samples["ts"]
    return int(ts[-1]) - session_start_ns(record) if len(ts) else 0


def _time_unit(record: SessionRecord) -> tuple[int, str]:
    """(ns per axis unit, the axis label): hours, or days past two days."""
    if _span_ns(record) > 2 * NS_PER_DAY:
        return NS_PER_DAY, "days since the session start"
    return NS_PER_HOUR, "hours since the session start"


def hours(record: SessionRecord, ts) -> np.ndarray:
    """Time since the session start in the figures' unit (hours; days for a long session),
    the common x axis of every figure."""
    unit, _ = _time_unit(record)
    return (np.asarray(ts, dtype=np.int64) - session_start_ns(record)) / unit


def sample_interval_ns(record: SessionRecord) -> int:
    """The sample interval: the summary's, else the most common step between samples."""
    if "sample_interval_s" in record.summary:
        return round(float(record.summary["sample_interval_s"]) * 1e9)
    ts = np.asarray(record.samples["ts"], dtype=np.int64)
    if ts.size < 2:
        return NS_PER_MINUTE
    steps, counts = np.unique(np.diff(ts), return_counts=True)
    return int(steps[np.argmax(counts)])


def duration(ns: int) -> str:
    """'1-minute', '15-minute', '2-hour', '1-day': an interval's length as an adjective."""
    minutes = ns / NS_PER_MINUTE
    for size, name in ((1_440, "day"), (60, "hour"), (1, "minute")):
        if minutes >= size and minutes % size == 0:
            return f"{minutes // size:.0f}-{name}"
    return f"{ns / 1e9:g}-second"


def bin_text(record: SessionRecord, size: int) -> str:
    """'15-minute means', or 'daily means over each day's 2-hour window'."""
    window = record.summary.get("window_hours")
    if record.summary.get("days") and window:
        return (f"{'daily' if size == NS_PER_DAY else duration(size)} means over each day's "
                f"{duration(round(window * NS_PER_HOUR))} window")
    return f"{duration(size)} means"


def per(ns: int) -> str:
    """'per minute', 'per 15 minutes', 'per hour', 'per 2 hours'."""
    count, name = duration(ns).split("-")
    return f"per {name}" if count == "1" else f"per {count} {name}s"


def contract(record: SessionRecord) -> str:
    """The contract the series follow (the summary's primary symbol; a session that saw it
    expire follows the next front month: 'SITF27 then SITG27')."""
    symbols = [s for _, s in record.summary.get("primary_symbols") or ()]
    if len(symbols) > 1:
        return " then ".join(symbols)
    return str(record.summary.get("primary_symbol") or "the primary contract")


def price_unit(record: SessionRecord) -> str:
    return str(record.summary.get("price_unit") or "USD per million SIT")


def index_name(record: SessionRecord) -> str:
    return str(record.summary.get("index_name") or "SIT")


def _end(record: SessionRecord) -> float:
    ts = record.samples["ts"]
    return float(hours(record, ts[-1:])[0]) if len(ts) else 0.0


def _figure(record: SessionRecord, rows: int = 1):
    """A figure of `rows` panels sharing the time axis, which spans the whole session."""
    fig = Figure(figsize=SIZE_IN, dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(rows, 1, sharex=True, squeeze=False)[:, 0]
    for ax in axes:
        ax.grid(True, alpha=0.3)
    axes[-1].set_xlabel(_time_unit(record)[1])
    if _end(record) > 0:
        axes[-1].set_xlim(0, _end(record))
    return fig, axes


def _save(fig: Figure, path) -> Path:
    path = Path(path)
    fig.savefig(path)
    return path


def _legend(ax, loc: str = "best") -> None:
    """A legend only when something is labelled (matplotlib warns on an empty one)."""
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc=loc, fontsize="small")


def _gaps(record: SessionRecord, x: np.ndarray, ts, *series, step_ns: int | None = None) -> tuple:
    """The series with a NaN put between two points further apart than two steps (the sample
    interval, or `step_ns` for resampled series): the hours between a multi-day session's
    windows, where a line breaks."""
    ts = np.asarray(ts, dtype=np.int64)
    if ts.size < 2:
        return (x, *series)
    cut = np.flatnonzero(np.diff(ts) > 2 * (step_ns or sample_interval_ns(record))) + 1
    if cut.size == 0:
        return (x, *series)
    return tuple(np.insert(np.asarray(s, dtype=float), cut, np.nan) for s in (x, *series))


def bin_ns(record: SessionRecord) -> int:
    """The resampling interval: the shortest round length that leaves at most MAX_BINS bins
    over the traded time (never shorter than the sample interval); a day in a multi-day
    session (its window: a point a day)."""
    days = record.summary.get("days")
    if days:
        return -(-int(days) // MAX_BINS) * NS_PER_DAY
    step = sample_interval_ns(record)
    traded = len(record.samples["ts"]) * step
    for minutes in BIN_MINUTES:
        size = minutes * NS_PER_MINUTE
        if size >= step and traded / size <= MAX_BINS:
            return size
    return BIN_MINUTES[-1] * NS_PER_MINUTE


def resample(record: SessionRecord, key: str, how: str, size_ns: int | None = None):
    """(bin end times in ns, the values per bin) of a sample series over bins of `size_ns`
    (`bin_ns` by default) counted from the session start, bins without a sample left out.
    `how`: a key of AGGREGATES; NaN samples are ignored."""
    size = size_ns or bin_ns(record)
    ts = np.asarray(record.samples["ts"], dtype=np.int64)
    values = np.asarray(record.samples[key], dtype=float)
    if ts.size == 0:
        return ts, values
    # a sample closes its interval: the one at the bin's end belongs to that bin
    which = (ts - session_start_ns(record) - 1) // size
    bins, start = np.unique(which, return_index=True)
    out = np.full(bins.size, np.nan)
    for i, chunk in enumerate(np.split(values, start[1:])):
        chunk = chunk[~np.isnan(chunk)]
        if chunk.size:
            out[i] = AGGREGATES[how](chunk)
    return session_start_ns(record) + (bins + 1) * size, out


def price_figure(record: SessionRecord) -> Figure:
    """Does the futures price follow the index, and the index the fundamental?"""
    s = record.samples
    x, index, last, mark = _gaps(record, hours(record, s["ts"]), s["ts"], s["index_usd"],
                                 s["last_usd"], s["mark_usd"])
    fig, (ax,) = _figure(record)
    name = index_name(record)
    # the fundamental exists at all times: drawn through a multi-day session's nights too
    ax.plot(hours(record, s["ts"]), s["fundamental_usd"], color="0.6", lw=1, label="fundamental")
    ax.plot(x, index, color="tab:green", lw=1.2, label=f"{name} index")
    ax.plot(x, last, color="tab:blue", lw=1, label=f"{contract(record)} last trade")
    ax.plot(x, mark, color="tab:orange", lw=1, ls="--", label=f"{contract(record)} mark")
    level = record.summary.get("scenario_level_usd")
    if level:  # a multi-day session: the trend the scenario pulls the fundamental toward
        ts, usd = zip(*level)
        ax.plot(hours(record, ts), usd, color="0.3", lw=1.2, ls=":",
                label=f"scenario level ({record.summary.get('scenario', '')})")
    ax.set_ylabel(f"price ({price_unit(record)})")
    window = record.summary.get("window_hours") if record.summary.get("days") else None
    within = f" in each day's {duration(round(window * NS_PER_HOUR))} window" if window else ""
    ax.set_title(f"{contract(record)} futures, the {name} index and the fundamental\n"
                 f"{duration(sample_interval_ns(record))} samples{within}")
    _legend(ax)
    return fig


def spread_depth_figure(record: SessionRecord) -> Figure:
    """How tight and how deep is the top of the book over the session? The samples are
    resampled into at most MAX_BINS bins (15 minutes in a day): the mean with a band from the
    10th to the 90th percentile of the samples in each bin, so a day of one-minute samples
    reads as a curve, not as a barcode."""
    size = bin_ns(record)
    fig, (top, bottom) = _figure(record, 2)
    t, spread = resample(record, "spread_ticks", "mean", size)
    _, low = resample(record, "spread_ticks", "p10", size)
    _, high = resample(record, "spread_ticks", "p90", size)
    x, spread, low, high = _gaps(record, hours(record, t), t, spread, low, high, step_ns=size)
    top.fill_between(x, low, high, color="tab:purple", alpha=0.2, lw=0,
                     label="10th-90th percentile")
    top.plot(x, spread, color="tab:purple", lw=1.5, label="mean")
    top.set_ylabel("spread (ticks of 0.001 USD)")
    top.set_title(f"{contract(record)}: spread and depth at the best bid and ask\n"
                  f"{bin_text(record, size)} of {duration(sample_interval_ns(record))} samples")
    for key, color, label in (("bid_depth", "tab:green", "bid"), ("ask_depth", "tab:red", "ask")):
        t, mean = resample(record, key, "mean", size)
        _, low = resample(record, key, "p10", size)
        _, high = resample(record, key, "p90", size)
        x, mean, low, high = _gaps(record, hours(record, t), t, mean, low, high, step_ns=size)
        bottom.fill_between(x, low, high, color=color, alpha=0.12, lw=0)
        bottom.plot(x, mean, color=color, lw=1.5, label=f"{label} (mean; band 10th-90th pct.)")
    bottom.set_ylabel("depth at the best (lots)")
    top.set_ylim(bottom=0)
    bottom.set_ylim(bottom=0)
    _legend(top, "upper right")
    _legend(bottom, "upper right")
    return fig


def volume_figure(record: SessionRecord) -> Figure:
    """When does the market trade, and how much in total? Bars: lots per resampling bin of
    the primary contract; line: its cumulative trades. The title gives the contract's trades
    and, when the summary has them, the trades in every contract."""
    s = record.samples
    size = bin_ns(record)
    t, volume = resample(record, "volume", "sum", size)
    fig, (ax,) = _figure(record)
    if t.size:
        # one filled staircase over every bin from the first to the last (a bin without a
        # sample traded nothing): no seam between two bars, and fast to draw
        ends = np.arange(t[0], t[-1] + size, size)
        lots = np.zeros(ends.size)
        lots[(t - t[0]) // size] = np.nan_to_num(volume)
        ax.stairs(lots, hours(record, np.concatenate([[ends[0] - size], ends])), fill=True,
                  color="#8fb8de", label=f"lots {per(size)}")
    ax.set_ylabel(f"volume (lots {per(size)})")
    right = ax.twinx()
    trades = np.nan_to_num(np.asarray(s["trades"], dtype=float))
    right.plot(hours(record, s["ts"]), np.cumsum(trades), color="tab:red", lw=1.2,
               label="cumulative trades")
    right.set_ylabel("trades (cumulative)")
    ax.set_ylim(bottom=0)
    right.set_ylim(bottom=0)
    handles, labels = ax.get_legend_handles_labels()
    more_handles, more_labels = right.get_legend_handles_labels()
    ax.legend(handles + more_handles, labels + more_labels, loc="upper left", fontsize="small")
    ax.set_title(f"Volume and trades in {contract(record)}: {trade_count_text(record)}")
    return fig


def trade_count_text(record: SessionRecord) -> str:
    """'64,170 trades (87,850 in all contracts)': the plotted contract's trades, and the
    summary's total when it counts more contracts than that one."""
    own = int(np.nansum(np.asarray(record.samples["trades"], dtype=float)))
    total = record.summary.get("trades")
    text = f"{own:,} trades"
    if isinstance(total, (int, np.integer)) and total != own:
        text += f" ({int(total):,} in all contracts)"
    return text


def makers_figure(record: SessionRecord) -> Figure:
    """Does each market maker keep its inventory near flat, and does it make money?"""
    ts = record.samples["ts"]
    fig, (top, bottom) = _figure(record, 2)
    for name, series in record.makers.items():
        x, inventory, pnl = _gaps(record, hours(record, ts), ts, series["inventory"],
                                  series["pnl_usd"])
        top.step(x, inventory, where="post", lw=1, label=name)
        bottom.plot(x, pnl, lw=1, label=name)
    top.axhline(0, color="0.5", lw=0.8)
    bottom.axhline(0, color="0.5", lw=0.8)
    top.set_ylabel("inventory (lots, all contracts)")
    bottom.set_ylabel("PnL (USD, marked to market)")
    top.set_title("Market makers: inventory and profit and loss, fees and rebates included "
                  f"({duration(sample_interval_ns(record))} samples)"
                  if record.makers else "No market makers")
    _legend(top)
    _legend(bottom)
    return fig


def _cumulative(ax, record: SessionRecord, ts, amounts, label: str) -> None:
    """A step from 0 at the session start, up by each amount at its time, flat to the end."""
    x = hours(record, ts)
    y = np.cumsum(amounts)
    ax.step(np.concatenate([[0.0], x, [max(_end(record), x[-1])]]),
            np.concatenate([[0], y, y[-1:]]), where="post", marker="o",
            markevery=list(range(1, len(x) + 1)), label=label)


def risk_figure(record: SessionRecord) -> Figure:
    """When did the clearinghouse call margin, liquidate and declare defaults, and which layers
    of the default waterfall paid for the losses?"""
    fig, (top, bottom) = _figure(record, 2)
    counts = []
    for kind, label in EVENT_KINDS:
        ts = sorted(e["ts"] for e in record.risk_events if e["kind"] == kind)
        counts.append(f"{len(ts)} {label if len(ts) > 1 else label[:-1]}" if ts else f"no {label}")
        if ts:
            _cumulative(top, record, ts, np.ones(len(ts), dtype=int), label)
    top.yaxis.get_major_locator().set_params(integer=True)
    top.set_ylim(bottom=0)
    top.set_ylabel("events (cumulative)")
    top.set_title("Risk events, every account and contract: " + ", ".join(counts))
    _legend(top)

    layers: dict[str, list[tuple[int, int]]] = {}  # in the order the waterfall drew them
    for e in sorted((e for e in record.risk_events if e["kind"] == "waterfall"),
                    key=lambda e: e["ts"]):
        layers.setdefault(e.get("layer") or "?", []).append((e["ts"], e.get("amount_cents") or 0))
    for layer, draws in layers.items():
        _cumulative(bottom, record, [t for t, _ in draws],
                    np.array([c for _, c in draws]) / 100, layer)
    bottom.set_ylim(bottom=0)
    bottom.set_ylabel("drawn (USD, cumulative)")
    bottom.set_title("Default waterfall by layer" if layers else "Default waterfall: nothing drawn")
    _legend(bottom)
    return fig


FIGURES = {
    "price.png": price_figure,
    "spread_depth.png": spread_depth_figure,
    "volume.png": volume_figure,
    "makers.png": makers_figure,
    "risk.png": risk_figure,
}


def plot_all(record: SessionRecord, out_dir) -> dict[str, Path]:
    """Every figure into out_dir, file name -> path."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    return {name: _save(figure(record), out_dir / name) for name, figure in FIGURES.items()}
