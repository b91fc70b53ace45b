"""The clearinghouse's rules, one at a time, with a flat per-lot margin for easy numbers."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clearing.clearing_events import LiquidationReason, WaterfallLayer
from clearing.clearinghouse import BookTop, ClearingHouse, Position
from clearing.margin import default_margin_model
from clearing.config import ClearingConfig
from clearing.reasons import Reason, Rejection
from clearing.types import ClearedTrade, ClearingTerms
from support.flat_margin import FlatMargin

T = 1_795_000_000 * 1_000_000_000
HOUR = 3_600 * 1_000_000_000
S = "SITF27"
TERMS = ClearingTerms(S, "SIT", "SIT", 1_000, 100, 2027, 1, T + 1_000 * HOUR)
NEAR = ClearingTerms("SITZ26", "SIT", "SIT", 1_000, 100, 2026, 12, T + 500 * HOUR)


def ccp(**cfg):
    ch = ClearingHouse(ClearingConfig(**cfg), margin=FlatMargin())
    out = []
    ch.list_contract(NEAR, T, out)
    ch.list_contract(TERMS, T, out)
    ch.set_index("SIT", 2_000_000, T, out)
    for account, cash in (("a", 1_000_000), ("b", 1_000_000), ("c", 5_000_000)):
        ch.open_account(account, T, out)
        ch.deposit(account, cash, T, out)
    return ch


def trade(ch, buyer, seller, qty, price, aggressor=1, symbol=S, tid=1):
    out = []
    ch.on_fill(ClearedTrade(tid, symbol, price, qty, buyer, seller, aggressor, T), out)
    return out


def mark(ch, price, ts=T):
    out = []
    liquidate = ch.mark_cycle(ts, {S: BookTop(price - 1, price + 1, price)}, out)
    return out, liquidate


def test_capital_and_deposits_are_conserved():
    ch = ccp()
    summary = ch.ledger_summary()
    assert summary["held"] == 7_000_000 + ClearingConfig().ccp_capital
    assert summary["balances"]["ccp:skin"] == ClearingConfig().ccp_capital // 4
    ch.check()


def test_novation_positions_and_fees():
    ch = ccp()
    out = trade(ch, "a", "b", 3, 2_000, aggressor=1)
    assert ch.position("a", S) == 3 and ch.position("b", S) == -3
    fees = {(e.account, e.reason): e.amount for e in out if e.kind == "cash_moved"}
    assert fees == {("a", "taker_fee"): 60, ("b", "maker_fee"): 15}
    ch.check()


def test_market_maker_rebate():
    ch = ccp()
    ch.open_account("mm", T, [], market_maker=True)
    ch.deposit("mm", 1_000_000, T, [])
    out = trade(ch, "a", "mm", 2, 2_000, aggressor=1)
    moved = [(e.source, e.target, e.amount, e.reason) for e in out if e.kind == "cash_moved"]
    assert ("ccp:fees", "m:mm", 10, "mm_rebate") in moved
    ch.set_market_maker_standing("mm", False, T, [])
    out = trade(ch, "a", "mm", 2, 2_000, aggressor=1, tid=2)
    assert ("m:mm", "ccp:fees", 10, "maker_fee") in [(e.source, e.target, e.amount, e.reason)
                                                       for e in out if e.kind == "cash_moved"]


def test_variation_margin_is_zero_sum_and_exact():
    ch = ccp()
    trade(ch, "a", "b", 3, 2_000)
    trade(ch, "c", "a", 1, 2_010, tid=2)  # a: +3 @ 2000, -1 @ 2010
    out, liquidate = mark(ch, 2_020)  # fair 2,000 + basis pulled towards the 2,020 mid, clamped
    m = ch.marks[S]
    vm = {e.account: e.amount * (1 if e.target.startswith("m:") else -1)
          for e in out if e.kind == "cash_moved"}
    assert vm["a"] == ((3 - 1) * m - (3 * 2_000 - 2_010)) * 100
    assert vm["b"] == (-3 * m + 3 * 2_000) * 100
    assert vm["c"] == (m - 2_010) * 100
    assert sum(vm.values()) == 0
    cycle = [e for e in out if e.kind == "variation_margin"][0]
    assert cycle.paid == cycle.collected
    assert liquidate == []
    ch.check()


def test_mark_resists_a_thin_book():
    ch = ccp()
    trade(ch, "a", "b", 1, 2_000)
    out, _ = mark(ch, 3_000)  # someone prints far away: the basis is clamped to 3% of fair value
    assert ch.marks[S] <= 2_000 * 103 // 100
    wide = []
    ch.mark_cycle(T, {S: BookTop(1_000, 3_000, 3_000)}, wide)  # a wide book does not count
    assert [e.source for e in wide if e.kind == "mark"] == ["index+basis"]


def test_pre_trade_margin_counts_working_orders():
    ch = ccp()
    # a has 10,000 USD: initial margin is 110 USD a lot, so at most 90 lots in all
    ch.check_order("a", S, 1, 90, 2_000, False)
    ch.on_working("a", S, 1, 80, 2_000)
    with pytest.raises(Rejection) as info:
        ch.check_order("a", S, 1, 11, 2_000, False)  # worst case: 80 + 11 buys fill
    assert info.value.reason == Reason.INSUFFICIENT_MARGIN
    ch.check_order("a", S, -1, 11, 2_000, False)  # a sell does not add to the worst case


def test_position_limits_and_spot_month():
    ch = ccp(position_limit=50, spot_month_limit=20)
    with pytest.raises(Rejection) as info:
        ch.check_order("c", S, 1, 51, 2_000, False)
    assert info.value.reason == Reason.POSITION_LIMIT
    with pytest.raises(Rejection) as info:
        ch.check_order("c", "SITZ26", 1, 21, 2_000, False)
    assert info.value.reason == Reason.POSITION_LIMIT
    ch.check_order("c", "SITZ26", 1, 20, 2_000, False)


def test_unknown_and_defaulted_accounts_and_withdrawals():
    ch = ccp()
    for call in (lambda: ch.check_order("zz", S, 1, 1, 2_000, False),
                 lambda: ch.deposit("zz", 1, T, [])):
        with pytest.raises(Rejection) as info:
            call()
        assert info.value.reason == Reason.UNKNOWN_ACCOUNT
    with pytest.raises(Rejection) as info:
        ch.open_account("a", T, [])
    assert info.value.reason == Reason.ACCOUNT_EXISTS
    with pytest.raises(Rejection) as info:
        ch.deposit("a", 0, T, [])
    assert info.value.reason == Reason.INVALID_AMOUNT
    trade(ch, "a", "b", 5, 2_000)  # a: 1,000,000 - 100 fee; IM 55,000
    before = ch.digest()
    with pytest.raises(Rejection) as info:
        ch.withdraw("a", 1_000_000 - 100 - 55_000 + 1, T, [])
    assert info.value.reason == Reason.INSUFFICIENT_FUNDS
    assert ch.digest() == before
    ch.withdraw("a", 1_000_000 - 100 - 55_000, T, [])
    ch.check()


def test_margin_call_cure_and_liquidation_after_the_cure_period():
    ch = ccp(cure_period_ns=HOUR, hard_floor_bps=1_000)
    trade(ch, "a", "b", 80, 2_000)  # a long 80: IM 880,000, MM 800,000, cash ~1,000,000
    out, liquidate = mark(ch, 1_997)  # the mark falls: a loses 80 x ~3 USD ...
    ch.set_index("SIT", 1_970_000, T, [])
    out, liquidate = mark(ch, 1_970)  # ... then ~30 x 80 = 2,400 USD: equity < MM
    calls = [e for e in out if e.kind == "margin_call"]
    assert [c.account for c in calls] == ["a"] and liquidate == []
    with pytest.raises(Rejection) as info:
        ch.check_order("a", S, 1, 1, 2_000, False)
    assert info.value.reason == Reason.ACCOUNT_IN_MARGIN_CALL
    ch.check_order("a", S, -1, 1, 2_000, True)  # reducing is allowed
    out, liquidate = mark(ch, 1_970, T + HOUR)
    assert liquidate == ["a"]
    assert [e.reason for e in out if e.kind == "liquidation_started"] == ["cure_period_expired"]
    assert ch.liquidation_plan("a") == [(S, -1, 80)]


def test_hard_floor_liquidates_during_a_running_margin_call():
    ch = ccp(cure_period_ns=HOUR, hard_floor_bps=5_000)
    trade(ch, "a", "b", 80, 2_000)  # IM 880,000, MM 800,000
    ch.set_index("SIT", 1_970_000, T, [])
    out, liquidate = mark(ch, 1_970)  # equity ~ 760,000: below MM, above the floor (400,000)
    assert [e.account for e in out if e.kind == "margin_call"] == ["a"] and liquidate == []
    ch.set_index("SIT", 1_920_000, T, [])
    out, liquidate = mark(ch, 1_920, T + 1)  # equity ~ 360,000 < floor, long before the deadline
    assert liquidate == ["a"]
    assert [e.reason for e in out if e.kind == "liquidation_started"] == [LiquidationReason.HARD_FLOOR]
    assert ch.equity("a") < ch.requirement("a")[1] * 5_000 // 10_000


def test_a_reducing_order_must_be_payable():
    ch = ccp()
    ch.open_account("p", T, [])
    ch.deposit("p", 50_000, T, [])
    trade(ch, "p", "b", 3, 2_000)  # p long 3, pays the 60-cent taker fee
    before = ch.digest()
    with pytest.raises(Rejection) as info:  # selling 200 ticks under the mark loses 60,000
        ch.check_order("p", S, -1, 3, 1_800, True)
    assert info.value.reason == Reason.INSUFFICIENT_FUNDS
    assert ch.digest() == before
    ch.check_order("p", S, -1, 3, 2_000, True)  # at the mark it only costs the fee


def test_deposit_cures_a_margin_call():
    ch = ccp(cure_period_ns=HOUR, hard_floor_bps=1_000)
    trade(ch, "a", "b", 80, 2_000)
    ch.set_index("SIT", 1_970_000, T, [])
    mark(ch, 1_970)
    ch.deposit("a", 500_000, T, [])
    out, liquidate = mark(ch, 1_970, T + HOUR)
    assert [e.kind for e in out if e.kind == "margin_call_cured"] == ["margin_call_cured"]
    assert liquidate == []


def test_default_waterfall_in_order_and_positions_allocated():
    ch = ccp(hard_floor_bps=9_000)
    trade(ch, "a", "b", 80, 2_000)
    ch.size_guarantee_fund(T, [])
    funds = {a: ch.ledger.balance("g:" + a) for a in "abc"}
    assert 0 < sum(funds.values()) <= ch.guarantee_fund_required
    ch.set_index("SIT", 1_700_000, T, [])
    for _ in range(3):
        out, liquidate = mark(ch, 1_700)
        if liquidate:
            break
    assert liquidate == ["a"]
    # nothing could be closed in the book: the position goes to b (the only opposite holder)
    out = []
    ch.finish_liquidation("a", T, out)
    assert ch.position("a", S) == 0 and ch.position("b", S) == 0
    layers = [e.layer for e in out if e.kind == "waterfall"]
    order = ["defaulter_margin", "defaulter_fund", "skin_in_the_game", "members_fund", "vm_haircut"]
    assert layers == [layer for layer in order if layer in layers] and layers
    assert all(isinstance(layer, WaterfallLayer) for layer in layers)
    assert ch.cash("a") == 0  # the loss was covered
    assert ch.account_summary("a")["defaulted"]
    ch.check()


def test_vm_haircut_takes_the_cycles_gains_and_leaves_no_survivor_negative():
    # no CCP capital and no fund: the haircut is the only layer left
    ch = ClearingHouse(ClearingConfig(ccp_capital=0, hard_floor_bps=5_000), margin=FlatMargin())
    out = []
    ch.list_contract(TERMS, T, out)
    ch.set_index("SIT", 2_000_000, T, out)
    for account in ("d", "g"):  # the gate is bypassed: neither posted cash
        ch.open_account(account, T, out)
    trade(ch, "d", "g", 10, 2_000)  # d pays the taker fee (200), g the maker fee (50)
    ch.set_index("SIT", 1_900_000, T, [])
    out, liquidate = mark(ch, 1_900)  # d loses 100,000 to g
    assert liquidate == ["d"] and ch.cash("g") == 100_000 - 50
    out = []
    ch.finish_liquidation("d", T, out)  # d's long goes to g at the mark
    haircut = [e for e in out if e.kind == "waterfall" and e.layer != "defaulter_margin"]
    assert [(e.layer, e.amount) for e in haircut] == [("vm_haircut", 99_950)]
    assert ch.cash("g") == 0  # gave back its gain, but only the cash it had
    assert ch.cash("d") == -(100_000 + 200 - 99_950)  # the rest is uncovered
    ch.check()


def test_final_settlement_closes_every_position():
    ch = ccp()
    trade(ch, "a", "b", 4, 2_000)
    trade(ch, "c", "a", 1, 2_010, tid=2)
    out = []
    ch.final_settlement(S, 2_050, T, out)
    assert ch.open_interest(S) == 0 and ch.position("a", S) == 0
    fs = [e for e in out if e.kind == "final_settlement"][0]
    assert (fs.price, fs.open_interest) == (2_050, 4)
    assert ch.cash("a") == 1_000_000 - 80 - 5 + (3 * 2_050 - (4 * 2_000 - 2_010)) * 100
    ch.check()


GPU_TERMS = ClearingTerms("GPUF27", "GPU", "GPU", 1_000, 100, 2027, 1, T + 1_000 * HOUR)
SCAN_SYMBOLS = [NEAR.symbol, S, GPU_TERMS.symbol]
lots = st.dictionaries(st.sampled_from(SCAN_SYMBOLS), st.integers(-50, 50), max_size=3)
working = st.dictionaries(st.sampled_from(SCAN_SYMBOLS), st.integers(0, 40), max_size=3)


@given(lots, working, working, st.integers(500, 5_000), st.integers(500, 5_000), st.integers(-30, 30))
def test_the_gates_cached_scan_equals_the_margin_models_reference(
        positions, buys, sells, sit_mark, gpu_mark, new_qty):
    model = default_margin_model()
    ch = ClearingHouse(ClearingConfig(), margin=model)
    for terms in (NEAR, TERMS, GPU_TERMS):
        ch.list_contract(terms, T, [])
    marks = {NEAR.symbol: sit_mark, S: sit_mark + 7, GPU_TERMS.symbol: gpu_mark}
    terms = {t.symbol: t for t in (NEAR, TERMS, GPU_TERMS)}
    # through the gate's own path (its cached unit risk arrays: the margin model's
    # `initial_with_orders`, tested against the reference in test_margin.py), with a new order
    # added to the working buys
    ch.marks.update(marks)
    ch.open_account("x", T, [])
    member = ch.members["x"]
    for symbol, qty in positions.items():
        member.positions.setdefault(symbol, Position()).qty = qty
    member.working = {s: [buys.get(s, 0), sells.get(s, 0)] for s in {*buys, *sells}}
    side, qty = (1, new_qty) if new_qty > 0 else (-1, -new_qty)
    with_order = dict(buys if side > 0 else sells)
    with_order[S] = with_order.get(S, 0) + qty
    expected = model.requirement_with_orders(
        {s: q for s, q in positions.items() if q}, with_order if side > 0 else buys,
        with_order if side < 0 else sells, marks, terms).initial
    for _ in range(2):  # the second pass reads the cached unit risk arrays
        assert ch.margins.initial_with_orders(member, S, side, qty) == expected


def _refused(call) -> Reason:
    with pytest.raises(Rejection) as info:
        call()
    return info.value.reason


def test_an_account_in_liquidation_may_only_reduce_and_not_withdraw():
    ch = ccp(hard_floor_bps=9_000)
    trade(ch, "a", "b", 80, 2_000)  # a long 80
    ch.set_index("SIT", 1_700_000, T, [])
    for _ in range(3):
        _, liquidate = mark(ch, 1_700)
        if liquidate:
            break
    assert liquidate == ["a"] and ch.members["a"].liquidating
    before = ch.digest()
    assert _refused(lambda: ch.check_order("a", S, 1, 1, 1_700, False)) == Reason.ACCOUNT_LIQUIDATING
    # selling down the position without the reduce-only flag is refused too: only the
    # close-out's reduce-only orders may trade
    assert _refused(lambda: ch.check_order("a", S, -1, 10, 1_700, False)) == Reason.ACCOUNT_LIQUIDATING
    assert _refused(lambda: ch.withdraw("a", 1, T, [])) == Reason.ACCOUNT_LIQUIDATING
    assert ch.digest() == before
    ch.check_order("a", S, -1, 10, 1_700, True)  # the close-out's own orders pass


def test_a_defaulted_account_can_neither_trade_nor_move_cash():
    ch = ccp(hard_floor_bps=9_000)
    trade(ch, "a", "b", 80, 2_000)
    ch.size_guarantee_fund(T, [])
    ch.set_index("SIT", 1_700_000, T, [])
    for _ in range(3):
        _, liquidate = mark(ch, 1_700)
        if liquidate:
            break
    ch.finish_liquidation("a", T, [])
    assert ch.account_summary("a")["defaulted"]
    before = ch.digest()
    assert _refused(lambda: ch.check_order("a", S, 1, 1, 1_700, False)) == Reason.ACCOUNT_DEFAULTED
    assert _refused(lambda: ch.check_order("a", S, -1, 1, 1_700, True)) == Reason.ACCOUNT_DEFAULTED
    assert _refused(lambda: ch.deposit("a", 100, T, [])) == Reason.ACCOUNT_DEFAULTED
    assert _refused(lambda: ch.withdraw("a", 1, T, [])) == Reason.ACCOUNT_DEFAULTED
    assert ch.digest() == before
