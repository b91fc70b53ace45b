"""ClearedTrade, the record of one fill that every risk gate receives: written out (a C type in
the compiled build), it must behave as the dataclass it replaced."""

import pytest

from clearing.trade import make_trade
from clearing.types import ClearedTrade


def test_make_trade_gives_the_trade_the_constructor_gives():
    made = make_trade(7, "SITF27", 2_001, 3, "buyer", "seller", -1, 123)
    built = ClearedTrade(7, "SITF27", 2_001, 3, "buyer", "seller", -1, 123)
    assert made == built and not made != built
    assert (made.trade_id, made.symbol, made.price, made.qty, made.buyer, made.seller,
            made.aggressor, made.ts) == (7, "SITF27", 2_001, 3, "buyer", "seller", -1, 123)


def test_trades_differing_in_any_field_are_not_equal():
    base = (7, "SITF27", 2_001, 3, "buyer", "seller", -1, 123)
    for i in range(len(base)):
        other = list(base)
        other[i] = "x" if isinstance(base[i], str) else base[i] + 1
        assert ClearedTrade(*base) != ClearedTrade(*other)
    assert ClearedTrade(*base) != base  # not equal to its values as a tuple


def test_repr_names_every_field_and_a_trade_is_not_hashable():
    trade = ClearedTrade(7, "SITF27", 2_001, 3, "buyer", "seller", 1, 123)
    assert repr(trade) == ("ClearedTrade(trade_id=7, symbol='SITF27', price=2001, qty=3, "
                           "buyer='buyer', seller='seller', aggressor=1, ts=123)")
    with pytest.raises(TypeError):
        hash(trade)
