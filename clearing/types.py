"""The types clearing accepts from any venue that clears through it.

`clearing/` does not know that order books exist (see ARCHITECTURE.md): a venue converts its
fills into `ClearedTrade`s and describes each listed contract with `ClearingTerms`.

Units: prices in ticks (int), quantities in lots (int, one lot = one contract), cash in
minor units (int, US cents), time in nanoseconds since the Unix epoch (int). Index values
are integers in `INDEX_SCALE` units (millionths of a USD).
"""

from __future__ import annotations

from dataclasses import dataclass

from clearing.trade import ClearedTrade  # noqa: F401 - made per fill, compiled; its home is clearing.trade

BUY = 1
SELL = -1

CASH_SCALE = 100  # minor units per USD (cents)
INDEX_SCALE = 1_000_000  # index values are integer micro-USD
NS_PER_SECOND = 1_000_000_000


def usd(cents: int) -> str:
    """Cash in cents as the wire writes it, decimal USD ("-1234.50"), for texts people read."""
    sign = "-" if cents < 0 else ""
    whole, frac = divmod(abs(cents), CASH_SCALE)
    return f"{sign}{whole}.{frac:02d}"


NS_PER_DAY = 86_400 * NS_PER_SECOND


@dataclass(frozen=True, slots=True)
class ClearingTerms:
    """What the clearinghouse must know about one listed contract."""

    symbol: str  # e.g. "SITF27"
    product: str  # product code, e.g. "SIT" or "GPU"
    index_name: str  # the index it is marked and settled against, e.g. "SIT"
    tick_size_micro: int  # one tick in INDEX_SCALE units (0.001 USD -> 1_000)
    tick_value: int  # cash (minor units) of a one-tick move on one contract
    year: int  # contract month
    month: int
    last_trade_ts: int  # trading terminates at this time (ns)
    settlement_method: str = "monthly_average"  # see clearing settlement docs

    def ticks_from_index(self, index_value: int) -> int:
        """Nearest tick to an index value (half away from zero, integers only)."""
        q, r = divmod(index_value, self.tick_size_micro)
        return q + (1 if 2 * r >= self.tick_size_micro else 0)


@dataclass(frozen=True, slots=True)
class ProviderQuote:
    """One provider's price for one tier, the raw input of an index.

    For the SIT index (`index_name="SIT"`): list prices in micro-USD per million input tokens
    and per million output tokens for a model `tier`. For the GPU-hour index
    (`index_name="GPU"`): `tier` is the GPU type and both prices are micro-USD per GPU-hour.
    `volume` is the weight (tokens served or GPU-hours rented in the window), `ts` in ns.
    """

    index_name: str
    provider: str
    tier: str
    input_price: int
    output_price: int
    volume: int
    ts: int
