"""The study's figures (matplotlib on an Agg canvas, no pyplot, as marketmakers/plots.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from marketmakers.hedging.study import StudyResult

DPI = 100
COLOURS = {"none": "#444444", "static": "#1f77b4", "min_variance": "#2ca02c",
           "layered": "#ff7f0e", "market": "#d62728"}


def _figure(rows: int = 1, cols: int = 1, size=(10, 5)):
    fig = Figure(figsize=size, dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(rows, cols, squeeze=False)
    for ax in axes.ravel():
        ax.grid(True, alpha=0.3)
    return fig, axes


def _save(fig: Figure, path: Path) -> Path:
    fig.savefig(path)
    return path


def bill_distribution(result: StudyResult, path: Path) -> Path:
    """The annual cost of each programme across paths: the hedge narrows it."""
    fig, axes = _figure()
    ax = axes[0, 0]
    costs = result.costs
    everything = np.concatenate(list(costs.values()))
    lo, hi = np.percentile(everything, [0.2, 99.8])
    bins = np.linspace(lo / 1e6, hi / 1e6, 90)
    for name, c in costs.items():
        label = "unhedged bill" if name == "none" else name
        ax.hist(c / 1e6, bins=bins, histtype="step", linewidth=1.6, color=COLOURS.get(name),
                label=f"{label}: sd {c.std() / 1e6:.3f} M")
    s = result.summary
    ax.set_title(f"annual compute cost, {s['scenario']}, {s['paths']:,} paths "
                 f"({len(s['parameters']['months_hedged'])} months)")
    ax.set_xlabel("cost over the horizon, million USD (bill - hedge payoff + frictions)")
    ax.set_ylabel("paths")
    ax.legend()
    return _save(fig, path)


def fan_chart(result: StudyResult, path: Path) -> Path:
    """Quantiles over the horizon of the index's monthly average and of the monthly bill,
    unhedged and with the static hedge."""
    s = result.summary
    months = s["parameters"]["months_hedged"]
    x = np.arange(len(months))
    fig, axes = _figure(1, 2, size=(12, 5))
    bands = ((5, 95, 0.15), (25, 75, 0.3))

    def fan(ax, data, colour, label):
        for lo, hi, alpha in bands:
            ax.fill_between(x, np.percentile(data, lo, axis=0), np.percentile(data, hi, axis=0),
                            color=colour, alpha=alpha, linewidth=0)
        ax.plot(x, np.median(data, axis=0), color=colour, label=f"{label}: median, 25-75%, 5-95%")

    ax = axes[0, 0]
    fan(ax, result.monthly_settle, COLOURS["none"], "index, monthly average")
    ax.plot(x, s["parameters"]["initial_futures_curve"], "o--", color=COLOURS["static"],
            label="futures curve when the hedge is put on")
    unit = "GPU-hour" if s["parameters"]["index"] == "GPU" else "million SIT"
    ax.set_title(f"{s['parameters']['index']} index by contract month")
    ax.set_ylabel(f"USD per {unit}")
    ax.legend(fontsize=8)
    ax = axes[0, 1]
    fan(ax, result.monthly_cost["none"] / 1e3, COLOURS["none"], "unhedged bill")
    if "static" in result.monthly_cost:
        fan(ax, result.monthly_cost["static"] / 1e3, COLOURS["static"], "bill less the static hedge")
    ax.set_title("monthly compute cost")
    ax.set_ylabel("thousand USD")
    ax.legend(fontsize=8)
    for ax in axes[0]:
        ax.set_xticks(x, months, rotation=45, fontsize=8)
    return _save(fig, path)


def sensitivity(grid_rows: list[dict], corr_rows: list[dict], path: Path) -> Path:
    """The static hedge's std reduction over volume noise x basis vol, and over the
    price-volume correlation."""
    fig, axes = _figure(1, 2, size=(13, 5))
    ax = axes[0, 0]
    vns = sorted({r["volume_noise"] for r in grid_rows})
    bvs = sorted({r["basis_vol"] for r in grid_rows})
    z = np.full((len(vns), len(bvs)), np.nan)
    for r in grid_rows:
        z[vns.index(r["volume_noise"]), bvs.index(r["basis_vol"])] = r["std_reduction"]
    im = ax.imshow(z * 100, origin="lower", cmap="viridis", vmin=0, vmax=100, aspect="auto")
    ax.grid(False)
    for r in grid_rows:
        i, j = vns.index(r["volume_noise"]), bvs.index(r["basis_vol"])
        ax.text(j, i, f"{100 * r['std_reduction']:.0f}%\n(var {100 * r['variance_reduction']:.0f}%)",
                ha="center", va="center", fontsize=8,
                color="white" if r["std_reduction"] < 0.6 else "black")
    ax.set_xticks(range(len(bvs)), [f"{b:g}" for b in bvs])
    ax.set_yticks(range(len(vns)), [f"{v:g}" for v in vns])
    ax.set_xlabel("basis_vol (sd of the enterprise's price / index)")
    ax.set_ylabel("volume_noise (sd of monthly consumption / plan)")
    ax.set_title("static hedge: std reduction (variance reduction)")
    fig.colorbar(im, ax=ax, label="std reduction, %")
    ax = axes[0, 1]
    rho = [r["price_volume_corr"] for r in corr_rows]
    ax.errorbar(rho, [100 * r["std_reduction"] for r in corr_rows],
                yerr=[196 * r["std_reduction_se"] for r in corr_rows], marker="o", capsize=3,
                label="std reduction (95% interval)")
    ax.errorbar(rho, [100 * r["variance_reduction"] for r in corr_rows],
                yerr=[196 * r["variance_reduction_se"] for r in corr_rows], marker="s",
                capsize=3, label="variance reduction (95% interval)")
    ax.axhspan(62, 78, color="grey", alpha=0.15, label="the paper's 62-78%")
    ax.set_xlabel("price_volume_corr")
    ax.set_ylabel("%")
    ax.set_title("static hedge over the price-volume correlation")
    ax.legend(fontsize=8)
    return _save(fig, path)
