"""The clearing events' vocabularies: enums whose values are the strings the events always carried."""

import json

from support.flat_margin import FlatMargin

from clearing import clearing_events as CE
from clearing.clearing_events import (
    CashReason,
    LiquidationReason,
    MarkSource,
    WaterfallLayer,
)
from clearing.clearinghouse import BookTop, ClearingHouse
from clearing.config import ClearingConfig
from clearing.types import ClearedTrade, ClearingTerms


def test_liquidation_reasons_read_as_the_strings_they_stand_for():
    event = CE.LiquidationStarted(1, 2, "a", LiquidationReason.HARD_FLOOR)
    as_dict = event.to_dict()
    assert as_dict == {"kind": "liquidation_started", "seq": 1, "ts": 2, "account": "a", "reason": "hard_floor"}
    assert type(as_dict["reason"]) is str
    plain = CE.LiquidationStarted(1, 2, "a", "hard_floor")
    assert json.dumps(as_dict) == json.dumps(plain.to_dict())
    assert event == plain and str(LiquidationReason.CURE_PERIOD_EXPIRED) == "cure_period_expired"


def test_waterfall_layers_in_the_order_they_are_drawn_on():
    assert [layer.value for layer in WaterfallLayer] == [
        "defaulter_margin", "defaulter_fund", "skin_in_the_game", "members_fund", "vm_haircut"]
    event = CE.WaterfallUsed(3, 4, "d", WaterfallLayer.VM_HAIRCUT, 50)
    assert event.to_dict()["layer"] == "vm_haircut" and f"{event.layer}" == "vm_haircut"


T = 1_795_000_000 * 1_000_000_000
TERMS = ClearingTerms("SITF27", "SIT", "SIT", 1_000, 100, 2027, 1, T + 3_600 * 10**12)


def test_cash_reasons_and_mark_sources_are_the_strings_the_events_always_carried():
    assert [r.value for r in CashReason] == [
        "ccp_capital", "deposit", "withdrawal", "taker_fee", "maker_fee", "mm_rebate",
        "variation_margin", "guarantee_fund"]
    assert [s.value for s in MarkSource] == ["index+basis", "book", "last_trade", "previous",
                                            "final_settlement"]
    ch = ClearingHouse(ClearingConfig(), margin=FlatMargin())
    out = []
    ch.list_contract(TERMS, T, out)
    ch.mark_cycle(T, {"SITF27": BookTop(1_999, 2_001, None)}, out)  # no index yet: the book
    ch.set_index("SIT", 2_000_000, T, out)
    for account, mm in (("a", False), ("b", False), ("mm", True)):
        ch.open_account(account, T, out, market_maker=mm)
        ch.deposit(account, 1_000_000, T, out)
    ch.withdraw("b", 10, T, out)
    ch.on_fill(ClearedTrade(1, "SITF27", 2_000, 3, "a", "b", 1, T), out)
    ch.on_fill(ClearedTrade(2, "SITF27", 2_000, 1, "a", "mm", 1, T), out)
    ch.size_guarantee_fund(T, out)
    ch.mark_cycle(T, {"SITF27": BookTop(1_990, 2_010, 2_000)}, out)
    ch.final_settlement("SITF27", 2_050, T, out)
    reasons = {e.reason for e in out if e.kind == "cash_moved"}
    sources = [e.source for e in out if e.kind == "mark"]
    assert reasons == {r.value for r in CashReason}
    assert sources == ["book", "index+basis", "final_settlement"]
    # plain strings, as before the vocabularies were named: pickles, logs and JSON unchanged
    assert all(type(v) is str for v in reasons | set(sources))
