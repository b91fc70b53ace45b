"""The permissive gate implements the whole clearing port: what it cannot do it refuses with
NO_CLEARING, what it has nothing to do for it takes, and its reads are empty."""

import inspect

import pytest

from clearing.port import ClearingPort
from clearing.reasons import Reason, Rejection
from clearing.trade import ClearedTrade
from exchange.contracts import SIT, listing_calendar
from exchange.permissive_gate import PermissiveGate

T = 1_700_000_000 * 1_000_000_000


def port_members() -> list[str]:
    """Every member ClearingPort declares (its own and RiskGate's), methods and attributes."""
    names = set()
    for cls in ClearingPort.__mro__:
        if cls.__module__.startswith("clearing."):
            names.update(n for n in vars(cls) if not n.startswith("_"))
            names.update(getattr(cls, "__annotations__", {}))
    return sorted(names)


def test_the_port_declares_what_the_venue_calls():
    assert {"clears", "check_order", "on_fill", "open_account", "mark_cycle", "digest"} <= set(port_members())


@pytest.mark.parametrize("name", port_members())
def test_the_gate_implements_every_member_of_the_port_with_its_signature(name):
    declared = getattr(ClearingPort, name, None)
    mine = getattr(PermissiveGate, name)
    if not callable(declared):  # an attribute: `clears`
        assert type(mine) is bool
        return
    theirs, ours = inspect.signature(declared), inspect.signature(mine)
    assert ours.parameters == theirs.parameters, name  # names, order, kinds, defaults, types
    # (a compiled cpdef method, on_fill, keeps its parameters' annotations but not its return's)
    assert ours.return_annotation in (theirs.return_annotation, inspect.Signature.empty), name


def test_the_gate_does_not_clear():
    assert PermissiveGate.clears is False and PermissiveGate().clears is False


def refused(call) -> Rejection:
    with pytest.raises(Rejection) as info:
        call()
    assert info.value.reason == Reason.NO_CLEARING and info.value.text
    return info.value


@pytest.mark.parametrize("call", [
    lambda g, out: g.open_account("a", T, out),
    lambda g, out: g.open_account("a", T, out, market_maker=True),
    lambda g, out: g.deposit("a", 100, T, out),
    lambda g, out: g.withdraw("a", 1, T, out),
    lambda g, out: g.set_market_maker_standing("a", False, T, out),
    lambda g, out: g.mark_cycle(T, {}, out),
    lambda g, out: g.mark_cycle(T, {}, out, end_of_day=True),
    lambda g, out: g.liquidation_plan("a"),
    lambda g, out: g.finish_liquidation("a", T, out),
], ids=["open_account", "open_account_mm", "deposit", "withdraw", "standing", "mark_cycle",
        "mark_cycle_eod", "liquidation_plan", "finish_liquidation"])
def test_what_needs_a_clearinghouse_is_refused_with_no_clearing(call):
    gate = PermissiveGate()
    out = []
    before = gate.digest()
    refused(lambda: call(gate, out))
    assert out == [] and gate.digest() == before


def test_wiring_listing_index_and_settlement_are_nothing_to_do():
    gate = PermissiveGate()
    out = []
    gate.bind_sequencer(object())
    spec = listing_calendar(SIT, T)[0]
    gate.list_contract(spec.clearing_terms(), T, out)
    gate.set_index("SIT", 2_000_000, T, out)
    gate.final_settlement(spec.symbol, 2_000, T, out)
    assert out == [] and gate.settlement_price(spec.symbol) is None


def test_reads_are_empty_but_positions_are_kept():
    gate = PermissiveGate()
    gate.on_fill(ClearedTrade(1, "SITZ6", 2_000, 3, "b", "s", 1, T), [])
    assert gate.position("b", "SITZ6") == 3 and gate.position("s", "SITZ6") == -3
    assert gate.positions("b") == {"SITZ6": 3} and gate.positions("nobody") == {}
    assert gate.equity("b") == 0 and gate.mark("SITZ6") is None
    assert gate.position_marks("b") == {} and gate.account_summary("b") == {}
    assert gate.ledger_summary() is None
