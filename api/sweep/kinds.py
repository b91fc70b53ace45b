"""What one cell of a sweep computes: a hedging study (`hedge`) or a market session (`session`).

Each kind is one small class behind the `CellKind` protocol. `prepare(settings, seed)` checks a
cell's settings on the machine that reads the grid (before anything runs; errors name the key)
and returns the cell's settings in their own types plus a picklable task; `run(task)` is a
module-level function that a Dask worker imports and calls. A cell's random numbers come from
its `seed` and its settings alone, so a cell gives the same row on any worker, in any order.
"""

from __future__ import annotations

import functools
import gc
import math
from datetime import datetime
from pathlib import Path
from typing import Protocol

import numpy as np

from marketmakers.agents.config import KINDS as AGENT_KINDS
from marketmakers.agents.config import AgentsConfigError, default_agents, load_agents
from marketmakers.hedging import PROGRAMMES, SettingsError, run_study, settings_for
from marketmakers.hedging.report import FIGURE_COLUMNS
from marketmakers.hedging.settings import SETTABLE
from marketmakers.session import Session, SessionConfig
from marketmakers.session_figures import FIGURES as SESSION_FIGURES
from marketmakers.session_figures import session_figures
from marketmakers.simulate import sit_scenarios


class CellError(ValueError):
    """A cell's settings that cannot run: the message names the key and the reason."""


class CellKind(Protocol):
    name: str
    keys: tuple[str, ...]  # the settings a grid may give ([base] and [grid])
    figures: tuple[str, ...]  # the numeric figures a grid may ask to summarise and plot
    default_figures: tuple[str, ...]  # summarised and plotted when the grid names none

    def prepare(self, settings: dict, seed: int) -> tuple[dict, object]:
        """(the settings in their own types, the task `run` takes); raises CellError."""

    def run(self, task) -> dict:
        """The cell's figures: name -> int, float, str or None."""

    def figure_type(self, name: str) -> type:
        """The type of a figure's column (for a figure that is None in the first row)."""


# ---------------------------------------------------------------- hedge

def run_hedge(settings) -> dict:
    """What `sitex hedge --json` prints for these settings, as `{programme}.{figure}`."""
    summary = run_study(settings).summary
    return {f"{programme}.{figure}": _plain(value)
            for programme, row in summary["programmes"].items() for figure, value in row.items()}


class HedgeCells:
    """A cell is one hedging study (marketmakers/hedging): the settings of `sitex hedge --set`
    and `scenario`; the figures are every programme's figures of `sitex hedge --json`."""

    name = "hedge"
    keys = ("scenario", *SETTABLE)
    figures = tuple(f"{p}.{f}" for p in PROGRAMMES for f in FIGURE_COLUMNS)
    default_figures = ("static.std_reduction", "static.variance_reduction",
                       "min_variance.std_reduction", "layered.std_reduction",
                       "static.mean_cost_change")

    def prepare(self, settings: dict, seed: int):
        overrides = {k: v for k, v in settings.items() if k != "scenario"}
        scenario = settings.get("scenario", "demand-explosion")
        if not isinstance(scenario, str):
            raise CellError(f"scenario must be a scenario's name, got {scenario!r}")
        try:
            checked = settings_for(scenario, overrides, seed=seed)
        except SettingsError as e:
            raise CellError(str(e)) from None
        return {key: getattr(checked, key) for key in settings}, checked

    run = staticmethod(run_hedge)

    def figure_type(self, name: str) -> type:
        return float


# ---------------------------------------------------------------- session

def run_session(config: SessionConfig) -> dict:
    """What `sitex simulate` computes for this configuration, as one flat row (its digest
    included; the event log itself is not written). A finished session is cyclic garbage (its
    timers refer back to it) that the collector may not look at for several cells: a worker
    running 3-hour sessions one after another grew from 280 to 840 MB over 12 of them; collected
    at once, it stays at 175-180 MB."""
    figures = session_figures(Session(config).run())
    gc.collect()
    return figures


COUNT_SUFFIX = "_count"


class SessionCells:
    """A cell is one market session (marketmakers/session.py): `scenario`, `hours`, `agents`
    (a file like marketmakers/agents/agents.toml, relative to the grid file), `start`, and the
    number of agents of each kind as `<kind>_count` (market_maker_count, hedger_count ...:
    a kind split over several groups keeps their proportions)."""

    name = "session"
    keys = ("scenario", "hours", "agents", "start", *(f"{k}{COUNT_SUFFIX}" for k in AGENT_KINDS))
    figures = tuple(n for n, (kind, _) in SESSION_FIGURES.items() if kind is not str)
    default_figures = ("mean_spread_ticks", "mean_depth_lots", "realised_vol",
                       "maker_pnl_usd_mean", "obligations_met_share")

    def __init__(self, base_dir: Path = Path(".")):
        self.base_dir = base_dir  # where a relative `agents` path is read from

    def prepare(self, settings: dict, seed: int):
        unknown = sorted(set(settings) - set(self.keys))
        if unknown:
            raise CellError(f"unknown setting {unknown[0]!r} for session cells; known: {', '.join(self.keys)}")
        out = {}
        scenario = settings.get("scenario", SessionConfig.scenario)
        if scenario not in _sit_scenarios():
            raise CellError(f"scenario must be one of {', '.join(_sit_scenarios())}, got {scenario!r}")
        out["scenario"] = scenario
        hours = settings.get("hours", SessionConfig.hours)
        if isinstance(hours, bool) or not isinstance(hours, (int, float)) or not math.isfinite(hours) \
                or hours <= 0:
            raise CellError(f"hours must be a number of simulated hours > 0, got {hours!r}")
        out["hours"] = float(hours)
        start = settings.get("start", SessionConfig.start)
        try:
            datetime.fromisoformat(start)
        except (TypeError, ValueError):
            raise CellError(f"start must be an ISO 8601 time such as {SessionConfig.start}, "
                            f"got {start!r}") from None
        out["start"] = start
        agents_file = settings.get("agents")
        if agents_file is not None and not isinstance(agents_file, str):
            raise CellError(f"agents must be the path of an agents file, got {agents_file!r}")
        agents = self._agents(agents_file)
        out["agents"] = agents_file
        counts = {}
        for key in self.keys:
            if key.endswith(COUNT_SUFFIX) and key in settings:
                value = settings[key]
                if type(value) is not int or value < 0:
                    raise CellError(f"{key} must be an integer >= 0, got {value!r}")
                counts[key.removesuffix(COUNT_SUFFIX)] = out[key] = value
        try:
            agents = agents.with_counts(counts)
        except AgentsConfigError as e:
            raise CellError(f"{', '.join(k + COUNT_SUFFIX for k in counts)}: {e}") from None
        config = SessionConfig(scenario=scenario, seed=seed, hours=out["hours"], start=start,
                               agents=agents)
        return {key: out[key] for key in settings}, config

    run = staticmethod(run_session)

    def figure_type(self, name: str) -> type:
        return SESSION_FIGURES[name][0]

    def _agents(self, path: str | None):
        if path is None:
            return _default_agents()
        try:
            return _load_agents(self.base_dir / path)
        except AgentsConfigError as e:
            raise CellError(f"agents: {e}") from None


@functools.lru_cache(maxsize=1)
def _sit_scenarios() -> tuple[str, ...]:
    return tuple(sit_scenarios())


@functools.lru_cache(maxsize=1)
def _default_agents():
    return default_agents()


@functools.lru_cache(maxsize=16)
def _load_agents(path: Path):
    return load_agents(path)


def kind_named(name, base_dir: Path = Path(".")) -> CellKind:
    """The cell kind of a grid's `kind`; raises CellError naming the kinds."""
    if name == "hedge":
        return HedgeCells()
    if name == "session":
        return SessionCells(base_dir)
    raise CellError(f"kind must be \"hedge\" or \"session\", got {name!r}")


def _plain(value):
    """numpy scalars as Python numbers; NaN and infinities as None (a figure not measured)."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
