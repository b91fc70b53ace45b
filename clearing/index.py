"""The SIT and GPU-hour price indices, computed as a benchmark administrator would.

The Standard Inference Token (SIT) is a normalised unit of inference: one SIT is a blend of
three input tokens to one output token (`input_weight:output_weight` = 3:1) of a reference
model tier. A provider's quote for a tier (USD per million input tokens and per million output
tokens) becomes USD per million SIT in two steps: blend, (3 x input + 1 x output) / 4, then
divide by the tier's SIT factor (how many SIT one token of that tier is worth: 1.0 for the
reference tier, less for smaller models, more for frontier models). The GPU-hour index does
the same with one price per GPU-hour and per GPU type (an H100-hour is the reference).

Every publication (every `interval` of time):
1. takes the quotes of the last `window` (older ones are stale and dropped), the latest quote
   per provider and tier in each of `partitions` equal slices of the window;
2. normalises them to micro-USD per million SIT;
3. rejects outliers: more than `mad_multiple` scaled median absolute deviations from the
   median of the window;
4. takes the volume-weighted median of each slice and averages the slices (as CF Benchmarks'
   BRR does with its partitions);
5. publishes only with at least `min_contributors` distinct providers; otherwise it holds
   the last value (status "held") for at most `max_carry`, then has no value ("stale").

Each publication carries its inputs and a SHA-256 of them and of the methodology, so anyone
can recompute it with `recompute`. Values are integers in micro-USD (`INDEX_SCALE`).
"""

from __future__ import annotations

import hashlib
import json
from bisect import bisect_left, bisect_right
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone

from clearing.reasons import Reason, Rejection
from clearing.types import NS_PER_DAY, NS_PER_SECOND, ProviderQuote

NS_PER_MINUTE = 60 * NS_PER_SECOND
NS_PER_HOUR = 60 * NS_PER_MINUTE
BPS = 10_000


@dataclass(frozen=True)
class IndexMethodology:
    name: str = "SIT"
    input_weight: int = 3  # SIT blend: input tokens ...
    output_weight: int = 1  # ... to output tokens
    # tier -> SIT per token of that tier, in basis points (10,000 = the reference tier)
    tier_factors_bps: dict = field(default_factory=lambda: {
        "small": 2_500, "standard": 10_000, "frontier": 40_000})
    window_ns: int = 60 * NS_PER_MINUTE  # quotes older than this are stale
    partitions: int = 4  # equal time slices of the window (BRR-style)
    mad_multiple: float = 5.0  # outlier: |x - median| > this x 1.4826 x MAD
    min_contributors: int = 3  # distinct providers needed to publish
    max_carry_ns: int = 24 * NS_PER_HOUR  # how long a held value may be carried forward
    interval_ns: int = NS_PER_MINUTE  # publication interval
    fixing_hour_utc: int = 16  # the daily fixing: the last value at or before 16:00 UTC

    def __post_init__(self):
        if not 1 <= self.partitions <= self.window_ns:
            raise ValueError("an index window needs 1 <= partitions <= window_ns")
        if self.interval_ns <= 0 or self.min_contributors < 1 or self.input_weight + self.output_weight <= 0:
            raise ValueError("an index needs interval_ns > 0, min_contributors >= 1 and a positive blend")

    def normalise(self, q: ProviderQuote) -> int:
        """Micro-USD per million SIT (or per reference GPU-hour), rounded half up."""
        factor = self.tier_factors_bps[q.tier]
        w = self.input_weight + self.output_weight
        num = (self.input_weight * q.input_price + self.output_weight * q.output_price) * BPS
        den = w * factor
        return (2 * num + den) // (2 * den)

    def digest(self) -> str:
        return hashlib.sha256(json.dumps(asdict(self), sort_keys=True).encode()).hexdigest()


SIT_METHODOLOGY = IndexMethodology()
GPU_METHODOLOGY = IndexMethodology(
    name="GPU",
    input_weight=1,
    output_weight=0,  # one price per GPU-hour: quotes carry it as input_price
    tier_factors_bps={"A100": 5_000, "H100": 10_000, "H200": 13_000, "B200": 20_000},
)


@dataclass(frozen=True)
class IndexPublication:
    name: str
    ts: int
    value: int | None  # micro-USD per million SIT (per GPU-hour), None without a value
    status: str  # "ok" | "held" | "stale" | "none"
    contributors: int
    quotes_used: int
    quotes_rejected: dict  # reason -> count: "stale", "superseded", "outlier"
    inputs: tuple  # the candidate quotes, as tuples, in canonical order
    inputs_hash: str

    def to_dict(self) -> dict:
        d = asdict(self)
        d["inputs"] = [list(q) for q in self.inputs]
        return d


def _quote_tuple(q: ProviderQuote) -> tuple:
    return (q.index_name, q.provider, q.tier, q.input_price, q.output_price, q.volume, q.ts)


def _weighted_median(pairs: list[tuple[int, int]]) -> int:
    """Lower volume-weighted median of (value, weight); equal weights if all weights are 0."""
    pairs = sorted(pairs)
    if all(w == 0 for _, w in pairs):
        pairs = [(v, 1) for v, _ in pairs]
    total = sum(w for _, w in pairs)
    run = 0
    for v, w in pairs:
        run += w
        if 2 * run >= total:
            return v
    return pairs[-1][0]


def _median(values: list[int]) -> float:
    s = sorted(values)
    n = len(s)
    return s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2


def compute(candidates: list[ProviderQuote], m: IndexMethodology, ts: int):
    """The value from candidate quotes (already windowed and de-duplicated).

    Returns (value or None, contributors, used count, outliers count).
    """
    if not candidates:
        return None, 0, 0, 0
    values = [m.normalise(q) for q in candidates]
    med = _median(values)
    mad = _median([abs(v - med) for v in values])
    if mad == 0:  # most quotes agree exactly: keep those within 1% of the median
        kept = [(q, v) for q, v in zip(candidates, values) if abs(v - med) * 100 <= med]
    else:
        limit = m.mad_multiple * 1.4826 * mad
        kept = [(q, v) for q, v in zip(candidates, values) if abs(v - med) <= limit]
    outliers = len(candidates) - len(kept)
    contributors = len({q.provider for q, _ in kept})
    if contributors < m.min_contributors:
        return None, contributors, len(kept), outliers
    slice_ns = m.window_ns // m.partitions
    start = ts - m.window_ns
    last = m.partitions - 1
    parts: list[list] = [[] for _ in range(m.partitions)]
    for q, v in kept:  # slice p holds (start + p x slice, start + (p + 1) x slice]; the last, all later
        if q.ts > start:
            p = (q.ts - start - 1) // slice_ns
            parts[p if p < last else last].append((v, q.volume))
    medians = [_weighted_median(part) for part in parts if part]
    n = len(medians)
    value = (2 * sum(medians) + n) // (2 * n)
    return value, contributors, len(kept), outliers


def select_candidates(quotes: list[ProviderQuote], m: IndexMethodology, ts: int):
    """Window the quotes and keep the latest per provider and tier in each partition.

    Returns (candidates in canonical order, stale count, superseded count).
    """
    start = ts - m.window_ns
    slice_ns = m.window_ns // m.partitions
    last_part = m.partitions - 1
    latest: dict = {}
    stale = superseded = 0
    for q in quotes:
        qts = q.ts
        if qts <= start or qts > ts:
            stale += qts <= start
            continue
        part = (qts - start - 1) // slice_ns
        key = (part if part < last_part else last_part, q.provider, q.tier)
        have = latest.get(key)
        if have is None:
            latest[key] = q
            continue
        superseded += 1  # one of the two goes: the later one stays (ties: the larger quote)
        if qts > have.ts or (qts == have.ts and _quote_tuple(q) > _quote_tuple(have)):
            latest[key] = q
    candidates = sorted(latest.values(), key=_quote_tuple)
    return candidates, stale, superseded


def inputs_hash(inputs: tuple, m: IndexMethodology, ts: int, methodology_digest: str | None = None) -> str:
    """SHA-256 of a publication's time, methodology and inputs (`methodology_digest`: m.digest(),
    when the caller holds it already)."""
    digest = methodology_digest if methodology_digest is not None else m.digest()
    payload = json.dumps({"ts": ts, "methodology": digest, "inputs": [list(q) for q in inputs]},
                         sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()


def recompute(inputs, m: IndexMethodology, ts: int) -> tuple[int | None, str]:
    """Anyone's check of a publication: its value (before any hold) and its hash, from its
    published inputs and the methodology."""
    quotes = [ProviderQuote(*q) for q in inputs]
    value, *_ = compute(quotes, m, ts)
    return value, inputs_hash(tuple(tuple(q) for q in inputs), m, ts)


class IndexCalculator:
    """Collects provider quotes and publishes the index."""

    def __init__(self, methodology: IndexMethodology = SIT_METHODOLOGY):
        self.methodology = methodology
        self.name = methodology.name
        self._methodology_digest = methodology.digest()  # a methodology is frozen: hash it once
        # (provider, tier) -> (keys, quotes), both sorted by key = (ts, quote as a tuple): a
        # publication picks each slice's latest quote per provider and tier by bisection
        # instead of scanning the window (select_candidates, the reference, does that)
        self._streams: dict[tuple[str, str], tuple[list, list]] = {}
        self.last: IndexPublication | None = None
        self._last_value_ts: int | None = None

    def add_quote(self, q: ProviderQuote) -> None:
        m = self.methodology
        if q.index_name != self.name:
            raise Rejection(Reason.INVALID_QUOTE, f"a {q.index_name} quote sent to the {self.name} index")
        if q.tier not in m.tier_factors_bps:
            raise Rejection(Reason.INVALID_QUOTE, f"unknown tier {q.tier!r}")
        prices = (q.input_price, q.output_price) if m.output_weight else (q.input_price,)
        if any(type(p) is not int or p <= 0 for p in prices):
            raise Rejection(Reason.INVALID_QUOTE, "prices must be positive integers (micro-USD)")
        if type(q.volume) is not int or q.volume < 0 or type(q.ts) is not int:
            raise Rejection(Reason.INVALID_QUOTE, "volume must be a non-negative integer, ts an integer")
        key = (q.ts, _quote_tuple(q))
        stream = self._streams.get((q.provider, q.tier))
        if stream is None:
            stream = self._streams[(q.provider, q.tier)] = ([], [])
        keys, quotes = stream
        if not keys or key >= keys[-1]:  # quotes mostly arrive in time order
            keys.append(key)
            quotes.append(q)
        else:
            i = bisect_right(keys, key)
            keys.insert(i, key)
            quotes.insert(i, q)

    def due(self, ts: int) -> bool:
        """Whether a publication is due at `ts` (one every `interval_ns`)."""
        return self.last is None or ts - self.last.ts >= self.methodology.interval_ns

    def publish(self, ts: int) -> IndexPublication:
        m = self.methodology
        candidates, stale, superseded = self._select(ts)
        value, contributors, used, outliers = compute(candidates, m, ts)
        inputs = tuple(_quote_tuple(q) for q in candidates)
        status = "ok"
        if value is None:
            prev = self.last.value if self.last is not None else None
            if prev is None:
                status = "none"
            elif ts - self._last_value_ts <= m.max_carry_ns:
                status, value = "held", prev
            else:
                status = "stale"
        else:
            self._last_value_ts = ts
        pub = IndexPublication(m.name, ts, value, status, contributors, used,
                               {"stale": stale, "superseded": superseded, "outlier": outliers},
                               inputs, inputs_hash(inputs, m, ts, self._methodology_digest))
        self.last = pub
        return pub


    def _select(self, ts: int) -> tuple[list[ProviderQuote], int, int]:
        """What `select_candidates` returns for the quotes held, found by bisection in each
        provider's and tier's stream (tests/clearing/test_index.py holds the two equal); the
        stale quotes are forgotten first (so none is counted stale)."""
        m = self.methodology
        start = ts - m.window_ns
        slice_ns = m.window_ns // m.partitions
        last = m.partitions - 1
        bounds = [(start + p * slice_ns, start + (p + 1) * slice_ns if p < last else ts)
                  for p in range(m.partitions)]
        candidates = []
        in_window = 0
        for keys, quotes in self._streams.values():
            stale = bisect_left(keys, (start + 1,))  # ts <= start
            if stale:
                del keys[:stale], quotes[:stale]
            in_window += bisect_left(keys, (ts + 1,))
            for lo, hi in bounds:
                i = bisect_left(keys, (hi + 1,))  # the latest at or before hi ...
                if i and keys[i - 1][0] > lo:  # ... if it is inside the slice
                    candidates.append(quotes[i - 1])
        candidates.sort(key=_quote_tuple)
        return candidates, 0, in_window - len(candidates)


class IndexHistory:
    """Publications over time; the daily fixings and the monthly settlement value."""

    def __init__(self, methodology: IndexMethodology = SIT_METHODOLOGY):
        self.methodology = methodology
        self.publications: list[IndexPublication] = []

    def add(self, pub: IndexPublication) -> None:
        if self.publications and pub.ts < self.publications[-1].ts:
            raise ValueError("publications must arrive in time order")
        self.publications.append(pub)

    def latest(self) -> IndexPublication | None:
        return self.publications[-1] if self.publications else None

    def daily_fixings(self) -> dict:
        """date (UTC) -> the last value published at or before the fixing hour that day."""
        fixings: dict = {}
        hour = self.methodology.fixing_hour_utc
        for pub in self.publications:
            if pub.value is None:
                continue
            day_start = pub.ts - pub.ts % NS_PER_DAY
            if pub.ts - day_start <= hour * NS_PER_HOUR:
                fixings[_date(day_start)] = pub.value
        return fixings

    def monthly_settlement_value(self, year: int, month: int) -> int | None:
        """Final settlement of a monthly contract: the average of the month's daily fixings,
        rounded half up (as power futures settle on the delivery-period average)."""
        values = [v for d, v in self.daily_fixings().items() if d.year == year and d.month == month]
        if not values:
            return None
        return (2 * sum(values) + len(values)) // (2 * len(values))


def _date(ts: int):
    return datetime.fromtimestamp(ts // NS_PER_SECOND, timezone.utc).date()
