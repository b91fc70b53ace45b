"""The hedging study's settings: one frozen dataclass, its defaults from defaults.toml.

Every setting a user may change has a default with its source in defaults.toml (and
docs/hedging.md). `settings_for(scenario, overrides)` merges the study defaults, the scenario's
own defaults and the user's overrides, and validates each value: a wrong key or value raises
SettingsError naming it, before anything runs.
"""

from __future__ import annotations

import math
import re
import tomllib
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from marketmakers.scenarios import ScenarioError, list_scenarios

DEFAULTS_FILE = Path(__file__).with_name("defaults.toml")  # shipped as package data


class SettingsError(ValueError):
    """A setting that cannot be used: the message names the key and the reason."""


@dataclass(frozen=True)
class HedgeSettings:
    scenario: str
    seed: int
    months: int
    start_month: str  # "YYYY-MM"
    paths: int
    in_sample_paths: int
    consumption_lots: float  # expected consumption in the first month, contracts
    consumption_growth: float  # per month
    volume_noise: float
    volume_persistence: float
    price_volume_corr: float
    basis_vol: float
    basis_half_life_days: float
    hedge_ratio: float
    layers: int
    fee: float  # USD per contract
    half_spread: float  # USD per quote unit (per million SIT, per GPU-hour)
    funding_rate: float  # per year
    market_paths: int  # --through-market
    market_window_s: float
    market_noise_traders: int

    def to_dict(self) -> dict:
        return asdict(self)


# key -> (kind, check, the rule in words)
_RULES = {
    "seed": (int, lambda v: v >= 0, "an integer >= 0"),
    "months": (int, lambda v: 1 <= v <= 60, "an integer from 1 to 60"),
    "start_month": (str, lambda v: re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", v) is not None,
                    "a month as YYYY-MM"),
    "paths": (int, lambda v: v >= 2, "an integer >= 2"),
    "in_sample_paths": (int, lambda v: v >= 2, "an integer >= 2"),
    "consumption_lots": (float, lambda v: v > 0, "a number > 0 (contracts)"),
    "consumption_growth": (float, lambda v: -0.5 < v < 2.0, "a monthly growth rate in (-0.5, 2)"),
    "volume_noise": (float, lambda v: 0 <= v <= 2, "a standard deviation in [0, 2]"),
    "volume_persistence": (float, lambda v: 0 <= v <= 1, "a number in [0, 1]"),
    "price_volume_corr": (float, lambda v: -1 <= v <= 1, "a correlation in [-1, 1]"),
    "basis_vol": (float, lambda v: 0 <= v <= 2, "a standard deviation in [0, 2]"),
    "basis_half_life_days": (float, lambda v: v > 0, "a number of days > 0"),
    "hedge_ratio": (float, lambda v: 0 <= v <= 5, "a ratio in [0, 5]"),
    "layers": (int, lambda v: 1 <= v <= 60, "an integer from 1 to 60"),
    "fee": (float, lambda v: v >= 0, "USD per contract >= 0"),
    "half_spread": (float, lambda v: v >= 0, "USD per quote unit >= 0"),
    "funding_rate": (float, lambda v: -0.1 <= v <= 1, "an annual rate in [-0.1, 1]"),
    "market_paths": (int, lambda v: 2 <= v <= 10_000, "an integer from 2 to 10,000"),
    "market_window_s": (float, lambda v: 10 <= v <= 86_000, "seconds from 10 to 86,000"),
    "market_noise_traders": (int, lambda v: 0 <= v <= 50, "an integer from 0 to 50"),
}
SETTABLE = tuple(sorted(_RULES))


def _coerce(key: str, value):
    """`value` (a TOML value or the text of --set) as the setting's type, checked."""
    if key not in _RULES:
        raise SettingsError(f"unknown setting {key!r}; known: {', '.join(SETTABLE)}")
    kind, ok, rule = _RULES[key]
    if isinstance(value, str) and kind is not str:
        text = value.strip()
        try:
            value = int(text) if kind is int else float(text)
        except ValueError:
            raise SettingsError(f"{key} must be {rule}, got {text!r}") from None
    if isinstance(value, bool) or (kind is int and not isinstance(value, int)) \
            or (kind is float and not isinstance(value, (int, float))) \
            or (kind is str and not isinstance(value, str)):
        raise SettingsError(f"{key} must be {rule}, got {value!r}")
    if kind is float:
        value = float(value)
        if not math.isfinite(value):
            raise SettingsError(f"{key} must be {rule}, got {value!r}")
    if not ok(value):
        raise SettingsError(f"{key} must be {rule}, got {value!r}")
    return value


def parse_assignments(items: list[str]) -> dict:
    """`--set KEY=VALUE` texts into a dict, each checked."""
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise SettingsError(f"--set takes KEY=VALUE, got {item!r}")
        out[key] = _coerce(key, value)
    return out


def _defaults(scenario: str) -> dict:
    data = tomllib.loads(DEFAULTS_FILE.read_text("utf-8"))
    merged = dict(data["study"])
    merged.update(data.get("scenarios", {}).get(scenario, {}))
    return merged


def settings_for(scenario: str = "demand-explosion", overrides: dict | None = None,
                 seed: int = 1) -> HedgeSettings:
    """The defaults of `scenario` with `overrides` (key -> value) applied, validated."""
    if scenario not in list_scenarios():
        raise SettingsError(f"unknown scenario {scenario!r}; shipped: {', '.join(list_scenarios())}")
    values = {"seed": seed, **_defaults(scenario), **(overrides or {})}
    checked = {key: _coerce(key, value) for key, value in values.items()}
    missing = {f.name for f in fields(HedgeSettings)} - {"scenario"} - set(checked)
    if missing:
        raise SettingsError(f"defaults.toml lacks {sorted(missing)}")
    try:
        return HedgeSettings(scenario=scenario, **checked)
    except ScenarioError as e:
        raise SettingsError(str(e)) from None
