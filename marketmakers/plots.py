"""The figures of a session report, drawn from a `SessionRecord` and nothing else.

Each figure is a plain `matplotlib.figure.Figure` on an Agg canvas: no pyplot, so no global
figure registry and no GUI backend, and a report can be written from a thread or a server.
The x axis is hours since the session start. Empty or all-NaN series draw empty axes.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from marketmakers.record import SessionRecord

SIZE_IN = (10, 5)
DPI = 100
NS_PER_HOUR = 3_600_000_000_000
EVENT_KINDS = (("margin_call", "margin calls"), ("liquidation", "liquidations"),
               ("default", "defaults"))


def session_start_ns(record: SessionRecord) -> int:
    """`summary["start_ts"]` when the runner gives it; otherwise one sample interval before the
    first sample, because each sample time is the end of its interval."""
    if "start_ts" in record.summary:
        return int(record.summary["start_ts"])
    ts = np.asarray(record.samples["ts"], dtype=np.int64)
    if ts.size == 0:
        return 0
    return int(ts[0] - (ts[1] - ts[0])) if ts.size > 1 else int(ts[0])


def hours(record: SessionRecord, ts) -> np.ndarray:
    """Hours since the session start, the common x axis of every figure."""
    return (np.asarray(ts, dtype=np.int64) - session_start_ns(record)) / NS_PER_HOUR


def _end_hours(record: SessionRecord) -> float:
    ts = record.samples["ts"]
    return float(hours(record, ts[-1:])[0]) if len(ts) else 0.0


def _figure(record: SessionRecord, rows: int = 1):
    """A figure of `rows` panels sharing the time axis, which spans the whole session."""
    fig = Figure(figsize=SIZE_IN, dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(rows, 1, sharex=True, squeeze=False)[:, 0]
    for ax in axes:
        ax.grid(True, alpha=0.3)
    axes[-1].set_xlabel("hours since the session start")
    if _end_hours(record) > 0:
        axes[-1].set_xlim(0, _end_hours(record))
    return fig, axes


def _save(fig: Figure, path) -> Path:
    path = Path(path)
    fig.savefig(path)
    return path


def _legend(ax) -> None:
    """A legend only when something is labelled (matplotlib warns on an empty one)."""
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="best", fontsize="small")


def plot_price(record: SessionRecord, path) -> Path:
    """Does the futures price follow the index, and the index the fundamental?"""
    s = record.samples
    x = hours(record, s["ts"])
    fig, (ax,) = _figure(record)
    ax.plot(x, s["fundamental_usd"], color="0.6", lw=1, label="fundamental")
    ax.plot(x, s["index_usd"], color="tab:green", lw=1.2, label="SIT index")
    ax.plot(x, s["last_usd"], color="tab:blue", lw=1, label="futures last trade")
    ax.plot(x, s["mark_usd"], color="tab:orange", lw=1, ls="--", label="futures mark")
    ax.set_ylabel("price (USD)")
    ax.set_title("Futures price, SIT index and fundamental")
    _legend(ax)
    return _save(fig, path)


def plot_spread_depth(record: SessionRecord, path) -> Path:
    """How tight and how deep is the top of the book over the session?"""
    s = record.samples
    x = hours(record, s["ts"])
    fig, (top, bottom) = _figure(record, 2)
    top.plot(x, s["spread_ticks"], color="tab:purple", lw=1, label="spread")
    top.set_ylabel("spread (ticks)")
    top.set_title("Spread and top-of-book depth")
    bottom.step(x, s["bid_depth"], where="post", color="tab:green", lw=1, label="bid depth")
    bottom.step(x, s["ask_depth"], where="post", color="tab:red", lw=1, label="ask depth")
    bottom.set_ylabel("depth at best (lots)")
    top.set_ylim(bottom=0)
    bottom.set_ylim(bottom=0)
    _legend(top)
    _legend(bottom)
    return _save(fig, path)


def plot_volume(record: SessionRecord, path) -> Path:
    """When does the market trade, and how much in total?"""
    s = record.samples
    x = hours(record, s["ts"])
    fig, (ax,) = _figure(record)
    width = float(np.min(np.diff(x))) if x.size > 1 else 1 / 60
    # a sample closes its interval: its bar covers (previous sample, ts]; one filled staircase
    # draws them all (a day of one-minute bars as 1,440 rectangles took seconds to lay out)
    if x.size:
        ax.stairs(np.asarray(s["volume"], dtype=float), np.concatenate([[x[0] - width], x]),
                  fill=True, color="tab:blue", alpha=0.6, label="volume per interval")
    ax.set_ylabel("volume (lots per interval)")
    right = ax.twinx()
    right.plot(x, np.cumsum(np.nan_to_num(np.asarray(s["trades"], dtype=float))),
               color="tab:red", lw=1.2, label="cumulative trades")
    right.set_ylabel("trades (cumulative)")
    ax.set_ylim(bottom=0)
    right.set_ylim(bottom=0)
    handles, labels = ax.get_legend_handles_labels()
    more_handles, more_labels = right.get_legend_handles_labels()
    ax.legend(handles + more_handles, labels + more_labels, loc="upper left", fontsize="small")
    ax.set_title(f"Volume and trades ({int(np.nansum(s['trades']))} trades)")
    return _save(fig, path)


def plot_makers(record: SessionRecord, path) -> Path:
    """Does each market maker keep its inventory near flat, and does it make money?"""
    x = hours(record, record.samples["ts"])
    fig, (top, bottom) = _figure(record, 2)
    for name, series in record.makers.items():
        top.step(x, series["inventory"], where="post", lw=1, label=name)
        bottom.plot(x, series["pnl_usd"], lw=1, label=name)
    top.axhline(0, color="0.5", lw=0.8)
    bottom.axhline(0, color="0.5", lw=0.8)
    top.set_ylabel("inventory (lots)")
    bottom.set_ylabel("PnL (USD)")
    top.set_title("Market makers: inventory and PnL" if record.makers else "No market makers")
    _legend(top)
    _legend(bottom)
    return _save(fig, path)


def _cumulative(ax, record: SessionRecord, ts, amounts, label: str) -> None:
    """A step from 0 at the session start, up by each amount at its time, flat to the end."""
    x = hours(record, ts)
    y = np.cumsum(amounts)
    ax.step(np.concatenate([[0.0], x, [max(_end_hours(record), x[-1])]]),
            np.concatenate([[0], y, y[-1:]]), where="post", marker="o",
            markevery=list(range(1, len(x) + 1)), label=label)


def plot_risk(record: SessionRecord, path) -> Path:
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
    top.set_title("Risk events: " + ", ".join(counts))
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
    return _save(fig, path)


PLOTS = {
    "price.png": plot_price,
    "spread_depth.png": plot_spread_depth,
    "volume.png": plot_volume,
    "makers.png": plot_makers,
    "risk.png": plot_risk,
}


def plot_all(record: SessionRecord, out_dir) -> dict[str, Path]:
    """Every figure into out_dir, file name -> path."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    return {name: plot(record, out_dir / name) for name, plot in PLOTS.items()}
