"""Quote models: the formulas, the inventory skew, rounding and limits, the ladder."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from marketmakers.quoting import (Quote, avellaneda_stoikov, gueant_lehalle_fernandez_tapia,
                                  ladder, to_ticks)


def test_avellaneda_stoikov_flat_inventory_is_symmetric_with_the_closed_form_spread():
    bid, ask = avellaneda_stoikov(2_000, 0, sigma=2.0, gamma=0.1, k=1.5, time_left=10)
    assert (bid + ask) / 2 == pytest.approx(2_000)
    assert ask - bid == pytest.approx(0.1 * 4 * 10 + 20 * math.log(1 + 0.1 / 1.5))


def test_avellaneda_stoikov_long_inventory_skews_quotes_down():
    flat = avellaneda_stoikov(2_000, 0, 2.0, 0.1, 1.5, 10)
    long = avellaneda_stoikov(2_000, 5, 2.0, 0.1, 1.5, 10)
    shift = 5 * 0.1 * 4 * 10
    assert long[0] == pytest.approx(flat[0] - shift) and long[1] == pytest.approx(flat[1] - shift)


def test_glft_distances_and_skew():
    bid, ask = gueant_lehalle_fernandez_tapia(2_000, 0, sigma=2.0, gamma=0.1, k=1.5, intensity=1.0)
    c = math.log(1 + 0.1 / 1.5) / 0.1
    w = math.sqrt(4 * 0.1 / (2 * 1.5) * (1 + 0.1 / 1.5) ** (1 + 1.5 / 0.1))
    assert 2_000 - bid == pytest.approx(c + w / 2) and ask - 2_000 == pytest.approx(c + w / 2)
    b2, a2 = gueant_lehalle_fernandez_tapia(2_000, 3, 2.0, 0.1, 1.5, 1.0)
    assert b2 == pytest.approx(bid - 3 * w) and a2 == pytest.approx(ask - 3 * w)


def test_rounding_outward_and_inventory_limits():
    assert to_ticks(1_999.2, 2_000.1, 0, 10) == Quote(1_999, 2_001)
    assert to_ticks(2_000.0, 2_000.0, 0, 10) == Quote(2_000, 2_001)  # never a locked quote
    assert to_ticks(1_999.2, 2_000.1, 10, 10) == Quote(None, 2_001)  # long limit: no bid
    assert to_ticks(1_999.2, 2_000.1, -10, 10) == Quote(1_999, None)


def test_ladder():
    assert ladder(Quote(1_999, 2_001), levels=3, step=2, size=5, growth=2.0) == [
        (1, 1_999, 5), (-1, 2_001, 5), (1, 1_997, 10), (-1, 2_003, 10), (1, 1_995, 20), (-1, 2_005, 20)]
    assert ladder(Quote(None, 2_001), 2, 1, 1) == [(-1, 2_001, 1), (-1, 2_002, 1)]
    with pytest.raises(ValueError):
        ladder(Quote(1, 2), 0, 1, 1)


@pytest.mark.parametrize("bad", [dict(sigma=-1.0), dict(gamma=0.0), dict(k=0.0)])
def test_bad_parameters_are_refused(bad):
    args = dict(sigma=1.0, gamma=0.1, k=1.0) | bad
    with pytest.raises(ValueError):
        avellaneda_stoikov(2_000, 0, time_left=1.0, **args)


@given(st.floats(100, 10_000), st.integers(-50, 50), st.floats(0.0, 5.0), st.floats(0.01, 1.0),
       st.floats(0.1, 5.0), st.floats(0.0, 100.0))
def test_quotes_never_cross_and_skew_against_inventory(mid, q, sigma, gamma, k, t):
    bid, ask = avellaneda_stoikov(mid, q, sigma, gamma, k, t)
    assert bid < ask
    quote = to_ticks(bid, ask, q, 100)
    assert quote.bid is None or quote.ask is None or quote.bid < quote.ask
    b1, a1 = avellaneda_stoikov(mid, q + 1, sigma, gamma, k, t)
    assert b1 <= bid and a1 <= ask  # more inventory, lower quotes
