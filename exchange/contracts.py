"""Contract specifications and the listing calendar.

Two products ship: SIT futures (on the Standard Inference Token index, USD per million SIT)
and GPU-hour futures (on a GPU rental index, USD per GPU-hour). Both are cash-settled monthly
contracts with standard futures month codes: `SITF27` is the January 2027 SIT contract.

Prices inside the venue are integer ticks (one tick = `tick_size` USD); `tick_value` is the
cash, in cents, that a one-tick move is worth on one contract.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from decimal import Decimal

from clearing.types import CASH_SCALE, INDEX_SCALE, NS_PER_SECOND, ClearingTerms

MONTH_CODES = "FGHJKMNQUVXZ"
MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

FIFO = "fifo"
PRO_RATA = "pro_rata"


@dataclass(frozen=True, slots=True)
class ProductSpec:
    """Everything that is the same for every expiry of one product."""

    code: str  # symbol root, e.g. "SIT"
    name: str  # e.g. "SIT Futures"
    index_name: str  # the index it is marked and settled against
    underlying: str  # what the index measures
    quote_unit: str  # what one price unit means
    contract_size: int  # units of the underlying per contract
    contract_unit: str  # e.g. "million SIT"
    tick_size: Decimal = Decimal("0.001")  # USD per quote unit
    lot_size: int = 1  # contracts per lot
    min_qty: int = 1  # lots
    max_qty: int = 10_000  # lots per order
    band_bps: int = 500  # dynamic price band: +-5% around the reference price ...
    band_min_ticks: int = 20  # ... but never narrower than this
    daily_limit_bps: int = 1_000  # daily price limit: +-10% of the prior settlement
    limit_widen_bps: int = 1_000  # after a halt the limit widens by this much
    halt_seconds: int = 120  # a limit hit halts trading this long
    listed_months: int = 12  # expiries listed at any time
    last_trade_hour_utc: int = 16  # trading ends at 16:00 UTC on the last business day
    settlement_method: str = "monthly_average"
    allocation: str = FIFO  # or PRO_RATA (with top-order priority)

    @property
    def tick_value(self) -> int:
        """Cents per tick per contract: 0.001 USD x 1,000 units = 1 USD = 100 cents."""
        value = self.tick_size * self.contract_size * CASH_SCALE
        if value != value.to_integral_value():
            raise ValueError(f"{self.code}: tick value {value} cents is not a whole number")
        return int(value)

    @property
    def tick_size_micro(self) -> int:
        return int(self.tick_size * INDEX_SCALE)


SIT = ProductSpec(
    code="SIT",
    name="SIT Futures",
    index_name="SIT",
    underlying="Standard Inference Token index (USD per 1 million SIT)",
    quote_unit="USD per 1 million SIT",
    contract_size=1_000,
    contract_unit="million SIT",
)

GPU = ProductSpec(
    code="GPU",
    name="GPU-Hour Futures",
    index_name="GPU",
    underlying="GPU-hour rental index (USD per GPU-hour)",
    quote_unit="USD per GPU-hour",
    contract_size=1_000,
    contract_unit="GPU-hours",
)



@dataclass(frozen=True, slots=True)
class ContractSpec:
    """One listed expiry of a product."""

    product: ProductSpec
    year: int
    month: int
    symbol: str = field(init=False)
    last_trade_ts: int = field(init=False)  # ns since the epoch, UTC

    def __post_init__(self):
        object.__setattr__(self, "symbol", contract_symbol(self.product.code, self.year, self.month))
        object.__setattr__(self, "last_trade_ts", last_trade_ts(self.product, self.year, self.month))

    @property
    def name(self) -> str:
        return f"{self.product.name} {MONTH_NAMES[self.month - 1]} {self.year}"

    def clearing_terms(self) -> ClearingTerms:
        p = self.product
        return ClearingTerms(
            symbol=self.symbol,
            product=p.code,
            index_name=p.index_name,
            tick_size_micro=p.tick_size_micro,
            tick_value=p.tick_value,
            year=self.year,
            month=self.month,
            last_trade_ts=self.last_trade_ts,
            settlement_method=p.settlement_method,
        )

    def price_to_ticks(self, price: Decimal) -> int:
        """Exact conversion; raises ValueError when the price is not on the tick grid."""
        ticks = price / self.product.tick_size
        if ticks != ticks.to_integral_value():
            raise ValueError(f"{price} is not a multiple of the tick {self.product.tick_size}")
        return int(ticks)

    def ticks_to_price(self, ticks: int) -> Decimal:
        return ticks * self.product.tick_size

    def describe(self) -> dict:
        p = self.product
        return {
            "symbol": self.symbol,
            "product": p.code,
            "name": self.name,
            "underlying": p.underlying,
            "index": p.index_name,
            "quote_unit": p.quote_unit,
            "tick_size": str(p.tick_size),
            "tick_value": str(Decimal(p.tick_value) / CASH_SCALE),
            "contract_size": p.contract_size,
            "contract_unit": p.contract_unit,
            "lot_size": p.lot_size,
            "min_qty": p.min_qty,
            "max_qty": p.max_qty,
            "expiry": datetime.fromtimestamp(self.last_trade_ts / NS_PER_SECOND, timezone.utc).isoformat(),
            "last_trade_ts": self.last_trade_ts,
            "settlement": p.settlement_method,
            "allocation": p.allocation,
        }


def contract_symbol(code: str, year: int, month: int) -> str:
    return f"{code}{MONTH_CODES[month - 1]}{year % 100:02d}"


def parse_symbol(symbol: str) -> tuple[str, int, int]:
    """`SITF27` -> ("SIT", 2027, 1). Years are read as 20xx."""
    if len(symbol) < 4 or symbol[-3] not in MONTH_CODES or not symbol[-2:].isdigit():
        raise ValueError(f"not a futures symbol: {symbol!r}")
    return symbol[:-3], 2000 + int(symbol[-2:]), MONTH_CODES.index(symbol[-3]) + 1


def last_business_day(year: int, month: int) -> int:
    day = calendar.monthrange(year, month)[1]
    while calendar.weekday(year, month, day) >= 5:
        day -= 1
    return day


def last_trade_ts(product: ProductSpec, year: int, month: int) -> int:
    """Trading ends at `last_trade_hour_utc` on the last business day of the contract month.

    The final settlement index averages the daily index over the whole contract month
    (see docs/sit-index.md), so trading runs to the end of the month it settles on.
    """
    day = last_business_day(year, month)
    moment = datetime(year, month, day, product.last_trade_hour_utc, tzinfo=timezone.utc)
    return int(moment.timestamp()) * NS_PER_SECOND


def listing_calendar(product: ProductSpec, now_ts: int) -> list[ContractSpec]:
    """The `listed_months` expiries that are tradable at `now_ts`, nearest first."""
    now = datetime.fromtimestamp(now_ts // NS_PER_SECOND, timezone.utc)
    year, month = now.year, now.month
    out: list[ContractSpec] = []
    while len(out) < product.listed_months:
        spec = ContractSpec(product, year, month)
        if spec.last_trade_ts > now_ts:
            out.append(spec)
        month += 1
        if month == 13:
            year, month = year + 1, 1
    return out


def with_rules(product: ProductSpec, **changes) -> ProductSpec:
    """A product with some trading rules changed (e.g. pro-rata allocation for a study)."""
    return replace(product, **changes)
