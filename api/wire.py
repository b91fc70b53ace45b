"""The wire format: pydantic models and exact conversions between decimal strings and integers.

Prices and cash travel as decimal strings in USD ("2.125", "100000.00"); inside they are integer
ticks and integer cents. Conversions go through `Decimal` and refuse anything that is not
exactly on the grid (no rounding, no float anywhere), with the venue's own reason codes.
"""

from __future__ import annotations

import functools
import re
from decimal import Decimal, InvalidOperation
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StringConstraints,
    WithJsonSchema,
)

from clearing.reasons import Reason, Rejection
from clearing.types import CASH_SCALE, INDEX_SCALE

DECIMAL_PATTERN = r"^-?[0-9]{1,15}(\.[0-9]{1,12})?$"
_DECIMAL_RE = re.compile(DECIMAL_PATTERN)

DecimalStr = Annotated[str, StringConstraints(pattern=DECIMAL_PATTERN)]
Symbol = Annotated[str, StringConstraints(min_length=1, max_length=32)]
ClientOrderId = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[\x21-\x7e]+$")]
Qty = Annotated[StrictInt, Field(ge=1, le=10**9)]
Nanos = Annotated[StrictInt, Field(ge=0, le=2**63 - 1)]


def parse_decimal(text: str, reason: Reason = Reason.INVALID_PRICE) -> Decimal:
    if not isinstance(text, str) or not _DECIMAL_RE.match(text):
        raise Rejection(reason, f"{text!r} is not a decimal string such as \"2.125\"")
    try:
        return Decimal(text)
    except InvalidOperation:  # pragma: no cover - the pattern already excludes this
        raise Rejection(reason, f"{text!r} is not a decimal number") from None


def price_to_ticks(text: str, tick_size: Decimal) -> int:
    """'2.125' with tick 0.001 -> 2125; off-tick or non-positive prices are refused.
    Orders come at a few hundred distinct prices near the touch: a price already converted
    is a cache hit instead of a regex and three Decimal operations (lru_cache keeps only what
    returned, so every refusal is decided afresh)."""
    if not isinstance(text, str):
        return _price_to_ticks(text, tick_size)  # refused there (and perhaps not hashable)
    return _cached_ticks(text, tick_size)


def _price_to_ticks(text: str, tick_size: Decimal) -> int:
    value = parse_decimal(text)
    if value <= 0:
        raise Rejection(Reason.INVALID_PRICE, f"the price {text} must be positive")
    ticks = value / tick_size
    if ticks != ticks.to_integral_value():
        raise Rejection(Reason.PRICE_NOT_ON_TICK, f"{text} is not a multiple of the tick {tick_size}")
    return int(ticks)


_cached_ticks = functools.lru_cache(maxsize=1 << 16)(_price_to_ticks)


def ticks_to_price(ticks: int | None, tick_size: Decimal) -> str | None:
    if ticks is None:
        return None
    return str(ticks * tick_size)


def amount_to_cents(text: str) -> int:
    """'100000.00' -> 10000000 cents; fractions of a cent and non-positive amounts are refused."""
    value = parse_decimal(text, Reason.INVALID_AMOUNT)
    cents = value * CASH_SCALE
    if cents != cents.to_integral_value():
        raise Rejection(Reason.INVALID_AMOUNT, f"{text} is not a whole number of cents")
    if cents <= 0:
        raise Rejection(Reason.INVALID_AMOUNT, f"the amount {text} must be positive")
    return int(cents)


def cents_to_amount(cents: int | None) -> str | None:
    if cents is None:
        return None
    return str((Decimal(cents) / CASH_SCALE).quantize(Decimal("0.01")))


def index_to_micro(text: str) -> int:
    """An index value in USD -> integer micro-USD (exact, positive)."""
    value = parse_decimal(text, Reason.INVALID_AMOUNT)
    micro = value * INDEX_SCALE
    if micro != micro.to_integral_value() or micro <= 0:
        raise Rejection(Reason.INVALID_AMOUNT, f"{text} is not a positive whole number of micro-USD")
    return int(micro)


def micro_to_index(micro: int | None) -> str | None:
    if micro is None:
        return None
    return str((Decimal(micro) / INDEX_SCALE).quantize(Decimal("0.000001")))


class Wire(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class OrderRequest(Wire):
    symbol: Symbol
    side: Literal["buy", "sell"]
    type: Literal["limit", "market", "stop", "stop_limit"] = "limit"
    qty: Qty
    price: DecimalStr | None = None
    time_in_force: Literal["GTC", "DAY", "GTD", "IOC", "FOK"] = "GTC"
    post_only: StrictBool = False
    reduce_only: StrictBool = False
    stop_price: DecimalStr | None = None
    display_qty: Qty | None = None
    expire_at: Nanos | None = Field(None, description="GTD expiry, ns since the epoch")
    client_order_id: ClientOrderId | None = None


class AmendRequest(Wire):
    qty: Qty | None = None
    price: DecimalStr | None = None
    stop_price: DecimalStr | None = None


class AccountCreate(Wire):
    account_id: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.-]{1,40}$")] | None = None
    market_maker: StrictBool = False


class AmountRequest(Wire):
    amount: DecimalStr


class DepositRequest(AmountRequest):
    account_id: Annotated[str, StringConstraints(min_length=1, max_length=40)]


class TradingStateRequest(Wire):
    symbol: Symbol | None = None
    state: Literal["pre_open", "open", "halted", "closed"]
    reason: Annotated[str, StringConstraints(max_length=80)] = "operator"


class IndexQuote(Wire):
    name: Literal["SIT", "GPU"]
    value: DecimalStr
    provider: Annotated[str, StringConstraints(min_length=1, max_length=40)] = "admin"


class ProviderQuoteIn(Wire):
    """A provider's list prices, USD per million input / output tokens (SIT) or per GPU-hour
    (GPU: give the same price twice, or only `input_price`)."""

    name: Literal["SIT", "GPU"]
    provider: Annotated[str, StringConstraints(min_length=1, max_length=40)]
    tier: Annotated[str, StringConstraints(min_length=1, max_length=40)]
    input_price: DecimalStr
    output_price: DecimalStr | None = None
    volume: Annotated[StrictInt, Field(ge=0, le=10**15)] = 0


class AccountCreated(BaseModel):
    account_id: str
    api_key: str
    key_id: str


class KeyCreate(Wire):
    scope: Literal["trade", "read"] = "trade"
    label: Annotated[str, StringConstraints(max_length=64)] = ""
    expires_at: Nanos | None = Field(None, description="ns since the epoch; none: never expires")
    signed: StrictBool = Field(False, description="every request with this key must be signed "
                                                  "with its api_secret (HMAC-SHA256)")


class KeyView(BaseModel):
    key_id: str
    account_id: str
    scope: str
    label: str
    created_at: int
    expires_at: int | None
    revoked_at: int | None
    signed: bool
    status: Literal["active", "revoked", "expired"]


class KeyCreated(KeyView):
    api_key: str = Field(description="shown only here")
    api_secret: str | None = Field(description="the signing secret of a signed key, shown only here")


class OrderView(BaseModel):
    order_id: int
    account: str
    symbol: str
    side: str
    type: str
    price: str | None
    stop_price: str | None
    qty: int
    filled_qty: int
    remaining_qty: int
    display_qty: int | None
    time_in_force: str
    expire_at: int | None
    post_only: bool
    reduce_only: bool
    client_order_id: str | None
    status: str
    reason: str | None = Field(None, description="why an order expired as soon as it was "
                               "accepted: FOK_NOT_FILLABLE, NO_LIQUIDITY (null otherwise)")
    ts: int


class FillView(BaseModel):
    trade_id: int
    order_id: int
    symbol: str
    side: str
    price: str
    qty: int
    role: Literal["maker", "taker"]
    ts: int
    seq: int


class OrderResult(BaseModel):
    order: OrderView
    fills: list[FillView]
    # flat copies of the order's key fields, so a client need not dig
    order_id: int
    status: str
    filled_qty: int
    remaining_qty: int
    reason: str | None = None


# A book level on the wire: [price, quantity]. Described with `items` rather than pydantic's
# `prefixItems` (valid OpenAPI 3.1, but schemathesis 4 cannot read it and skipped the check).
Level = Annotated[tuple[str, int], WithJsonSchema({
    "type": "array", "minItems": 2, "maxItems": 2,
    "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]},
    "description": "[price (decimal USD), quantity (lots)]"})]


class BookView(BaseModel):
    symbol: str
    sequence: int
    bids: list[Level]
    asks: list[Level]


class ContractView(BaseModel):
    symbol: str
    product: str
    name: str
    tick_size: str
    contract_size: int
    expiry: str
    last_trade_ts: int
    trading_state: str
    min_qty: int
    max_qty: int
    quote_unit: str


class TradeView(BaseModel):
    trade_id: int
    symbol: str
    price: str
    qty: int
    side: str  # the aggressor's side
    ts: int


class TickerView(BaseModel):
    symbol: str
    best_bid: str | None
    best_ask: str | None
    last: str | None
    reference: str | None
    volume: int
    trading_state: str


class IndexPoint(BaseModel):
    value: str
    timestamp: int


class IndexView(BaseModel):
    name: str
    value: str | None
    timestamp: int | None
    history: list[IndexPoint]


class PositionView(BaseModel):
    symbol: str
    qty: int
    mark: str | None = Field(None, description="the clearinghouse's mark (null before the first, or without clearing)")
    unsettled_pnl: str | None = Field(None, description="variation margin the position would receive (+) "
                                                        "or pay at the mark since the last cycle")


class AccountView(BaseModel):
    account_id: str
    cash: str | None
    equity: str | None
    initial_margin: str | None
    maintenance_margin: str | None
    order_margin: str | None = Field(description="initial margin the working orders add at their worst")
    excess: str | None = Field(description="equity over initial margin with the working orders: "
                                           "what new orders can use")
    withdrawable: str | None = Field(description="what a withdrawal can take: the excess less "
                                                 "variation-margin gains not paid yet")
    margin_call: bool | None
    positions: list[PositionView]


class Problem(BaseModel):
    type: str
    title: str
    status: int
    detail: str
    code: str
