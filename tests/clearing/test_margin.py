"""The margin model's rules, one at a time, with round numbers."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from clearing.margin import (BPS, N_SCENARIOS, MarginModel, MarginParams, MarginRequirement,
                             ProductMarginParams, default_margin_model, default_params,
                             margin_from_base, scenario_moves, unit_risk_array)
from clearing.reasons import Reason, Rejection
from clearing.scan_ranges import default_scan_range
from clearing.types import ClearingTerms

F, G, H = (ClearingTerms(s, "SIT", "SIT", 1_000, 100, 2027, m, 0)
           for s, m in (("SITF27", 1), ("SITG27", 2), ("SITH27", 3)))
GPU = ClearingTerms("GPUF27", "GPU", "GPU", 1_000, 100, 2027, 1, 0)
TERMS = {t.symbol: t for t in (F, G, H, GPU)}
MARKS = {"SITF27": 2_000, "SITG27": 1_980, "SITH27": 1_950, "GPUF27": 2_500}
SIT = ProductMarginParams(scan_range=0.15, spread_charge=3_000)


def model(apc=0.25, stressed=False, **sit):
    return MarginModel(MarginParams({"SIT": ProductMarginParams(**{"scan_range": 0.15,
                                                                    "spread_charge": 3_000, **sit}),
                                     "GPU": ProductMarginParams(scan_range=0.09)},
                                    apc_buffer=apc, stressed=stressed))


def req(m, positions, marks=MARKS):
    return m.requirement(positions, marks, TERMS)


def test_scenario_moves():
    # range = 15% of 2,000 = 300 ticks: thirds 100/200/300, extreme 600, event -1,000
    assert scenario_moves(SIT, 2_000) == (0, 100, -100, 200, -200, 300, -300, 600, -600, -1_000)
    # ticks round away from zero: 15% of 1,001 = 150.15 -> 151, a third of that -> 51
    assert scenario_moves(SIT, 1_001)[1:3] == (51, -51)


def test_unit_risk_array_counts_covers():
    unit = unit_risk_array(F, SIT, 2_000)
    assert len(unit) == N_SCENARIOS
    assert unit[:7] == (0, -10_000, 10_000, -20_000, 20_000, -30_000, 30_000)
    assert unit[7:9] == (-21_000, 21_000)  # 600 ticks x 100 cents x 35%
    assert unit[9] == 50_000  # 1,000 ticks x 100 cents x 50%


def test_flat_needs_nothing():
    m = model()
    assert req(m, {}) == MarginRequirement(0, 0)
    assert req(m, {"SITF27": 0, "GPUF27": 0}) == MarginRequirement(0, 0)


def test_outright_numbers_maintenance_buffer_and_initial():
    m = model()
    # short: worst is the +3/3 move, 30,000 cents; x1.25 APC = 37,500; IM = 41,250
    assert req(m, {"SITF27": -1}) == MarginRequirement(41_250, 37_500)
    # long: the event scenario (50,000) beats the -3/3 move; x1.25 = 62,500; IM = 68,750
    assert req(m, {"SITF27": 1}) == MarginRequirement(68_750, 62_500)


def test_long_and_short_differ_only_by_the_event_scenario():
    m = model(event_cover=0.0)
    for q in (1, 7, 250):
        assert req(m, {"SITF27": q}) == req(m, {"SITF27": -q})
    with_event = model()
    assert req(with_event, {"SITF27": 5}).maintenance > req(with_event, {"SITF27": -5}).maintenance


def test_event_scenario_binds_for_large_longs():
    m = model()
    q = 1_000
    unit = unit_risk_array(F, m.product_params("SIT"), MARKS["SITF27"])
    assert max(range(N_SCENARIOS), key=lambda i: q * unit[i]) == 9
    assert req(m, {"SITF27": q}).maintenance == -(-q * unit[9] * 12_500 // 10_000)


def test_initial_is_at_least_maintenance_rounded_up():
    m = model()
    for positions in ({"SITF27": 3}, {"SITF27": -7, "GPUF27": 2}, {"SITF27": 1, "SITG27": -1}):
        r = req(m, positions)
        assert r.initial >= r.maintenance
    r = model(apc=0.0, stressed=False, scan_range=0.0111).requirement({"SITF27": -1}, {"SITF27": 7}, TERMS)
    # range ceil(0.0777) = 1 tick, worst short loss 100 cents; IM = ceil(110) exactly
    assert r == MarginRequirement(110, 100)


def test_calendar_spread_needs_less_than_outrights_and_pays_the_spread_charge():
    m = model(apc=0.0)
    spread = req(m, {"SITF27": 10, "SITG27": -10})
    legs = req(m, {"SITF27": 10}).maintenance + req(m, {"SITG27": -10}).maintenance
    assert spread.maintenance < legs / 5
    # the scan nets the spread to the mark difference; 10 pairs pay 10 x 3,000 cents
    no_charge = model(apc=0.0, spread_charge=0)
    assert spread.maintenance - req(no_charge, {"SITF27": 10, "SITG27": -10}).maintenance == 30_000


def test_spread_pairs_are_min_of_long_and_short_lots():
    m = model(apc=0.0, spread_charge=1_000, scan_range=0.15)
    zero = model(apc=0.0, spread_charge=0)
    p = {"SITF27": 5, "SITG27": -3, "SITH27": -4}  # longs 5, shorts 7: 5 pairs
    assert req(m, p).maintenance - req(zero, p).maintenance == 5_000


def test_products_do_not_net():
    m = model()
    both = req(m, {"SITF27": 2, "GPUF27": -2})
    parts = [req(m, {"SITF27": 2}), req(m, {"GPUF27": -2})]
    assert both.initial == sum(r.initial for r in parts)
    assert both.maintenance == sum(r.maintenance for r in parts)


def test_apc_buffer_applied_and_released_in_stress():
    base = req(model(apc=0.0), {"SITF27": -4}).maintenance
    assert req(model(), {"SITF27": -4}).maintenance == base * 5 // 4
    assert req(model(stressed=True), {"SITF27": -4}).maintenance == base
    assert model().stressed().requirement({"SITF27": -4}, MARKS, TERMS).maintenance == base


def test_requirement_from_risk_is_the_incremental_form():
    m = model()
    positions = {"SITF27": 3, "SITG27": -5, "GPUF27": 4}
    risk = {"SIT": [0] * N_SCENARIOS, "GPU": [0] * N_SCENARIOS}
    for s, q in positions.items():  # one fill at a time, as the clearinghouse would
        unit = unit_risk_array(TERMS[s], m.product_params(TERMS[s].product), MARKS[s])
        risk[TERMS[s].product] = [a + q * u for a, u in zip(risk[TERMS[s].product], unit)]
    assert m.requirement_from_risk(risk, {"SIT": 3, "GPU": 0}) == req(m, positions)


def test_working_orders_count_at_their_worst():
    m = model()
    positions = {"SITF27": -2}
    buys, sells = {"SITF27": 5}, {"SITG27": 3}
    r = m.requirement_with_orders(positions, buys, sells, MARKS, TERMS)
    cases = [req(m, positions), req(m, {"SITF27": 3}), req(m, {"SITF27": -2, "SITG27": -3})]
    assert r == max(cases, key=lambda c: c.initial)
    assert r.initial >= req(m, positions).initial
    # buys that only reduce a short never lower the requirement below the current one
    r = m.requirement_with_orders({"SITF27": -4}, {"SITF27": 2}, {}, MARKS, TERMS)
    assert r == req(m, {"SITF27": -4})


def test_working_orders_worst_case_per_product():
    m = model()
    r = m.requirement_with_orders({}, {"SITF27": 1}, {"GPUF27": 1}, MARKS, TERMS)
    assert r.initial == req(m, {"SITF27": 1}).initial + req(m, {"GPUF27": -1}).initial


lots = st.dictionaries(st.sampled_from(sorted(TERMS)), st.integers(-50, 50), max_size=4)
working = st.dictionaries(st.sampled_from(sorted(TERMS)), st.integers(0, 40), max_size=4)


@given(lots, working, working, st.integers(500, 5_000), st.integers(500, 5_000))
def test_initial_with_orders_from_unit_risks_equals_the_reference(positions, buys, sells, sit, gpu):
    """The pre-trade check's form of the worst case of working orders (from cached unit risk
    arrays) against `requirement_with_orders`, the per-case rescan it replaces."""
    m = default_margin_model()
    marks = {"SITF27": sit, "SITG27": sit + 7, "SITH27": sit - 11, "GPUF27": gpu}
    positions = {s: q for s, q in positions.items() if q}
    symbols = {*positions, *buys, *sells}
    units = {s: unit_risk_array(TERMS[s], m.product_params(TERMS[s].product), marks[s]) for s in symbols}
    products = {s: TERMS[s].product for s in symbols}
    assert m.initial_with_orders(positions, buys, sells, units, products) == \
        m.requirement_with_orders(positions, buys, sells, marks, TERMS).initial


@given(st.sampled_from(["SIT", "GPU"]), st.integers(-10, 10**9), st.integers(0, 10**5), st.booleans())
def test_the_bound_the_scan_and_the_vectorised_pass_share_the_ceilings(product, loss, lots, stressed):
    """`margin_from_base` is the one formula: `initial_bound` and the vectorised pass give what
    `_product_margin` gives for the same base."""
    m = default_margin_model().stressed(stressed)
    p = m.product_params(product)
    base = max(0, loss) + p.spread_charge * (lots // 2)
    expected = margin_from_base(base, BPS + m.params.buffer_bps(), round(p.mm_ratio * BPS))
    assert m.initial_bound({product: (loss, lots)}) == expected[0]
    im, mm = margin_from_base(np.array([base], dtype=np.int64), BPS + m.params.buffer_bps(),
                              round(p.mm_ratio * BPS))
    assert (int(im[0]), int(mm[0])) == expected


def test_vectorised_equals_loop_on_a_small_book():
    m = model()
    contracts = [F, G, H, GPU]
    marks = np.array([MARKS[c.symbol] for c in contracts])
    positions = np.array([[0, 0, 0, 0], [1, 0, 0, 0], [-3, 3, 0, 2], [10, -4, -6, -1]])
    im, mm = m.requirements(positions, marks, contracts)
    for row, i, mmv in zip(positions, im, mm):
        r = req(m, {c.symbol: int(q) for c, q in zip(contracts, row)})
        assert (r.initial, r.maintenance) == (i, mmv)
    assert im.dtype == np.int64 and mm.dtype == np.int64


def test_bad_input_is_rejected():
    m = model()
    with pytest.raises(Rejection) as e:
        m.requirement({"X": 1}, {"X": 100}, {"X": ClearingTerms("X", "OIL", "OIL", 1, 1, 2027, 1, 0)})
    assert e.value.reason == Reason.UNKNOWN_SYMBOL
    with pytest.raises(Rejection) as e:
        m.requirement({"SITF27": 1}, {}, TERMS)
    assert e.value.reason == Reason.NO_REFERENCE_PRICE
    with pytest.raises(Rejection) as e:
        m.requirement({"SITF27": 1}, {"SITF27": 0}, TERMS)
    assert e.value.reason == Reason.INVALID_PRICE
    with pytest.raises(Rejection):
        m.requirements(np.zeros((2, 3), dtype=np.int64), np.array([1, 2]), [F, G])
    with pytest.raises(Rejection):
        m.requirement_from_risk({"SIT": [1, 2]}, {})
    for bad in (dict(scan_range=0.0), dict(scan_range=0.1, mm_ratio=0.9),
                dict(scan_range=0.1, spread_charge=-1), dict(scan_range=0.1, event_cut=1.5)):
        with pytest.raises(Rejection):
            ProductMarginParams(**bad)
    with pytest.raises(Rejection):
        MarginParams({}, apc_buffer=-0.1)


def test_default_model_uses_the_derived_scan_ranges():
    params = default_params()
    for product in ("SIT", "GPU"):
        r = params.products[product].scan_range
        assert default_scan_range(product) <= r < default_scan_range(product) + 1e-4
    assert default_params(stressed=True).buffer_bps() == 0
    m = default_margin_model()
    assert req(m, {"SITF27": 1, "GPUF27": -1}).initial > 0
