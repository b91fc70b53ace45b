"""Which agents a session runs: groups of one kind with their parameters, read from TOML
(agents.toml here is the default) and validated with errors that name the group and key."""

from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass
from pathlib import Path

from marketmakers.agents.arbitrageur import Arbitrageur, ArbitrageurParams
from marketmakers.agents.hedger import Hedger, HedgerParams
from marketmakers.agents.market_maker import MarketMaker, MarketMakerParams
from marketmakers.agents.mean_reversion import MeanReversion, MeanReversionParams
from marketmakers.agents.momentum import Momentum, MomentumParams
from marketmakers.agents.noise import Noise, NoiseParams
from marketmakers.obligations import Obligation
from marketmakers.rng import stream

DEFAULT_FILE = Path(__file__).with_name("agents.toml")
KINDS = {
    "market_maker": (MarketMaker, MarketMakerParams),
    "hedger": (Hedger, HedgerParams),
    "momentum": (Momentum, MomentumParams),
    "mean_reversion": (MeanReversion, MeanReversionParams),
    "arbitrageur": (Arbitrageur, ArbitrageurParams),
    "noise": (Noise, NoiseParams),
}


class AgentsConfigError(ValueError):
    """An agents file that cannot be used, naming the group and key at fault."""


@dataclass(frozen=True)
class Group:
    kind: str
    count: int
    params: object  # the kind's Params dataclass


@dataclass(frozen=True)
class AgentsConfig:
    groups: tuple[Group, ...]
    obligation: Obligation = dataclasses.field(default_factory=Obligation)

    def obligation_symbol(self, listed: list[tuple[str, int]]) -> str | None:
        """The report's primary contract: the front month the first makers quote."""
        makers = [g for g in self.groups if g.kind == "market_maker"]
        expiry = makers[0].params.expiry if makers else 1
        return listed[expiry - 1][0] if 0 < expiry <= len(listed) else None

    def count(self, kind: str) -> int:
        """How many agents of `kind` the population holds, over all its groups."""
        return sum(g.count for g in self.groups if g.kind == kind)

    def with_counts(self, counts: dict[str, int]) -> AgentsConfig:
        """The same population with `counts[kind]` agents of each kind named (a sweep sets the
        number of market makers this way). A kind split over several groups keeps their
        proportions: the new total is shared in proportion to the groups' counts, the
        remainders to the largest fractions (the earlier group on a tie); groups that were
        all empty give everything to the first. Raises AgentsConfigError naming the kind."""
        groups = list(self.groups)
        for kind, total in counts.items():
            if kind not in KINDS:
                raise AgentsConfigError(f"unknown agent kind {kind!r}; known: {', '.join(KINDS)}")
            if type(total) is not int or total < 0:
                raise AgentsConfigError(f"the count of {kind} must be an integer >= 0, got {total!r}")
            where = [i for i, g in enumerate(groups) if g.kind == kind]
            if not where:
                raise AgentsConfigError(f"the population has no group of kind {kind!r} to size")
            for i, n in zip(where, _shares(total, [groups[i].count for i in where])):
                groups[i] = dataclasses.replace(groups[i], count=n)
        return dataclasses.replace(self, groups=tuple(groups))


def _shares(total: int, weights: list[int]) -> list[int]:
    """`total` split in proportion to `weights` by largest remainder, in integers."""
    whole = sum(weights)
    if whole == 0:
        return [total] + [0] * (len(weights) - 1)
    out = [total * w // whole for w in weights]
    by_remainder = sorted(range(len(weights)), key=lambda i: (-(total * weights[i] % whole), i))
    for i in by_remainder[:total - sum(out)]:
        out[i] += 1
    return out


def parse_agents(data: dict, where: str = "agents") -> AgentsConfig:
    unknown = set(data) - {"group", "obligation"}
    if unknown:
        raise AgentsConfigError(f"{where}: unknown top-level keys {sorted(unknown)}")
    try:
        obligation = Obligation(**data.get("obligation", {}))
    except (TypeError, ValueError) as e:
        raise AgentsConfigError(f"{where} [obligation]: {e}") from None
    groups = []
    for i, raw in enumerate(data.get("group", [])):
        at = f"{where} group {i} ({raw.get('kind', '?')})"
        kind = raw.get("kind")
        if kind not in KINDS:
            raise AgentsConfigError(f"{at}: kind must be one of {', '.join(KINDS)}")
        count = raw.get("count", 1)
        if type(count) is not int or count < 0:
            raise AgentsConfigError(f"{at}: count must be an integer >= 0")
        params_cls = KINDS[kind][1]
        names = {f.name for f in dataclasses.fields(params_cls)}
        given = {k: v for k, v in raw.items() if k not in ("kind", "count")}
        bad = sorted(set(given) - names)
        if bad:
            raise AgentsConfigError(f"{at}: unknown keys {bad}; known: {', '.join(sorted(names))}")
        try:
            params = params_cls(**given)
        except (TypeError, ValueError) as e:
            raise AgentsConfigError(f"{at}: {e}") from None
        groups.append(Group(kind, count, params))
    if not groups:
        raise AgentsConfigError(f"{where}: no [[group]] of agents")
    return AgentsConfig(tuple(groups), obligation)


def load_agents(path: Path | str) -> AgentsConfig:
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise AgentsConfigError(f"{path}: {e}") from None
    return parse_agents(data, str(path))


def default_agents() -> AgentsConfig:
    return load_agents(DEFAULT_FILE)


def build_agents(config: AgentsConfig, seed: int) -> list:
    """The agents, named <kind>-<n> (numbered per kind), each with its own random stream."""
    agents = []
    numbers: dict[str, int] = {}
    for group in config.groups:
        cls = KINDS[group.kind][0]
        for _ in range(group.count):
            n = numbers[group.kind] = numbers.get(group.kind, 0) + 1
            name = f"{group.kind.replace('_', '-')}-{n}"
            rng = stream(seed, f"agent.{name}")
            if cls is MarketMaker:
                agents.append(cls(name, group.params, rng, config.obligation))
            else:
                agents.append(cls(name, group.params, rng))
    return agents
