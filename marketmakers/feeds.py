"""Simulated provider price feeds: the raw quotes the SIT and GPU-hour indices are built from.

Each provider quotes one tier at a persistent premium or discount to the fundamental, with its
own log noise, updates only every `update_interval_ns` (its quote is stale in between), and
now and then sends an outlier. The quotes are `clearing.types.ProviderQuote`s in integer
micro-USD, and go through `clearing.index` exactly as real quotes would.

The assumption shared with clearing/index.py: 1 SIT is a 3:1 input:output blend of a reference
tier, and a tier's blend is worth `tier_factor` SIT per token. So a provider's SIT-equivalent
price P (fundamental x premium x noise, USD per million SIT) becomes a blend B = P x tier_factor,
split into input and output prices with the provider's output/input ratio r such that
(3 x input + 1 x output) / 4 = B, i.e. input = 4B / (3 + r), output = r x input. For the GPU
index the tier factor converts H100-hours to the quoted GPU type, and both price fields carry
the one price per GPU-hour (the GPU methodology weights input 1:0).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from clearing.index import GPU_METHODOLOGY, SIT_METHODOLOGY, IndexMethodology
from clearing.types import INDEX_SCALE, NS_PER_SECOND, ProviderQuote

BPS = 10_000


@dataclass(frozen=True)
class ProviderSpec:
    """One simulated provider (units: basis points, seconds as ns, probabilities)."""

    name: str
    tier: str
    premium_bps: int  # persistent premium (+) / discount (-) to the fundamental
    noise_bps: int  # sd of the per-update log noise
    update_interval_ns: int  # time between updates; the quote is stale in between
    outlier_prob: float  # chance an update is an outlier
    outlier_bps: int  # outlier size as a log distance, random sign
    output_input_ratio: float = 4.0  # output price / input price (SIT only)
    volume: int = 1_000  # weight of the quote in the index

    def __post_init__(self):
        if not self.name or not self.tier:
            raise ValueError("a provider needs a name and a tier")
        if self.noise_bps < 0 or self.outlier_bps < 0:
            raise ValueError(f"{self.name}: noise_bps and outlier_bps must be >= 0")
        if self.update_interval_ns <= 0:
            raise ValueError(f"{self.name}: update_interval_ns must be > 0")
        if not 0.0 <= self.outlier_prob <= 1.0:
            raise ValueError(f"{self.name}: outlier_prob must be in [0, 1]")
        if not self.output_input_ratio > 0:
            raise ValueError(f"{self.name}: output_input_ratio must be > 0")
        if self.volume <= 0:
            raise ValueError(f"{self.name}: volume must be > 0")


def methodology_for(index_name: str) -> IndexMethodology:
    if index_name == "SIT":
        return SIT_METHODOLOGY
    if index_name == "GPU":
        return GPU_METHODOLOGY
    raise ValueError(f"unknown index {index_name!r} (SIT or GPU)")


class ProviderFeed:
    """N providers quoting around a fundamental, driven by one Generator.

    `quotes(ts, fundamental_usd)` returns the quotes of the providers whose update is due at
    ts (a provider's first update is at its first call); the others are stale and send nothing.
    """

    def __init__(self, index_name: str, providers: list[ProviderSpec], rng: np.random.Generator):
        self.methodology = methodology_for(index_name)
        self.index_name = index_name
        if not providers:
            raise ValueError("a feed needs at least one provider")
        if len({p.name for p in providers}) != len(providers):
            raise ValueError("provider names must be unique within a feed")
        for p in providers:
            if p.tier not in self.methodology.tier_factors_bps:
                raise ValueError(f"{p.name}: tier {p.tier!r} is not in the {index_name} methodology")
        self.providers = list(providers)
        self.rng = rng
        self.next_update: dict[str, int | None] = {p.name: None for p in providers}
        self.last: dict[str, ProviderQuote] = {}
        self.outliers = 0

    def quote_for(self, p: ProviderSpec, ts: int, fundamental_usd: float) -> ProviderQuote:
        """A fresh quote from one provider (draws: noise, outlier flag, outlier sign)."""
        log_move = p.premium_bps / BPS + self.rng.normal(0.0, p.noise_bps / BPS)
        if self.rng.random() < p.outlier_prob:
            log_move += (1 if self.rng.random() < 0.5 else -1) * p.outlier_bps / BPS
            self.outliers += 1
        factor = self.methodology.tier_factors_bps[p.tier] / BPS
        blend_micro = fundamental_usd * math.exp(log_move) * factor * INDEX_SCALE
        if self.index_name == "SIT":
            w_in, w_out = self.methodology.input_weight, self.methodology.output_weight
            input_price = blend_micro * (w_in + w_out) / (w_in + w_out * p.output_input_ratio)
            output_price = input_price * p.output_input_ratio
        else:
            input_price = output_price = blend_micro
        return ProviderQuote(index_name=self.index_name, provider=p.name, tier=p.tier,
                             input_price=max(1, round(input_price)),
                             output_price=max(1, round(output_price)),
                             volume=p.volume, ts=ts)

    def quotes(self, ts: int, fundamental_usd: float) -> list[ProviderQuote]:
        if not (fundamental_usd > 0 and math.isfinite(fundamental_usd)):
            raise ValueError(f"fundamental_usd must be positive, got {fundamental_usd!r}")
        out = []
        for p in self.providers:
            due = self.next_update[p.name]
            if due is not None and ts < due:
                continue
            q = self.quote_for(p, ts, fundamental_usd)
            self.last[p.name] = q
            self.next_update[p.name] = ts + p.update_interval_ns
            out.append(q)
        return out


def seconds_to_ns(seconds: float) -> int:
    return round(seconds * NS_PER_SECOND)
