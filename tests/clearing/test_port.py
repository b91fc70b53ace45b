"""The clearinghouse implements the whole port (clearing/port.py), with the port's signatures."""

import importlib.util
import inspect
from pathlib import Path

import clearing
from clearing.clearinghouse import ClearingHouse
from clearing.port import ClearingPort
from clearing.risk_gate import RiskGate

PORT_METHODS = sorted(name for klass in (ClearingPort, RiskGate) for name, member in vars(klass).items()
                      if inspect.isfunction(member) and not name.startswith("_"))


def _source_class():
    """ClearingHouse as its .py source defines it: the compiled build's methods carry no
    signature to inspect (they are C methods), the source's do, and the two are one file."""
    path = Path(clearing.__file__).parent / "clearinghouse.py"
    spec = importlib.util.spec_from_file_location("clearinghouse_source", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.ClearingHouse


def test_the_port_declares_what_the_venue_and_the_service_ask():
    assert {"check_order", "on_working", "on_fill", "position", "mark", "ledger_summary",
            "mark_cycle", "final_settlement", "digest"} <= set(PORT_METHODS)
    assert "clears" in ClearingPort.__annotations__


def test_the_clearinghouse_has_every_member_of_the_port():
    missing = [name for name in PORT_METHODS if not callable(getattr(ClearingHouse, name, None))]
    assert missing == []
    assert ClearingHouse.clears is True


def test_every_method_has_the_ports_signature():
    source = _source_class()
    for name in PORT_METHODS:
        declared = inspect.signature(getattr(ClearingPort, name))
        implemented = inspect.signature(getattr(source, name))
        assert [(p.name, p.kind, p.default) for p in implemented.parameters.values()] == \
            [(p.name, p.kind, p.default) for p in declared.parameters.values()], name


def test_mark_reads_the_last_mark():
    ch = ClearingHouse()
    assert ch.mark("SITF27") is None
    ch.marks["SITF27"] = 2_000
    assert ch.mark("SITF27") == 2_000
    assert ch.ledger_summary()["guarantee_fund_required"] == 0
