"""The hedging study: does a token futures strip cut an enterprise's compute bill risk?

`run_study(settings)` draws the paths in blocks (paths.py), prices each programme on them
(evaluate.py) and reports the figures with their standard errors (figures.py). The
min-variance ratio is estimated on an independent in-sample set and reported out of sample.
docs/hedging.md has the model, the parameters and what the results say.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from threadpoolctl import threadpool_limits

from clearing.margin import default_margin_model
from exchange.contracts import GPU, SIT, ContractSpec
from marketmakers.hedging import figures
from marketmakers.hedging.calendar import StudyCalendar
from marketmakers.hedging.evaluate import (
    BlockEvaluator,
    Market,
    Outcome,
    PreparedProgrammes,
)
from marketmakers.hedging.forward import ForwardCurve
from marketmakers.hedging.paths import (
    BLOCK_PATHS,
    BlockBuffers,
    draw_block,
    expected_consumption,
)
from marketmakers.hedging.programmes import layered, static
from marketmakers.hedging.settings import HedgeSettings
from marketmakers.scenarios import load_scenario

PROGRAMMES = ("none", "static", "min_variance", "layered")
KEPT_FOR_PLOTS = 20_000  # paths whose monthly series are kept for the fan chart
PRODUCTS = {"SIT": SIT, "GPU": GPU}


def initial_margin_rate(product_code: str, start_month: str, price_usd: float) -> float:
    """The clearinghouse's initial margin per USD of notional of one long contract, read off
    its margin model at the starting price. The scan moves each expiry by a fraction of its
    own mark, so the requirement is proportional to the mark (to a tick's rounding:
    tests/marketmakers/test_hedging.py checks it over the scenario's range)."""
    product = PRODUCTS[product_code]
    year, month = (int(p) for p in start_month.split("-"))
    terms = ContractSpec(product, year, month).clearing_terms()
    mark = max(1, round(price_usd * 1_000))  # ticks of 0.001 USD
    req = default_margin_model().requirement({terms.symbol: 1}, {terms.symbol: mark},
                                             {terms.symbol: terms})
    return req.initial / (mark * terms.tick_value)


@functools.lru_cache(maxsize=8)
def forward_curve(scenario: str, start_month: str, months: int) -> ForwardCurve:
    """The scenario's futures curve and tables (a tenth of a second to tabulate), shared by
    the studies of a sensitivity grid or a sweep that differ in other settings."""
    sc = load_scenario(scenario)
    with one_blas_thread():
        return ForwardCurve(sc.params, math.log(sc.price_usd), StudyCalendar(start_month, months))


@dataclass
class StudyResult:
    summary: dict  # what `sitex hedge --json` prints
    bill: np.ndarray  # per path, USD
    costs: dict[str, np.ndarray]  # programme -> per path cost, USD
    monthly_settle: np.ndarray  # (kept paths, months) the index's monthly average
    monthly_cost: dict[str, np.ndarray] = field(default_factory=dict)  # (kept paths, months)


def _blocks(n: int):
    for b in range(math.ceil(n / BLOCK_PATHS)):
        yield b, min(BLOCK_PATHS, n - b * BLOCK_PATHS)


class Study:
    """One scenario's study set up: the curve, the market terms, the programmes."""

    def __init__(self, s: HedgeSettings):
        self.s = s
        scenario = load_scenario(s.scenario)
        self.scenario = scenario
        self.curve = forward_curve(s.scenario, s.start_month, s.months)
        self.cal = self.curve.cal
        product = PRODUCTS[scenario.index_name]
        self.product = product
        self.market = Market(
            contract_size=product.contract_size,
            im_rate=initial_margin_rate(product.code, s.start_month, scenario.price_usd),
            fee=s.fee, half_spread=s.half_spread, funding_rate=s.funding_rate)
        self.expected = expected_consumption(s)
        self.draws = {"normals": 0, "poissons": 0, "uniforms": 0}
        self.buffers: BlockBuffers | None = None

    def evaluator(self, kind: str, block: int, n: int) -> BlockEvaluator:
        """Block `block` of `kind` drawn and ready to evaluate (into the reused buffers: the
        previous block's evaluator must be done with)."""
        if self.buffers is None:
            self.buffers = BlockBuffers(self.cal.days, BLOCK_PATHS)
        paths = draw_block(self.s, self.curve, kind, block, n, self.buffers)
        for key in self.draws:
            self.draws[key] += getattr(paths, key)
        return BlockEvaluator(paths, self.curve, self.market)

    def min_variance_ratio(self, progress: Callable[[int], None] | None = None) -> dict:
        """h* on the in-sample paths, with the in-sample effectiveness of that ratio."""
        unit = PreparedProgrammes({"unit": static("unit", 1.0, self.expected, whole=False)},
                                  self.curve)
        bills, gains = [], []
        for b, n in _blocks(self.s.in_sample_paths):
            ev = self.evaluator("in_sample", b, n)
            out = ev.evaluate(unit)["unit"]
            bills.append(ev.bill)
            gains.append(ev.bill - out.cost)  # payoff less frictions, per unit of ratio
            if progress:
                progress(n)
        bill, gain = np.concatenate(bills), np.concatenate(gains)
        h = figures.min_variance_ratio(bill, gain)
        std_red, var_red = figures.ederington(bill - h * gain, bill)
        return {"hedge_ratio": h, "in_sample_std_reduction": std_red,
                "in_sample_variance_reduction": var_red, "in_sample_paths": bill.size}

    def programmes(self, ratio_star: float) -> dict:
        s, exp = self.s, self.expected
        return {
            "static": static("static", s.hedge_ratio, exp),
            "min_variance": static("min_variance", ratio_star, exp),
            "layered": layered("layered", s.hedge_ratio, exp, s.layers, self.cal),
        }

    def run(self, progress: Callable[[int], None] | None = None,
            only: tuple[str, ...] | None = None) -> StudyResult:
        """Every programme, or those named in `only` (the sensitivity grid needs `static`
        alone, and then no in-sample paths are drawn)."""
        with one_blas_thread():
            return self._run(progress, only)

    def _run(self, progress, only) -> StudyResult:
        s = self.s
        wanted = set(only or PROGRAMMES) - {"none"}
        mv = self.min_variance_ratio(progress) if "min_variance" in wanted else None
        programmes = {name: p for name, p in self.programmes(mv["hedge_ratio"] if mv else 1.0).items()
                      if name in wanted}
        bills, keep_settle = [], []
        outs: dict[str, list[Outcome]] = {name: [] for name in programmes}
        kept = 0
        keep_monthly: dict[str, list[np.ndarray]] = {"none": [], "static": []}
        prepared = PreparedProgrammes(programmes, self.curve)
        for b, n in _blocks(s.paths):
            ev = self.evaluator("paths", b, n)
            bills.append(ev.bill)
            take = max(0, min(n, KEPT_FOR_PLOTS - kept))
            if take:
                keep_settle.append(ev.settle[:, :take].T.copy())
                keep_monthly["none"].append(ev.monthly_bill[:, :take].T.copy())
            for name, out in ev.evaluate(prepared).items():
                if take and name == "static":
                    keep_monthly["static"].append(out.monthly_cost[:, :take].T.copy())
                out.monthly_cost = None  # (months x paths): kept only for the plotted paths
                outs[name].append(out)
            kept += take
            if progress:
                progress(n)
        bill = np.concatenate(bills)
        joined = {name: _join(parts) for name, parts in outs.items()}
        summary = self._summary(bill, joined, programmes, mv)
        return StudyResult(
            summary=summary, bill=bill,
            costs={"none": bill, **{k: v["cost"] for k, v in joined.items()}},
            monthly_settle=np.concatenate(keep_settle),
            monthly_cost={k: np.concatenate(v) for k, v in keep_monthly.items() if v})

    def _summary(self, bill, joined, programmes, mv) -> dict:
        s, cal = self.s, self.cal
        rows = {"none": {**figures.moments(bill), "std_reduction": 0.0, "std_reduction_se": 0.0,
                         "variance_reduction": 0.0, "variance_reduction_se": 0.0,
                         "cvar95_reduction": 0.0, "cvar95_reduction_se": 0.0,
                         "mean_cost_change": 0.0, "mean_cost_change_se": 0.0,
                         "vm_outflow_p99": 0.0, "vm_outflow_p99_se": 0.0,
                         "contracts": 0.0, "entry_costs": 0.0, "financing": 0.0,
                         "financing_se": 0.0, "initial_margin_mean": 0.0}}
        for name, out in joined.items():
            p99, p99_se = figures.quantile_with_se(out["vm_outflow"], 0.99)
            rows[name] = {**figures.moments(out["cost"]),
                          **figures.reductions(out["cost"], bill),
                          "vm_outflow_p99": p99, "vm_outflow_p99_se": p99_se,
                          "contracts": programmes[name].contracts_traded(),
                          "entry_costs": out["entry_costs"],
                          "financing": float(out["financing"].mean()),
                          "financing_se": figures.standard_error(out["financing"]),
                          "initial_margin_mean": float(out["im_mean"].mean())}
        if mv is not None:
            rows["min_variance"].update(mv)
        for name in ("static", "layered"):
            if name in rows:
                rows[name]["hedge_ratio"] = s.hedge_ratio
        return {
            "scenario": s.scenario, "paths": s.paths, "seed": s.seed,
            "parameters": {**s.to_dict(),
                           "contract_size": self.market.contract_size,
                           "initial_margin_rate": self.market.im_rate,
                           "index": self.scenario.index_name,
                           "months_hedged": list(cal.labels),
                           "expected_consumption_lots": self.expected.round(4).tolist(),
                           "initial_futures_curve": self.curve.initial_prices().round(6).tolist()},
            "programmes": {name: rows[name] for name in PROGRAMMES if name in rows},
            "draws": dict(self.draws),
        }


def _join(parts: list[Outcome]) -> dict:
    return {"cost": np.concatenate([p.cost for p in parts]),
            "vm_outflow": np.concatenate([p.vm_outflow for p in parts]),
            "financing": np.concatenate([p.financing for p in parts]),
            "im_mean": np.concatenate([p.im_mean for p in parts]),
            "entry_costs": parts[0].entry_costs}


def run_study(settings: HedgeSettings, progress: Callable[[int], None] | None = None,
              only: tuple[str, ...] | None = None) -> StudyResult:
    """The whole study for `settings`; `progress(n)` is called as each n paths are done."""
    return Study(settings).run(progress, only)


def one_blas_thread():
    """A context in which numpy's BLAS runs on one thread. The study's matrix products are
    small and many: a second BLAS thread spin-waits between them (doubling the study's CPU
    time on two cores), and a sum split across threads may round differently on another
    machine, while same seed, same JSON must hold everywhere."""
    return threadpool_limits(limits=1, user_api="blas")
