"""Margin properties on random portfolios: the vectorised pass equals the per-account loop
exactly, and the requirement behaves (flat is free, IM >= MM, working orders only add)."""

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from clearing.margin import MarginModel, MarginParams, ProductMarginParams
from clearing.types import ClearingTerms

SYMBOLS = [("SIT", m) for m in range(1, 7)] + [("GPU", m) for m in range(1, 4)]

product_params = st.builds(
    ProductMarginParams,
    scan_range=st.floats(0.01, 0.6),
    extreme_multiple=st.floats(0.0, 4.0),
    extreme_cover=st.floats(0.0, 1.0),
    event_cut=st.floats(0.0, 1.0),
    event_cover=st.floats(0.0, 1.0),
    spread_charge=st.integers(0, 50_000),
    mm_ratio=st.floats(1.0, 2.0),
)
params = st.builds(MarginParams, products=st.fixed_dictionaries({"SIT": product_params,
                                                                 "GPU": product_params}),
                   apc_buffer=st.floats(0.0, 1.0), stressed=st.booleans())


@st.composite
def books(draw):
    k = draw(st.integers(1, len(SYMBOLS)))
    chosen = draw(st.permutations(SYMBOLS))[:k]  # products interleave in any order
    contracts = [ClearingTerms(f"{p}{m:02d}", p, p, 1_000, draw(st.sampled_from([1, 100, 250])),
                               2027, m, 0) for p, m in chosen]
    marks = np.array(draw(st.lists(st.integers(1, 100_000), min_size=k, max_size=k)), dtype=np.int64)
    n = draw(st.integers(1, 12))
    lots = st.integers(-5_000, 5_000) | st.just(0)
    positions = np.array(draw(st.lists(st.lists(lots, min_size=k, max_size=k), min_size=n, max_size=n)),
                         dtype=np.int64)
    return contracts, marks, positions


def as_maps(contracts, marks, row):
    return ({c.symbol: int(q) for c, q in zip(contracts, row) if q},
            {c.symbol: int(m) for c, m in zip(contracts, marks)},
            {c.symbol: c for c in contracts})


@given(params, books())
def test_vectorised_equals_the_per_account_loop(p, book):
    model = MarginModel(p)
    contracts, marks, positions = book
    im, mm = model.requirements(positions, marks, contracts)
    for i, row in enumerate(positions):
        r = model.requirement(*as_maps(contracts, marks, row))
        assert (r.initial, r.maintenance) == (int(im[i]), int(mm[i]))
        assert r.initial >= r.maintenance >= 0
        if not row.any():
            assert r.initial == 0


@given(params, books())
def test_the_buffer_only_adds_and_stress_releases_it(p, book):
    contracts, marks, positions = book
    calm = MarginModel(MarginParams(p.products, p.apc_buffer, stressed=False))
    stress = MarginModel(MarginParams(p.products, p.apc_buffer, stressed=True))
    im_c, mm_c = calm.requirements(positions, marks, contracts)
    im_s, mm_s = stress.requirements(positions, marks, contracts)
    assert (mm_c >= mm_s).all() and (im_c >= im_s).all()


@given(params, books(), st.data())
def test_working_orders_never_lower_the_requirement(p, book, data):
    model = MarginModel(p)
    contracts, marks, positions = book
    pos, mark_map, terms = as_maps(contracts, marks, positions[0])
    symbols = list(terms)
    buys = {s: data.draw(st.integers(0, 500)) for s in symbols}
    sells = {s: data.draw(st.integers(0, 500)) for s in symbols}
    worst = model.requirement_with_orders(pos, buys, sells, mark_map, terms)
    assert worst.initial >= model.requirement(pos, mark_map, terms).initial
    for case in ({s: pos.get(s, 0) + buys[s] for s in symbols},
                 {s: pos.get(s, 0) - sells[s] for s in symbols}):
        assert worst.initial >= model.requirement(case, mark_map, terms).initial


@given(params, books())
def test_mirror_portfolio_differs_only_through_the_event_scenario(p, book):
    no_event = {k: ProductMarginParams(v.scan_range, v.extreme_multiple, v.extreme_cover, v.event_cut,
                                       0.0, v.spread_charge, v.mm_ratio) for k, v in p.products.items()}
    model = MarginModel(MarginParams(no_event, p.apc_buffer, p.stressed))
    contracts, marks, positions = book
    assert (np.array(model.requirements(positions, marks, contracts))
            == np.array(model.requirements(-positions, marks, contracts))).all()
