"""The session report as one self-contained HTML page (report.html).

Everything is inside the file: the summary, the plots as base64 data URIs, the makers'
obligations and the risk events, with a few words on what each part says. No script, no
stylesheet or font from the network: the page opens in any browser, offline, and can be mailed
as it is. The CSV files and the event log beside it are linked by their relative names.
"""

from __future__ import annotations

import base64
import html
from pathlib import Path

import numpy as np

from marketmakers.record import SessionRecord

PAGE = "report.html"
RISK_ROWS = 500  # the page lists this many risk events; risk_events.csv has them all

PLOT_NOTES = {
    "price.png": "Whether the futures track the index and the index the fundamental; the basis; "
                 "how jumps pass through.",
    "spread_depth.png": "How tight and how deep the book is, and when liquidity thins out.",
    "volume.png": "When the market trades and how steadily.",
    "makers.png": "Whether the market makers keep their inventory near flat and earn their "
                  "spread, or carry risk and lose to informed flow.",
    "risk.png": "When stress hit (margin calls, liquidations, defaults) and how far down the "
                "default waterfall the losses went.",
}

TERMS = (
    ("events", "venue and clearing events (accepted, fills, book changes, cancels, marks, "
               "cash movements...), each with a gap-free sequence number"),
    ("rejections", "orders and cancels the venue refused (a reason code each: price band, "
                   "margin, unknown order...)"),
    ("presence", "share of the session a market maker showed a compliant two-sided quote "
                 "(spread and size within its obligation); met at 80%"),
    ("margin call", "an account's equity fell below its maintenance margin: it must add cash "
                    "or cut its positions"),
    ("excess kurtosis", "how fat the tails of the returns are: 0 for a normal law, above 0 "
                        "when large moves are more frequent"),
    ("acf(r, 1)", "lag-1 autocorrelation of returns: near 0 in real markets (no easy "
                  "prediction); negative when prices bounce"),
    ("acf(|r|, 1)", "lag-1 autocorrelation of absolute returns: above 0 when volatility "
                    "clusters"),
    ("digest", "SHA-256 of the event log's CSV text: the same seed and settings give the "
               "same digest"),
)

STYLE = """
body { font: 15px/1.45 system-ui, sans-serif; margin: 2em auto; max-width: 1040px;
       color: #222; padding: 0 1em; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 2em; }
pre { background: #f5f5f5; padding: 0.8em; overflow-x: auto; font-size: 13px; }
table { border-collapse: collapse; margin: 0.5em 0; font-size: 14px; }
th, td { border-bottom: 1px solid #ddd; padding: 0.25em 0.8em; text-align: left; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
img { max-width: 100%; border: 1px solid #eee; }
.note { color: #555; }
.no { color: #b00; font-weight: bold; }
"""


def write_page(record: SessionRecord, summary_text: str, files: dict, path) -> Path:
    """Write the page to `path`; `files` (name -> path) are the report's other files: the
    PNGs among them are embedded, every one is linked."""
    path = Path(path)
    path.write_text(page(record, summary_text, files), encoding="utf-8")
    return path


def page(record: SessionRecord, summary_text: str, files: dict) -> str:
    s = record.summary
    title = f"sitex session: {s.get('scenario', 'a session')}"
    if "seed" in s:
        title += f", seed {s['seed']}"
    parts = [f"<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
             f"<title>{_e(title)}</title><style>{STYLE}</style></head><body>",
             f"<h1>{_e(title)}</h1>", f"<p class=\"note\">{_e(_when(s))}</p>",
             "<h2>Summary</h2>", f"<pre>{_e(summary_text)}</pre>",
             _obligations(s), *_plots(files), _risk(record), _terms(), _files(files),
             "</body></html>\n"]
    return "\n".join(p for p in parts if p)


def _when(s: dict) -> str:
    bits = []
    if "start" in s:
        bits.append(f"from {s['start']}")
    if s.get("days"):
        window = s.get("window_hours")
        bits.append(f"{s['days']} trading days" + (f" of {window:g}-hour windows" if window else ""))
    elif "hours" in s:
        bits.append(f"{s['hours']:g} hour" + ("" if s["hours"] == 1 else "s"))
    symbols = [sym for _, sym in s.get("primary_symbols") or ()] or [s.get("primary_symbol")]
    if symbols[0]:
        bits.append(f"series of {' then '.join(symbols)} in {s.get('price_unit') or 'USD'}")
    if s.get("digest"):
        bits.append(f"digest {s['digest'][:12]}")
    return "; ".join(bits)


def _obligations(s: dict) -> str:
    rows = s.get("mm_obligations") or []
    if isinstance(rows, dict):
        rows = [{"maker": name, **o} for name, o in rows.items()]
    if not rows:
        return ""
    out = ["<h2>Market makers' obligations</h2>",
           "<p class=\"note\">A registered maker must quote both sides within its maximum "
           "spread and at its minimum size for at least its minimum share of the session.</p>",
           "<table><tr><th>maker</th><th>presence</th><th>obligation</th>"
           "<th>compliant time</th></tr>"]
    for o in rows:
        presence = o.get("presence")
        met = o.get("met")
        shown = f"{100 * presence:.1f}%" if isinstance(presence, (int, float)) else "?"
        verdict = "met" if met else ("<span class=\"no\">NOT met</span>" if met is False else "?")
        compliant = o.get("compliant_ns")
        hours = f"{compliant / 3.6e12:.2f} h" if isinstance(compliant, (int, float)) else ""
        out.append(f"<tr><td>{_e(o.get('maker', '?'))}</td><td class=\"n\">{shown}</td>"
                   f"<td>{verdict}</td><td class=\"n\">{hours}</td></tr>")
    out.append("</table>")
    return "\n".join(out)


def _plots(files: dict) -> list[str]:
    out = []
    for name, note in PLOT_NOTES.items():
        path = files.get(name)
        if path is None or not Path(path).is_file():
            continue
        data = base64.b64encode(Path(path).read_bytes()).decode("ascii")
        out += [f"<h2>{_e(name)}</h2>", f"<p class=\"note\">{_e(note)}</p>",
                f"<img alt=\"{_e(name)}\" src=\"data:image/png;base64,{data}\">"]
    return out


def _risk(record: SessionRecord) -> str:
    events = sorted(record.risk_events, key=lambda e: e["ts"])
    out = ["<h2>Risk events</h2>"]
    if not events:
        out.append("<p>None: no margin call, no liquidation, no default, nothing drawn from "
                   "the default waterfall.</p>")
        return "\n".join(out)
    times = np.datetime_as_string(np.asarray([e["ts"] for e in events], dtype="datetime64[ns]"),
                                  unit="s", timezone="UTC")
    out.append("<table><tr><th>time (UTC)</th><th>kind</th><th>account</th><th>layer</th>"
               "<th>amount (USD)</th></tr>")
    for e, t in list(zip(events, times))[:RISK_ROWS]:
        cents = e.get("amount_cents")
        amount = f"{cents / 100:,.2f}" if cents is not None else ""
        out.append(f"<tr><td>{_e(t)}</td><td>{_e(e['kind'])}</td><td>{_e(e.get('account') or '')}"
                   f"</td><td>{_e(e.get('layer') or '')}</td><td class=\"n\">{amount}</td></tr>")
    out.append("</table>")
    if len(events) > RISK_ROWS:
        out.append(f"<p class=\"note\">The first {RISK_ROWS:,} of {len(events):,}: "
                   "risk_events.csv has them all.</p>")
    return "\n".join(out)


def _terms() -> str:
    rows = "".join(f"<tr><td>{_e(term)}</td><td>{_e(text)}</td></tr>" for term, text in TERMS)
    return ("<h2>Terms</h2><table>" + rows + "</table><p class=\"note\">docs/sessions.md "
            "explains every part of the report.</p>")


def _files(files: dict) -> str:
    items = "".join(f"<li><a href=\"{_e(name)}\">{_e(name)}</a></li>" for name in sorted(files))
    return f"<h2>Files beside this page</h2><ul>{items}</ul>"


def _e(value) -> str:
    return html.escape(str(value), quote=True)
