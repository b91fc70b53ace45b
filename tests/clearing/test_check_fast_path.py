"""The pre-trade check's fast path: a cheap upper bound of the initial margin with working
orders settles the check when equity covers it, else the exact scan decides.

Two properties: the bound is never below the exact initial margin, and check_order decides
every order the same way (accepted, or the same reason and sentence) with the fast path on
and off."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clearing.clearinghouse import BookTop, ClearingHouse, Position
from clearing.config import ClearingConfig
from clearing.margin import (
    MarginModel,
    MarginParams,
    ProductMarginParams,
    _product_margin,
    default_margin_model,
)
from clearing.reasons import Reason, Rejection
from clearing.types import ClearedTrade, ClearingTerms

T = 1_795_000_000 * 1_000_000_000
HOUR = 3_600 * 1_000_000_000
CONTRACTS = [ClearingTerms(f"SIT{i}", "SIT", "SIT", 1_000, 100, 2027, 1 + i, T + (100 + i) * HOUR)
             for i in range(3)] + \
            [ClearingTerms(f"GPU{i}", "GPU", "GPU", 1_000, 250, 2027, 1 + i, T + (100 + i) * HOUR)
             for i in range(2)]
SYMBOLS = [c.symbol for c in CONTRACTS]

product_params = st.builds(
    ProductMarginParams, scan_range=st.floats(0.01, 0.6), extreme_multiple=st.floats(0.0, 4.0),
    extreme_cover=st.floats(0.0, 1.0), event_cut=st.floats(0.0, 1.0), event_cover=st.floats(0.0, 1.0),
    spread_charge=st.integers(0, 50_000), mm_ratio=st.floats(1.0, 2.0))
models = st.builds(MarginParams, products=st.fixed_dictionaries({"SIT": product_params, "GPU": product_params}),
                   apc_buffer=st.floats(0.0, 1.0), stressed=st.booleans()).map(MarginModel)
lots = st.dictionaries(st.sampled_from(SYMBOLS), st.integers(-60, 60), max_size=5)
# working quantities, negative ones included: the exact path counts them as none
working = st.dictionaries(st.sampled_from(SYMBOLS), st.tuples(st.integers(-5, 40), st.integers(-5, 40)),
                          max_size=5)
orders = st.tuples(st.sampled_from(SYMBOLS), st.sampled_from([1, -1]), st.integers(1, 30))


def listed(model, fast_path=True, **cfg) -> ClearingHouse:
    ch = ClearingHouse(ClearingConfig(**cfg), margin=model, fast_path=fast_path)
    for terms in CONTRACTS:
        ch.list_contract(terms, T, [])
    return ch


@given(models, lots, working, st.dictionaries(st.sampled_from(SYMBOLS), st.integers(1, 10_000)),
       orders, st.integers(1, 10_000))
def test_the_bound_is_never_below_the_exact_initial_margin(model, positions, work, marks, order,
                                                           index):
    ch = listed(model)
    ch.marks.update(marks)  # contracts without a mark fall back to the index's fair value
    ch.set_index("SIT", index * 1_000, T, [])
    ch.open_account("x", T, [])
    member = ch.members["x"]
    for symbol, qty in positions.items():
        member.positions.setdefault(symbol, Position()).qty = qty
    member.working = {s: list(w) for s, w in work.items()}
    symbol, side, qty = order
    fast = ch.margins.bound_and_equity("x", member, symbol, side, qty)
    bound = None if fast is None else fast[0]
    if fast is not None:
        assert fast[1] == ch.equity("x")
    try:
        exact = ch.margins.initial_with_orders(member, symbol, side, qty)
    except Rejection:  # a GPU contract without a mark (no GPU index): the bound gives up
        assert bound is None
        return
    assert bound is not None and bound >= exact


def test_the_bound_gives_up_where_the_exact_scan_raises():
    ch = listed(default_margin_model())
    ch.open_account("x", T, [])
    member = ch.members["x"]
    assert ch.margins.bound_and_equity("x", member, "SIT0", 1, 1) is None  # no mark and no index yet
    ch.marks["SIT0"] = 0
    assert ch.margins.bound_and_equity("x", member, "SIT0", 1, 1) is None  # a mark the scan rejects
    ch.marks["SIT0"] = 2_000
    assert ch.margins.bound_and_equity("x", member, "SIT0", 1, 0) is None  # no order: nothing to settle
    assert ch.margins.bound_and_equity("x", member, "SIT0", 1, 1) is not None
    ch.margin = MarginModel(MarginParams({"GPU": default_margin_model().product_params("GPU")}))
    assert ch.margins.bound_and_equity("x", member, "SIT0", 1, 1) is None  # SIT has no parameters any more


def _decision(ch, account, symbol, side, qty, price, reduce_only):
    try:
        ch.check_order(account, symbol, side, qty, price, reduce_only)
    except Rejection as r:
        return r.reason, str(r)
    except KeyError as e:  # a contract no longer listed: the exact path's own error
        return "KeyError", str(e)
    return None


ACCOUNTS = ["a", "b", "c", "d"]
steps = st.lists(st.one_of(
    st.tuples(st.just("fill"), st.sampled_from(ACCOUNTS), st.sampled_from(ACCOUNTS),
              st.sampled_from(SYMBOLS), st.integers(1, 40), st.integers(-30, 30)),
    st.tuples(st.just("work"), st.sampled_from(ACCOUNTS), st.sampled_from(SYMBOLS),
              st.sampled_from([1, -1]), st.integers(-10, 40)),
    st.tuples(st.just("index"), st.sampled_from(["SIT", "GPU"]), st.integers(200, 6_000)),
    st.tuples(st.just("mark"), st.integers(-300, 300)),
    st.tuples(st.just("expire"),),
    st.tuples(st.just("deposit"), st.sampled_from(ACCOUNTS), st.integers(1, 5_000_000)),
    st.tuples(st.just("stress"), st.booleans()),
    st.tuples(st.just("model"), models),
), max_size=25)
checks = st.lists(st.tuples(st.sampled_from(ACCOUNTS + ["ghost"]), st.sampled_from(SYMBOLS),
                            st.sampled_from([1, -1]), st.integers(1, 70), st.integers(-20, 20),
                            st.booleans()), min_size=1, max_size=12)


def _apply(ch, step, ts):
    """One step of the random history, on both clearinghouses alike."""
    kind = step[0]
    if kind == "fill" and step[1] != step[2] and step[3] in ch.terms:
        _, buyer, seller, symbol, qty, dp = step
        price = max(1, ch.marks.get(symbol, 2_000) + dp)
        ch.on_fill(ClearedTrade(0, symbol, price, qty, buyer, seller, 1, ts), [])
    elif kind == "work" and step[2] in ch.terms:
        ch.on_working(step[1], step[2], step[3], step[4], 2_000)
    elif kind == "index":
        ch.set_index(step[1], step[2] * 1_000, ts, [])
    elif kind == "mark":
        books = {s: BookTop(m + step[1] - 1, m + step[1] + 1, None) for s, m in ch.marks.items()}
        liquidate = ch.mark_cycle(ts, books, [])
        for account in liquidate[1:]:  # the first stays in liquidation, the others finish
            ch.finish_liquidation(account, ts, [])
    elif kind == "expire" and ch.terms:
        nearest = min(ch.terms.values(), key=lambda t: (t.last_trade_ts, t.symbol)).symbol
        ch.final_settlement(nearest, ch.settlement_price(nearest) or 2_000, ts, [])
    elif kind == "deposit" and not ch.members[step[1]].defaulted:
        ch.deposit(step[1], step[2], ts, [])
    elif kind == "stress":  # a new margin model object: the APC buffer released or re-applied
        ch.margin = ch.margin.stressed(step[1])
    elif kind == "model":  # other scan parameters: no unit risk cached for the old model counts
        ch.margin = step[1]


amounts = st.integers(1, 20_000_000) | st.sampled_from([100_000_000, 1_000_000_000])


@given(st.just(default_margin_model()) | models, st.dictionaries(st.sampled_from(ACCOUNTS), amounts, min_size=4),
       steps, checks)
def test_check_order_decides_the_same_with_and_without_the_fast_path(model, cash, history, orders):
    limits = {"position_limit": 150, "spot_month_limit": 60, "cure_period_ns": HOUR}
    fast, exact = (listed(model, f, **limits) for f in (True, False))
    for ch in (fast, exact):
        ch.set_index("SIT", 2_000_000, T, [])
        ch.set_index("GPU", 1_500_000, T, [])
        for account, amount in cash.items():
            ch.open_account(account, T, [])
            ch.deposit(account, amount, T, [])
    for i, step in enumerate(history):
        for ch in (fast, exact):
            _apply(ch, step, T + i * HOUR // 4)
        assert fast.digest() == exact.digest()
        for account, symbol, side, qty, dp, reduce_only in orders:
            price = max(1, 2_000 + dp)
            assert _decision(fast, account, symbol, side, qty, price, reduce_only) == \
                _decision(exact, account, symbol, side, qty, price, reduce_only)


def test_an_account_far_from_its_limit_skips_the_exact_scan():
    ch = listed(default_margin_model())
    ch.set_index("SIT", 2_000_000, T, [])
    scans = []
    scan = ch.margins.initial_with_orders
    ch.margins.initial_with_orders = lambda *args: scans.append(args) or scan(*args)
    for account, cash in (("rich", 100_000_000), ("poor", 100)):
        ch.open_account(account, T, [])
        ch.deposit(account, cash, T, [])
        ch.on_working(account, "SIT1", 1, 50, 2_000)
    ch.check_order("rich", "SIT1", 1, 10, 2_000, False)
    assert scans == []
    with pytest.raises(Rejection) as info:  # equity does not cover the bound: the scan decides
        ch.check_order("poor", "SIT1", 1, 10, 2_000, False)
    assert info.value.reason == Reason.INSUFFICIENT_MARGIN and len(scans) == 1


def test_the_spot_month_follows_listings_and_settlements():
    ch = listed(default_margin_model())
    assert ch.pretrade.is_spot_month("SIT0") and not ch.pretrade.is_spot_month("SIT1")
    ch.final_settlement("SIT0", 2_000, T, [])
    assert ch.pretrade.is_spot_month("SIT1")
    ch.list_contract(ClearingTerms("SITZ", "SIT", "SIT", 1_000, 100, 2026, 12, T + HOUR), T, [])
    assert ch.pretrade.is_spot_month("SITZ") and not ch.pretrade.is_spot_month("SIT1")
    assert not ch.pretrade.is_spot_month("nothing")


@given(models, st.sampled_from(["SIT", "GPU"]), st.integers(-10, 10**9), st.integers(0, 10**5))
def test_initial_bound_applies_the_scans_own_ceilings(model, product, loss, lots):
    """`initial_bound` and `_product_margin` apply the same ceilings (`margin_from_base`)."""
    buffer_bps = model.params.buffer_bps()
    exact = _product_margin((loss,), lots // 2, model.product_params(product), buffer_bps)[0]
    assert model.initial_bound({product: (loss, lots)}) == exact
