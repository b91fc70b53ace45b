"""Price scenarios as data: marketmakers/scenarios.toml loaded into the model's dataclasses.

A scenario names the index it drives, the starting price, the jump-diffusion parameters and
the provider feed. Loading validates every field and says which scenario and key is wrong.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from marketmakers.feeds import ProviderFeed, ProviderSpec, seconds_to_ns
from marketmakers.fundamental import Fundamental, JumpDiffusionParams

SCENARIO_FILE = Path(__file__).with_name("scenarios.toml")  # shipped as package data
PARAM_KEYS = ("kappa", "sigma", "jump_rate", "jump_mean", "jump_std")
SCENARIO_KEYS = {"description", "index_name", "price_usd", "theta", "feed", *PARAM_KEYS}
PROVIDER_KEYS = {"name", "tier", "premium_bps", "noise_bps", "update_interval_s", "outlier_prob",
                 "outlier_bps", "output_input_ratio", "volume"}


class ScenarioError(ValueError):
    """A scenario file or name that cannot be used, with the scenario and key at fault."""


@dataclass(frozen=True)
class FeedSettings:
    name: str
    index_name: str
    providers: tuple[ProviderSpec, ...]

    def build(self, rng: np.random.Generator) -> ProviderFeed:
        return ProviderFeed(self.index_name, list(self.providers), rng)


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    index_name: str  # "SIT" or "GPU"
    price_usd: float  # starting price, USD per million SIT (per GPU-hour)
    params: JumpDiffusionParams
    feed: FeedSettings

    def fundamental(self, rng: np.random.Generator) -> Fundamental:
        return Fundamental(self.params, self.price_usd, rng)


def _read_default() -> dict:
    return tomllib.loads(SCENARIO_FILE.read_text("utf-8"))


def _number(where: str, key: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ScenarioError(f"{where}: {key} must be a number, got {value!r}")
    return float(value)


def _int(where: str, key: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ScenarioError(f"{where}: {key} must be an integer, got {value!r}")
    return value


def _provider(where: str, raw: dict) -> ProviderSpec:
    unknown = set(raw) - PROVIDER_KEYS
    missing = PROVIDER_KEYS - {"output_input_ratio"} - set(raw)
    if unknown or missing:
        raise ScenarioError(f"{where}: unknown keys {sorted(unknown)}, missing keys {sorted(missing)}")
    try:
        return ProviderSpec(
            name=str(raw["name"]), tier=str(raw["tier"]),
            premium_bps=_int(where, "premium_bps", raw["premium_bps"]),
            noise_bps=_int(where, "noise_bps", raw["noise_bps"]),
            update_interval_ns=seconds_to_ns(_number(where, "update_interval_s", raw["update_interval_s"])),
            outlier_prob=_number(where, "outlier_prob", raw["outlier_prob"]),
            outlier_bps=_int(where, "outlier_bps", raw["outlier_bps"]),
            output_input_ratio=_number(where, "output_input_ratio", raw.get("output_input_ratio", 4.0)),
            volume=_int(where, "volume", raw["volume"]))
    except ValueError as e:
        if isinstance(e, ScenarioError):
            raise
        raise ScenarioError(f"{where}: {e}") from None


def _feed(data: dict, name: str) -> FeedSettings:
    raw = data.get("feeds", {}).get(name)
    if raw is None:
        raise ScenarioError(f"feed {name!r} is not defined under [feeds]")
    index_name = raw.get("index_name")
    providers = tuple(_provider(f"feed {name!r} provider {i}", p)
                      for i, p in enumerate(raw.get("providers", [])))
    try:
        ProviderFeed(index_name, list(providers), np.random.default_rng(0))  # validates tiers
    except ValueError as e:
        raise ScenarioError(f"feed {name!r}: {e}") from None
    return FeedSettings(name=name, index_name=index_name, providers=providers)


def parse_scenario(data: dict, name: str) -> Scenario:
    """Build one scenario from parsed TOML `data`, validating every key."""
    raw = data.get("scenarios", {}).get(name)
    if raw is None:
        raise ScenarioError(f"unknown scenario {name!r}; known: {', '.join(sorted(data.get('scenarios', {})))}")
    where = f"scenario {name!r}"
    unknown, missing = set(raw) - SCENARIO_KEYS, SCENARIO_KEYS - set(raw)
    if unknown or missing:
        raise ScenarioError(f"{where}: unknown keys {sorted(unknown)}, missing keys {sorted(missing)}")
    theta = raw["theta"]
    if not isinstance(theta, list) or not all(isinstance(k, list) and len(k) == 2 for k in theta):
        raise ScenarioError(f"{where}: theta must be a list of [years, price_usd] pairs")
    knots = tuple((_number(where, "theta", t), _number(where, "theta", p)) for t, p in theta)
    try:
        params = JumpDiffusionParams(theta_knots=knots,
                                     **{k: _number(where, k, raw[k]) for k in PARAM_KEYS})
    except ValueError as e:
        if isinstance(e, ScenarioError):
            raise
        raise ScenarioError(f"{where}: {e}") from None
    price = _number(where, "price_usd", raw["price_usd"])
    if price <= 0:
        raise ScenarioError(f"{where}: price_usd must be > 0, got {price}")
    feed = _feed(data, raw["feed"])
    if feed.index_name != raw["index_name"]:
        raise ScenarioError(f"{where}: index {raw['index_name']!r} but feed {feed.name!r} quotes {feed.index_name!r}")
    return Scenario(name=name, description=str(raw["description"]), index_name=raw["index_name"],
                    price_usd=price, params=params, feed=feed)


def list_scenarios() -> list[str]:
    """Names of the scenarios shipped in scenarios.toml, sorted."""
    return sorted(_read_default().get("scenarios", {}))


def load_scenario(name: str) -> Scenario:
    """One shipped scenario by name; ScenarioError names what is wrong."""
    return parse_scenario(_read_default(), name)
