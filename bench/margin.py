"""`sitex bench margin`: the vectorised margin pass against the plain per-account loop.

Random seeded portfolios over K expiries of SIT (plus, when K > 1, about a third of the accounts
holding calendar spreads). Times `MarginModel.requirements` on all accounts in one pass (best of three after a warm-up
run), and
`MarginModel.requirement` (the per-account reference) on a subset of accounts, extrapolated
linearly to all of them (the output says so). Checks the two agree exactly on the subset.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from clearing.margin import default_margin_model
from clearing.types import ClearingTerms

T0 = 1_795_000_000 * 1_000_000_000
NS_PER_MONTH = 30 * 86_400 * 1_000_000_000


def contracts(k: int) -> list[ClearingTerms]:
    out = []
    for i in range(k):
        year, month = 2027 + i // 12, 1 + i % 12
        out.append(ClearingTerms(f"SIT{month:02d}{year % 100}", "SIT", "SIT", 1_000, 100,
                                 year, month, T0 + (i + 1) * NS_PER_MONTH))
    return out


def portfolios(n: int, k: int, seed: int = 11) -> tuple[np.ndarray, np.ndarray]:
    """(n, k) int64 positions (sparse, some spreads) and k marks in ticks, seeded."""
    rng = np.random.default_rng(seed)
    held = rng.random((n, k)) < 0.3
    positions = np.where(held, rng.integers(-50, 51, (n, k)), 0).astype(np.int64)
    if k > 1:  # a third of the accounts also hold a calendar spread
        rows = np.flatnonzero(rng.random(n) < 1 / 3)
        near = rng.integers(0, k - 1, rows.size)
        size = rng.integers(1, 100, rows.size)
        positions[rows, near] += size
        positions[rows, near + 1] -= size
    marks = (2_000 - 15 * np.arange(k)).astype(np.int64)  # a gently falling curve
    return positions, marks


def _timed(f, *args) -> float:
    t = time.perf_counter()
    f(*args)
    return time.perf_counter() - t


def run(n: int, k: int, loop_accounts: int = 2_000, repeats: int = 3) -> dict:
    """Vectorised: best of `repeats` warm runs. Loop: one run on `loop_accounts` accounts."""
    model = default_margin_model()
    terms = contracts(k)
    positions, marks = portfolios(n, k)
    im, mm = model.requirements(positions, marks, terms)  # warm-up, and the result to check
    vectorised_s = min(_timed(model.requirements, positions, marks, terms) for _ in range(repeats))

    subset = min(n, loop_accounts)
    by_symbol = {c.symbol: c for c in terms}
    mark_of = {c.symbol: int(m) for c, m in zip(terms, marks)}
    rows = [{c.symbol: int(q) for c, q in zip(terms, row) if q} for row in positions[:subset].tolist()]
    t = time.perf_counter()
    loop = [model.requirement(row, mark_of, by_symbol) for row in rows]
    loop_subset_s = time.perf_counter() - t
    agree = all(r.initial == im[i] and r.maintenance == mm[i] for i, r in enumerate(loop))
    loop_s = loop_subset_s * n / subset
    return {"accounts": n, "expiries": k, "vectorised_s": vectorised_s, "loop_s": loop_s,
            "loop_accounts_timed": subset, "loop_extrapolated": subset < n,
            "ratio": loop_s / vectorised_s, "agree": agree,
            "total_initial_cents": int(im.sum()), "total_maintenance_cents": int(mm.sum())}


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="sitex bench margin", description=__doc__.splitlines()[0],
                                 formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    ap.add_argument("--accounts", type=int, default=100_000, help="accounts margined")
    ap.add_argument("--expiries", type=int, default=12, help="contract months per account")
    ap.add_argument("--loop-accounts", type=int, default=2_000,
                    help="accounts the per-account loop is timed on (extrapolated linearly)")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    return ap


def main(argv=None) -> int:
    ap = parser()
    args = ap.parse_args(argv)
    if args.accounts < 1 or args.expiries < 1 or args.loop_accounts < 1:
        ap.error("--accounts, --expiries and --loop-accounts must be >= 1")
    r = run(args.accounts, args.expiries, args.loop_accounts)
    if args.json:
        print(json.dumps(r))
    else:
        note = (f" (timed on {r['loop_accounts_timed']:,} accounts, extrapolated linearly)"
                if r["loop_extrapolated"] else "")
        print(f"margin of {r['accounts']:,} accounts x {r['expiries']} expiries")
        print(f"  {'vectorised pass (numpy)':<28} {r['vectorised_s'] * 1e3:10.1f} ms (best of 3 warm runs)")
        print(f"  {'per-account Python loop':<28} {r['loop_s'] * 1e3:10.1f} ms{note}")
        print(f"  {'ratio':<28} {r['ratio']:10.1f} x")
        print(f"  results agree on the loop's accounts: {'yes' if r['agree'] else 'NO'}")
    return 0 if r["agree"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
