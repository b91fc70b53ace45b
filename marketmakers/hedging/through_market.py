"""`sitex hedge --through-market`: the programmes on the venue, on the study's own paths.

For each of the first `market_paths` paths of the study and each hedged programme, a year of
the venue runs in daily windows (market_runner.py): registered makers quote every contract
month around its fair value, noise traders trade, and a hedger agent buys the programme's
tranches through the book with marketable limit orders. The enterprise's bill is the study's
bill on that path; the hedge is what the clearinghouse's ledger says happened to the hedger's
cash (variation margin on its real fills, the fees it paid, final settlement), and the
financing is on the initial margin the clearinghouse called and the variation margin paid.
The same figures from the Monte Carlo on the same paths, frictionless and with the modelled
frictions, sit beside them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from exchange.contracts import contract_symbol
from marketmakers.agents.base import NS, Agent, AgentParams
from marketmakers.agents.market_maker import MarketMaker, MarketMakerParams
from marketmakers.agents.noise import Noise, NoiseParams
from marketmakers.hedging import figures
from marketmakers.hedging.evaluate import BlockEvaluator, PreparedProgrammes
from marketmakers.hedging.market_runner import CompressedMarket, Compression
from marketmakers.hedging.settings import HedgeSettings
from marketmakers.hedging.study import Study, one_blas_thread
from marketmakers.obligations import Obligation
from marketmakers.rng import stream

HEDGED = ("static", "min_variance", "layered")
FIGURES = ("std_reduction", "variance_reduction", "cvar95_reduction", "mean_cost_change")


@dataclass(frozen=True)
class ProgrammeHedgerParams(AgentParams):
    wake_s: float = 1.0
    clip: int = 10  # lots per order
    slippage_ticks: int = 3  # how far through the touch it pays


class ProgrammeHedger(Agent):
    """Buys a programme's tranches: on each day its target in each contract month is the lots
    the programme holds by then; it works toward the first month short of target with one
    marketable IOC limit order at a time (Agent.trade_toward). It records its fills."""

    kind = "programme_hedger"

    def __init__(self, name: str, params: ProgrammeHedgerParams, rng, targets, symbols, market):
        super().__init__(name, params, rng)
        self.p = params
        self.targets = targets  # (days + 1, months) lots held by each day
        self.symbols = symbols
        self.market = market  # the compressed market: which day it is, what is tradable
        self.fills: list[tuple[int, int, int, int]] = []  # (day, month, price ticks, qty)
        self.bought = np.zeros(len(symbols))

    def _next_wake(self) -> int:
        return round(self.p.wake_s * NS)

    def wake(self, session) -> None:
        if not self.out:
            self.act(session)
            session.wake_in(self, self._next_wake())

    def act(self, session) -> None:
        if self.in_flight:
            return
        day = self.market.day
        for m, symbol in enumerate(self.symbols):
            want = int(self.targets[day, m])
            if want > self.bought[m] and symbol in self.market.tradable:
                self.symbol = symbol
                self.trade_toward(session, want - int(self.bought[m]) + self.position(symbol),
                                  self.p.clip, self.p.slippage_ticks)
                return

    def on_fill(self, fill) -> None:
        if fill.taker_account == self.account or fill.maker_account == self.account:
            m = self.symbols.index(fill.symbol)
            side = fill.aggressor if fill.taker_account == self.account else -fill.aggressor
            self.bought[m] += side * fill.qty
            self.fills.append((self.market.day, m, fill.price, side * fill.qty))


def _market_agents(s: HedgeSettings, path: int, symbols: list[str]) -> list:
    """(agent, symbol, month): a registered maker and the noise traders of each month, each
    with its own stream (the same on every programme's run of a path: the programmes meet the
    same market)."""
    agents = []
    obligation = Obligation()
    for m, symbol in enumerate(symbols):
        maker = MarketMaker(f"maker-{m + 1}", MarketMakerParams(levels=2),
                            stream(s.seed, f"hedge.market.{path}.maker-{m + 1}"), obligation)
        agents.append((maker, symbol, m))
        for i in range(s.market_noise_traders):
            name = f"noise-{m + 1}-{i + 1}"
            agents.append((Noise(name, NoiseParams(), stream(s.seed, f"hedge.market.{path}.{name}")),
                           symbol, m))
    return agents


def run_one(study: Study, evaluator: BlockEvaluator, path: int, programme,
            compression: Compression) -> dict:
    """One programme on one path through the market: the hedger's cash flows, per path."""
    s, cal, curve = study.s, study.cal, study.curve
    x = evaluator.block.x[:, path]
    fair = curve.futures_path(x)
    fixings = np.exp(x)
    targets = programme.positions(cal)
    months = [(int(label[:4]), int(label[5:])) for label in cal.labels]
    symbols = [contract_symbol(study.product.code, y, m) for y, m in months]
    agents = _market_agents(s, path, symbols)
    hedger = ProgrammeHedger("hedger", ProgrammeHedgerParams(),
                             stream(s.seed, f"hedge.market.{path}.hedger"), targets, symbols, None)
    agents.append((hedger, None, None))
    size = study.market.contract_size
    notional = float((targets[-1] * fair[0]).sum()) * size
    deposits = {a.account: round(a.params.cash_usd * 100) for a, _, _ in agents if a is not hedger}
    deposit = max(100_000_00, round(2 * notional * 100))  # ample: the hedge is never called
    deposits["hedger"] = deposit
    start_fix_ts = int(np.datetime64(f"{cal.labels[0]}-01T16:00", "ns").astype(np.int64)) - 86_400 * NS
    market = CompressedMarket(study.product, months, start_fix_ts, fixings, fair,
                              curve.params.sigma, agents, deposits,
                              {t.day for t in programme.tranches}, compression)
    hedger.market = market
    cash = np.empty(cal.days + 1)
    im = np.empty(cal.days + 1)

    def on_close(day, mk):
        rec = mk.account("hedger")
        cash[day], im[day] = rec.cash, rec.initial_margin

    market.run(on_close)
    flows = (cash - deposit) / 100.0  # cumulative: variation margin, fees, final settlement
    tied = im[:-1] / 100.0 - flows[:-1]
    financing = s.funding_rate / 365.0 * tied.sum()
    execution = sum(q * (price / 1_000 - fair[day, m]) for day, m, price, q in hedger.fills) * size
    short = targets[-1] - hedger.bought
    return {"hedge_cash": float(flows[-1]), "financing": financing,
            "vm_outflow": float(max(0.0, -flows.min())), "im_mean": float(im[:-1].mean() / 100),
            "execution_cost": float(execution), "lots_short": float(np.maximum(short, 0).sum()),
            "contracts": float(sum(abs(q) for _, _, _, q in hedger.fills)),
            "commands": market.commands, "events": market.events}


def run_through_market(s: HedgeSettings, progress: Callable[[int], None] | None = None) -> dict:
    """Every hedged programme on the first `market_paths` paths; `progress(1)` after each
    programme's run of a path."""
    with one_blas_thread():
        return _run_through_market(s, progress)


def _run_through_market(s: HedgeSettings, progress: Callable[[int], None] | None) -> dict:
    study = Study(s)
    n = s.market_paths
    mv = study.min_variance_ratio()
    programmes = {k: v for k, v in study.programmes(mv["hedge_ratio"]).items() if k in HEDGED}
    ev = study.evaluator("paths", 0, n)
    bill = ev.bill.copy()
    prepared = PreparedProgrammes(programmes, study.curve)
    modelled = ev.evaluate(prepared)
    frictionless = BlockEvaluator(ev.block, study.curve, replace(
        study.market, fee=0.0, half_spread=0.0, funding_rate=0.0)).evaluate(prepared)
    compression = Compression(window_s=s.market_window_s)
    runs = {name: [] for name in programmes}
    for path in range(n):
        for name, programme in programmes.items():
            runs[name].append(run_one(study, ev, path, programme, compression))
            if progress:
                progress(1)
    out = {"paths": n, "window_s": s.market_window_s, "quiet_window_s": compression.quiet_window_s,
           "noise_traders_per_month": s.market_noise_traders, "hedge_ratio_min_variance": mv["hedge_ratio"],
           "programmes": {}}
    for name, rows in runs.items():
        hedge = np.array([r["hedge_cash"] for r in rows])
        financing = np.array([r["financing"] for r in rows])
        market_cost = bill - hedge + financing
        entry = {
            "market": {**figures.reductions(market_cost, bill),
                       "vm_outflow_p99": float(np.quantile([r["vm_outflow"] for r in rows], 0.99)),
                       "initial_margin_mean": float(np.mean([r["im_mean"] for r in rows])),
                       "financing": float(financing.mean()),
                       "execution_cost_mean": float(np.mean([r["execution_cost"] for r in rows])),
                       "contracts": float(np.mean([r["contracts"] for r in rows])),
                       "lots_short": float(np.mean([r["lots_short"] for r in rows])),
                       "commands": int(sum(r["commands"] for r in rows))},
            "monte_carlo": {**figures.reductions(modelled[name].cost, bill),
                            "vm_outflow_p99": float(np.quantile(modelled[name].vm_outflow, 0.99)),
                            "financing": float(modelled[name].financing.mean())},
            "monte_carlo_frictionless": figures.reductions(frictionless[name].cost, bill),
        }
        diff = market_cost - modelled[name].cost
        entry["market_minus_monte_carlo"] = {"mean": float(diff.mean()),
                                             "se": figures.standard_error(diff)}
        out["programmes"][name] = entry
    return out


def format_market(m: dict) -> str:
    lines = [f"through the market: {m['paths']} paths x {len(m['programmes'])} programmes, "
             f"a {m['window_s']:g} s window before the fixing on trading days "
             f"({m['quiet_window_s']:g} s on the others), {m['noise_traders_per_month']} noise "
             f"traders and a maker per month",
             f"{'programme':<13}{'source':<24}{'std red.':>15}{'var red.':>15}{'mean change USD':>22}"]
    for name, e in m["programmes"].items():
        for source, label in (("monte_carlo_frictionless", "Monte Carlo, frictionless"),
                              ("monte_carlo", "Monte Carlo, modelled"), ("market", "the market")):
            r = e[source]
            lines.append(f"{name:<13}{label:<24}{100 * r['std_reduction']:>8.1f}% ±{100 * r['std_reduction_se']:4.1f}"
                         f"{100 * r['variance_reduction']:>8.1f}% ±{100 * r['variance_reduction_se']:4.1f}"
                         f"{r['mean_cost_change']:>+14,.0f} ±{r['mean_cost_change_se']:>6,.0f}")
        mk = e["market"]
        lines.append(f"{'':<13}market: {mk['contracts']:.0f} contracts bought, execution "
                     f"{mk['execution_cost_mean']:+,.0f} USD vs fair value, financing "
                     f"{mk['financing']:,.0f} USD (modelled {e['monte_carlo']['financing']:,.0f}), "
                     f"{mk['lots_short']:.1f} lots short; market - modelled cost "
                     f"{e['market_minus_monte_carlo']['mean']:+,.0f} ± {e['market_minus_monte_carlo']['se']:,.0f} USD")
    return "\n".join(lines)
