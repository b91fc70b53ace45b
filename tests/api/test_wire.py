"""Exact conversions between wire decimals and integer ticks / cents, and the strict models."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from api import wire
from clearing.reasons import Reason, Rejection

TICK = Decimal("0.001")


@given(st.integers(min_value=1, max_value=10**12))
def test_ticks_round_trip_exactly(ticks):
    text = wire.ticks_to_price(ticks, TICK)
    assert wire.price_to_ticks(text, TICK) == ticks


@given(st.integers(min_value=1, max_value=10**9), st.integers(min_value=1, max_value=9))
def test_off_tick_prices_are_refused(ticks, extra_digit):
    text = wire.ticks_to_price(ticks, TICK) + str(extra_digit)  # one more decimal place
    with pytest.raises(Rejection) as e:
        wire.price_to_ticks(text, TICK)
    assert e.value.reason == Reason.PRICE_NOT_ON_TICK


@given(st.integers(min_value=1, max_value=10**13))
def test_cents_round_trip_exactly(cents):
    assert wire.amount_to_cents(wire.cents_to_amount(cents)) == cents


@pytest.mark.parametrize("text, reason", [
    ("10.001", Reason.INVALID_AMOUNT), ("0", Reason.INVALID_AMOUNT), ("-5.00", Reason.INVALID_AMOUNT),
    ("1e3", Reason.INVALID_AMOUNT), ("NaN", Reason.INVALID_AMOUNT), ("", Reason.INVALID_AMOUNT),
])
def test_bad_amounts(text, reason):
    with pytest.raises(Rejection) as e:
        wire.amount_to_cents(text)
    assert e.value.reason == reason


@pytest.mark.parametrize("text, reason", [
    ("0", Reason.INVALID_PRICE), ("-1.000", Reason.INVALID_PRICE), ("2.0005", Reason.PRICE_NOT_ON_TICK),
    ("Infinity", Reason.INVALID_PRICE), (" 2.0", Reason.INVALID_PRICE),
])
def test_bad_prices(text, reason):
    with pytest.raises(Rejection) as e:
        wire.price_to_ticks(text, TICK)
    assert e.value.reason == reason


def test_trailing_zeros_are_on_tick():
    assert wire.price_to_ticks("2.1250000", TICK) == 2125
    assert wire.price_to_ticks("3", TICK) == 3000


def test_index_micro_usd():
    assert wire.index_to_micro("2.125") == 2_125_000
    assert wire.micro_to_index(2_125_000) == "2.125000"
    with pytest.raises(Rejection):
        wire.index_to_micro("2.0000001")


@pytest.mark.parametrize("patch", [
    {"price": 2.125}, {"qty": 1.0}, {"qty": "1"}, {"qty": 0}, {"side": "BUY"}, {"unknown": 1},
    {"post_only": "yes"}, {"client_order_id": "has space"}, {"client_order_id": "x" * 65},
    {"time_in_force": "gtc"}, {"price": "1,5"},
])
def test_order_request_is_strict(patch):
    body = {"symbol": "SITZ26", "side": "buy", "qty": 1, "price": "2.000", **patch}
    with pytest.raises(ValidationError):
        wire.OrderRequest.model_validate_json(__import__("json").dumps(body))


def test_order_request_defaults():
    r = wire.OrderRequest.model_validate_json('{"symbol": "SITZ26", "side": "sell", "qty": 3}')
    assert (r.type, r.time_in_force, r.post_only, r.price) == ("limit", "GTC", False, None)
