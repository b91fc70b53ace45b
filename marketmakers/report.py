"""The report of a market session: a folder of JSON, CSV and PNG files, one HTML page that
holds them all (marketmakers/page.py), and a text summary.

Everything is read from a `SessionRecord`, so the report is tested on a record built by hand.
CSV files are for a spreadsheet or pandas: times as integer ns (exact) next to ISO-8601 UTC
(readable), floats in their shortest exact form, NaN and None as an empty cell.
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import numpy as np

from marketmakers.page import PAGE, write_page
from marketmakers.plots import plot_all
from marketmakers.record import SAMPLE_KEYS, SessionRecord

RISK_COLUMNS = ("ts", "time_utc", "kind", "account", "layer", "amount_cents")


def write_report(record: SessionRecord, out_dir, event_log: Path | None = None) -> dict[str, Path]:
    """Write summary.json, samples.csv, makers.csv, risk_events.csv, the plots and report.html
    into out_dir (created if missing); return file name -> path. `event_log`, the session's
    event log when it was written, is listed among the files (in summary.json and the page)."""
    record.check()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    files = {
        "samples.csv": write_samples(record, out_dir / "samples.csv"),
        "makers.csv": write_makers(record, out_dir / "makers.csv"),
        "risk_events.csv": write_risk_events(record, out_dir / "risk_events.csv"),
        **plot_all(record, out_dir),
    }
    if event_log is not None:
        files[Path(event_log).name] = Path(event_log)
    names = sorted([*files, "summary.json", PAGE])
    summary = {**record.summary, "files": names}
    path = out_dir / "summary.json"
    path.write_text(json.dumps(jsonable(summary), sort_keys=True, indent=2, allow_nan=False) + "\n")
    files["summary.json"] = path
    files[PAGE] = write_page(record, format_summary(record.summary), files, out_dir / PAGE)
    return {name: files[name] for name in names}


def jsonable(value):
    """numpy scalars and arrays to Python, tuples to lists, NaN and inf to None (strict JSON)."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Path):
        return str(value)
    return value


def cell(value) -> str:
    """One CSV cell: repr of a float is the shortest string that reads back to the same float."""
    if value is None:
        return ""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return "" if math.isnan(value) else repr(value)
    return str(value)


def iso_utc(ts) -> np.ndarray:
    """ISO-8601 UTC strings (millisecond precision; the ns column is the exact one)."""
    return np.datetime_as_string(np.asarray(ts, dtype="datetime64[ns]"), unit="ms", timezone="UTC")


def _write_rows(path: Path, header, rows) -> Path:
    with path.open("w", newline="") as f:
        out = csv.writer(f, lineterminator="\n")
        out.writerow(header)
        out.writerows([cell(v) for v in row] for row in rows)
    return path


def write_samples(record: SessionRecord, path: Path) -> Path:
    """One row per sample: ts, time_utc, then the other SAMPLE_KEYS in their order."""
    s = record.samples
    ts = np.asarray(s["ts"], dtype=np.int64)
    keys = SAMPLE_KEYS[1:]
    columns = [ts, iso_utc(ts), *(np.asarray(s[k]) for k in keys)]
    return _write_rows(path, ("ts", "time_utc", *keys), zip(*columns))


def write_makers(record: SessionRecord, path: Path) -> Path:
    """Long format, one row per (sample, maker), so any number of makers fits four columns."""
    ts = np.asarray(record.samples["ts"], dtype=np.int64)
    rows = [(t, name, series["inventory"][i], series["pnl_usd"][i])
            for i, t in enumerate(ts) for name, series in record.makers.items()]
    return _write_rows(path, ("ts", "maker", "inventory", "pnl_usd"), rows)


def write_risk_events(record: SessionRecord, path: Path) -> Path:
    """Margin calls, liquidations, defaults and waterfall draws in time order."""
    events = sorted(record.risk_events, key=lambda e: e["ts"])
    times = iso_utc([e["ts"] for e in events]) if events else []
    rows = [(e["ts"], t, e["kind"], e.get("account"), e.get("layer"), e.get("amount_cents"))
            for e, t in zip(events, times)]
    return _write_rows(path, RISK_COLUMNS, rows)


def _count(n) -> str:
    return f"{n:,}" if isinstance(n, (int, np.integer)) else f"{n:,.1f}"


def _obligations(summary: dict) -> list[str]:
    """Accepts a list of ObligationReport.to_dict() or a dict maker -> that dict."""
    obligations = summary.get("mm_obligations") or []
    if isinstance(obligations, dict):
        obligations = [{"maker": name, **o} for name, o in obligations.items()]
    width = max((len(str(o.get("maker", "?"))) for o in obligations), default=0)
    lines = []
    for o in obligations:
        met = {True: "met", False: "NOT met"}.get(o.get("met"), "?")
        presence = o.get("presence")
        shown = f"presence {100 * presence:5.1f}%" if presence is not None else ""
        lines.append(f"{o.get('maker', '?')!s:<{width}}  {met:<7}  {shown}".rstrip())
    return lines


def explain_facts(facts: dict) -> list[str]:
    """What the stylized facts' names mean, in a few words (docs/sessions.md says more)."""
    interval = facts.get("returns_interval_s")
    returns = (f"{interval / 60:g}-minute returns of the mid" if isinstance(interval, (int, float))
               else "returns of the mid")
    return [f"({returns}; excess kurtosis > 0: fatter tails than a normal law;",
            "acf(r, 1): lag-1 autocorrelation of returns, near 0 in real markets;",
            "acf(|r|, 1) > 0: volatility clusters; spread in ticks, depth in lots; docs/sessions.md)"]


def _stylized(facts: dict) -> str:
    names = (("excess_kurtosis", "excess kurtosis"), ("autocorr_returns_lag1", "acf(r, 1)"),
             ("autocorr_abs_returns_lag1", "acf(|r|, 1)"), ("mean_spread", "mean spread"),
             ("mean_depth", "mean depth"))
    return ", ".join(f"{label} {facts[key]:.3g}" for key, label in names
                     if isinstance(facts.get(key), (int, float)))


def format_summary(summary: dict) -> str:
    """A few aligned lines for the terminal; a line whose figure is missing is left out."""
    rows: list[tuple[str, str]] = []
    if "scenario" in summary:
        seed = f" (seed {summary['seed']})" if "seed" in summary else ""
        rows.append(("scenario", f"{summary['scenario']}{seed}"))
    if "events" in summary:
        rate = summary.get("events_per_s")
        rows.append(("events", _count(summary["events"])
                     + (f"  ({rate:,.0f}/s)" if rate is not None else "")))
    if "trades" in summary:
        rows.append(("trades", _count(summary["trades"])))
    if "volume" in summary:
        rows.append(("volume", f"{_count(summary['volume'])} lots"))
    rows += [("mm obligations" if i == 0 else "", line)
             for i, line in enumerate(_obligations(summary))]
    for key, label in (("rejections", "rejections"), ("margin_calls", "margin calls"),
                       ("liquidations", "liquidations"), ("defaults", "defaults")):
        if key in summary:
            rows.append((label, _count(summary[key])))
    facts = _stylized(summary.get("stylized_facts") or {})
    if facts:
        rows.append(("stylized facts", facts))
        rows += [("", line) for line in explain_facts(summary["stylized_facts"])]
    if not rows:
        return "(no figures in the summary)"
    width = max(len(label) for label, _ in rows)
    return "\n".join(f"{label:<{width}}  {text}" for label, text in rows)
