"""The study's results as a printed table and as CSV files."""

from __future__ import annotations

import csv
from pathlib import Path

FIGURE_COLUMNS = ("std_reduction", "variance_reduction", "cvar95_reduction", "mean_cost_change",
                  "vm_outflow_p99", "mean_cost", "std_cost", "cvar95_cost", "financing")
GLOSSARY = (
    "std red. = 1 - sd(hedged cost) / sd(unhedged bill); var red. = 1 - the variance ratio "
    "(Ederington's hedging effectiveness); CVaR95 red. = the cut in the mean of the worst 5% "
    "of costs above their mean; mean change = what the hedge costs on average, frictions "
    "included; VM p99 = the 99th percentile of the largest cumulative variation margin paid "
    "out (cash to have ready). +- is one Monte Carlo standard error. docs/hedging.md")


def _pct(row: dict, key: str) -> str:
    return f"{100 * row[key]:6.1f}% ±{100 * row[key + '_se']:4.1f}"


def _usd(row: dict, key: str, sign: str = "+") -> str:
    return f"{row[key]:>{sign}12,.0f} ±{row[key + '_se']:>8,.0f}"


def format_table(summary: dict) -> str:
    p = summary["parameters"]
    rows = summary["programmes"]
    none = rows["none"]
    months = p["months_hedged"]
    lines = [
        f"sitex hedge: {summary['scenario']}, {summary['paths']:,} paths, seed {summary['seed']}, "
        f"{len(months)} contract months {months[0]}..{months[-1]} of {p['index']} futures",
        f"enterprise: {p['consumption_lots']:g} contracts in the first month, growing "
        f"{100 * p['consumption_growth']:g}%/month; volume noise {p['volume_noise']:g} "
        f"(persistence {p['volume_persistence']:g}, corr. with price {p['price_volume_corr']:g}); "
        f"basis vol {p['basis_vol']:g} (half-life {p['basis_half_life_days']:g} d)",
        f"frictions: fee {p['fee']:g} USD/contract, half-spread {p['half_spread']:g} USD, "
        f"initial margin {100 * p['initial_margin_rate']:.1f}% of notional funded at "
        f"{100 * p['funding_rate']:g}%/yr",
        f"unhedged bill: mean {none['mean_cost']:,.0f} USD, sd {none['std_cost']:,.0f} "
        f"({100 * none['std_cost'] / none['mean_cost']:.1f}% of the mean)",
        "",
        f"{'programme':<13}{'std red.':>15}{'var red.':>15}{'CVaR95 red.':>15}"
        f"{'mean change USD':>22}{'VM p99 USD':>22}",
    ]
    for name, row in rows.items():
        if name == "none":
            continue
        lines.append(f"{name:<13}{_pct(row, 'std_reduction'):>15}{_pct(row, 'variance_reduction'):>15}"
                     f"{_pct(row, 'cvar95_reduction'):>15}{_usd(row, 'mean_cost_change'):>22}"
                     f"{_usd(row, 'vm_outflow_p99', ''):>22}")
    mv = rows.get("min_variance")
    if mv and "in_sample_std_reduction" in mv:
        lines.append(f"min_variance: hedge ratio {mv['hedge_ratio']:.3f} estimated on "
                     f"{mv['in_sample_paths']:,} independent paths, where it cut the sd by "
                     f"{100 * mv['in_sample_std_reduction']:.1f}% (variance "
                     f"{100 * mv['in_sample_variance_reduction']:.1f}%); above: out of sample")
    lines += ["", GLOSSARY]
    return "\n".join(lines)


def write_programmes_csv(summary: dict, path: Path) -> Path:
    """One row per programme: every figure and its standard error."""
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["programme", *[c for k in FIGURE_COLUMNS for c in (k, k + "_se")],
                    "hedge_ratio", "contracts", "entry_costs", "initial_margin_mean"])
        for name, row in summary["programmes"].items():
            w.writerow([name, *[row.get(c) for k in FIGURE_COLUMNS for c in (k, k + "_se")],
                        row.get("hedge_ratio"), row.get("contracts"), row.get("entry_costs"),
                        row.get("initial_margin_mean")])
    return path


def write_rows_csv(rows: list[dict], path: Path) -> Path:
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    return path
