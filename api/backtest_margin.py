"""`sitex backtest-margin`: does initial margin cover 99% of the losses it is meant to cover?

For each shipped price scenario: simulate the jump-diffusion fundamental (marketmakers/), set
margin as the clearinghouse would (scan range derived from the scenario's own model at 99% over
the 2-day margin period of risk, the SPAN-like scan with its event scenario and buffer), and
for every (position, day) - one long and one short lot, each day of a 250-day year on every
path - compare the loss over the next two days with the initial margin posted that day.

Prints per scenario the coverage (share of observations whose loss stayed within initial
margin), the number of breaches, the Kupiec proportion-of-failures test p-value against 99%,
and the Basel traffic-light zone at 99% over 250 observations (green up to 4 breaches, yellow
5-9, red 10 or more), applied to the breach count scaled to 250 observations.
"""

from __future__ import annotations

import argparse
import json
import math
import sys

import numpy as np

from clearing.margin import MarginModel, MarginParams, ProductMarginParams
from clearing.scan_ranges import derive_scan_range
from clearing.types import ClearingTerms
from marketmakers.fundamental import simulate_paths
from marketmakers.scenarios import list_scenarios, load_scenario

DAYS = 250
HORIZON_DAYS = 2
COVERAGE = 0.99
TERMS = {  # one contract of each index's product, for the margin model
    "SIT": ClearingTerms("SITF27", "SIT", "SIT", 1_000, 100, 2027, 1, 0),
    "GPU": ClearingTerms("GPUF27", "GPU", "GPU", 1_000, 100, 2027, 1, 0),
}
SPREAD_CHARGE = {"SIT": 3_000, "GPU": 2_000}
EVENT_CUT = {"SIT": 0.50, "GPU": 0.30}


LEGEND = f"""
scan: the price move the margin covers. coverage: the share of (position, day) whose
{HORIZON_DAYS}-day loss stayed within the initial margin; breaches: the losses beyond it (per 250:
per year of days). kupiec p: Kupiec's test that breaches happen {1 - COVERAGE:.0%} of the time;
below 0.05 they do not: too often, or too rarely (a margin dearer than it needs to be).
zone: the Basel traffic light on the breaches per 250 days (green up to 4, yellow 5-9,
red 10 or more): green is what a regulator accepts. docs/margin.md, "Back-test"."""


def kupiec_p_value(breaches: int, n: int, p: float = 1 - COVERAGE) -> float:
    """Kupiec's proportion-of-failures likelihood-ratio test (chi-square, 1 degree of freedom)."""
    if n == 0:
        return 1.0
    x = breaches
    phat = x / n

    def loglik(q: float) -> float:
        out = 0.0
        if n - x:
            out += (n - x) * math.log(1 - q) if q < 1 else -math.inf
        if x:
            out += x * math.log(q) if q > 0 else -math.inf
        return out

    lr = max(0.0, -2.0 * (loglik(p) - loglik(phat)))
    return math.erfc(math.sqrt(lr / 2.0))


def basel_zone(breaches_per_250: float) -> str:
    if breaches_per_250 >= 10:
        return "red"
    if breaches_per_250 >= 5:
        return "yellow"
    return "green"


def margin_model_for(scenario) -> tuple[MarginModel, float]:
    """The clearinghouse's model with the scan range derived from this scenario's dynamics
    (at its starting level), as a CCP calibrates to the price model it believes in."""
    p = scenario.params
    x0 = math.log(scenario.price_usd)
    scan = derive_scan_range(p.kappa, float(p.theta(0.0)), p.sigma, p.jump_rate, p.jump_mean,
                             p.jump_std, horizon_days=HORIZON_DAYS, coverage=COVERAGE, x0=x0)
    scan = math.ceil(scan * 10_000) / 10_000  # whole basis points, rounded up
    product = scenario.index_name
    model = MarginModel(MarginParams(products={product: ProductMarginParams(
        scan_range=scan, spread_charge=SPREAD_CHARGE[product], event_cut=EVENT_CUT[product])}))
    return model, scan


def backtest(name: str, paths: int, seed: int) -> dict:
    scenario = load_scenario(name)
    model, scan = margin_model_for(scenario)
    terms = TERMS[scenario.index_name]
    rng = np.random.default_rng(seed)
    logp = simulate_paths(scenario.params, math.log(scenario.price_usd), 1.0 / 365.0,
                          DAYS + HORIZON_DAYS, paths, rng)
    ticks = np.maximum(1, np.rint(np.exp(logp) * 1_000)).astype(np.int64)  # 0.001 USD ticks
    now, later = ticks[:, :DAYS], ticks[:, HORIZON_DAYS:DAYS + HORIZON_DAYS]
    marks = np.unique(now)
    im_long = np.empty(marks.shape, dtype=np.int64)
    im_short = np.empty(marks.shape, dtype=np.int64)
    for i, mark in enumerate(marks.tolist()):
        book = ({terms.symbol: mark}, {terms.symbol: terms})
        im_long[i] = model.requirement({terms.symbol: 1}, *book).initial
        im_short[i] = model.requirement({terms.symbol: -1}, *book).initial
    where = np.searchsorted(marks, now)
    loss_long = (now - later) * terms.tick_value  # cents, one lot
    breach_long = loss_long > im_long[where]
    breach_short = -loss_long > im_short[where]
    breaches = int(breach_long.sum() + breach_short.sum())
    n = int(breach_long.size + breach_short.size)
    per_250 = breaches * DAYS / n
    per_path = np.concatenate([breach_long.sum(axis=1), breach_short.sum(axis=1)])
    return {
        "coverage": round(1 - breaches / n, 6),
        "breaches": breaches,
        "observations": n,
        "kupiec_p": round(kupiec_p_value(breaches, n), 6),
        "zone": basel_zone(per_250),
        "breaches_per_250": round(per_250, 3),
        "red_path_share": round(float((per_path >= 10).mean()), 4),
        "scan_range": scan,
        "paths": paths,
    }


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="sitex backtest-margin", description=__doc__.splitlines()[0],
                                 formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    ap.add_argument("--scenario", action="append",
                    help=f"a shipped scenario, repeatable (None: all of {', '.join(list_scenarios())})")
    ap.add_argument("--paths", type=int, default=2_000, help="simulated price paths per scenario")
    ap.add_argument("--seed", type=int, default=11, help="seed of the price paths")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    return ap


def main(argv: list[str] | None = None) -> int:
    ap = parser()
    args = ap.parse_args(argv)
    if args.paths < 1 or args.seed < 0:
        ap.error("--paths must be >= 1, --seed >= 0")
    names = args.scenario or list_scenarios()
    unknown = [n for n in names if n not in list_scenarios()]
    if unknown:
        print(f"sitex backtest-margin: unknown scenario {unknown[0]!r}; "
              f"shipped: {', '.join(list_scenarios())}", file=sys.stderr)
        return 2
    results = {name: backtest(name, args.paths, args.seed) for name in names}
    if args.json:
        print(json.dumps({"scenarios": results}))
        return 0
    print(f"initial margin back-test: {args.paths:,} paths x {DAYS} days x (long, short), "
          f"{HORIZON_DAYS}-day losses, target {COVERAGE:.0%}")
    print(f"{'scenario':<20}{'scan':>8}{'coverage':>10}{'breaches':>10}{'per 250':>9}"
          f"{'kupiec p':>10}{'zone':>8}")
    for name, r in results.items():
        print(f"{name:<20}{r['scan_range']:>8.2%}{r['coverage']:>10.4f}{r['breaches']:>10,}"
              f"{r['breaches_per_250']:>9.2f}{r['kupiec_p']:>10.4f}{r['zone']:>8}")
    print(LEGEND)
    return 0
