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


@given(st.integers(min_value=1, max_value=10**6), st.sampled_from(["0.001", "0.01", "0.005"]))
def test_a_converted_price_answers_the_same_again(ticks, tick):
    """Prices already seen come from a cache: the second answer is the first, per tick size."""
    tick_size = Decimal(tick)
    text = wire.ticks_to_price(ticks, tick_size)
    first = wire.price_to_ticks(text, tick_size)
    assert wire.price_to_ticks(text, tick_size) == first == ticks


def test_a_price_valid_on_one_tick_is_still_refused_on_another():
    """The cache is per tick size: 2.125 is on the 0.001 tick, not on the 0.01 tick."""
    assert wire.price_to_ticks("2.125", Decimal("0.001")) == 2125
    with pytest.raises(Rejection) as e:
        wire.price_to_ticks("2.125", Decimal("0.01"))
    assert e.value.reason == Reason.PRICE_NOT_ON_TICK
    assert wire.price_to_ticks("2.125", Decimal("0.001")) == 2125


def test_a_refused_price_is_refused_every_time():
    for _ in range(2):
        with pytest.raises(Rejection) as e:
            wire.price_to_ticks("-1.000", TICK)
        assert e.value.reason == Reason.INVALID_PRICE
    with pytest.raises(Rejection):
        wire.price_to_ticks(["2.125"], TICK)  # not even hashable
