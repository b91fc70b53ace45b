"""The clearing events' vocabularies: enums whose values are the strings the events always carried."""

import json

from clearing import clearing_events as CE
from clearing.clearing_events import LiquidationReason, WaterfallLayer


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
