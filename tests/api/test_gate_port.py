"""The service speaks to the venue's gate through the port (clearing/port.py) and never asks
whether a method exists: `clears` says whether accounts, cash and marks live in clearing."""

import ast
import asyncio
from pathlib import Path

import pytest

from api.service import Service
from clearing.factory import default_clearinghouse
from exchange.permissive_gate import PermissiveGate

API = Path(__file__).resolve().parents[2] / "api"
T0 = 1_795_000_000 * 1_000_000_000


def probes(path: Path) -> list[str]:
    """getattr/hasattr calls on something named like the gate."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                and node.func.id in ("getattr", "hasattr") and node.args
                and "gate" in ast.unparse(node.args[0])):
            found.append(f"{path.name}:{node.lineno}: {ast.unparse(node)}")
    return found


def test_no_module_of_the_api_probes_the_gate():
    assert [p for path in sorted(API.rglob("*.py")) for p in probes(path)] == []


def test_the_check_sees_a_probe(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("f = getattr(service.venue.gate, 'ledger_summary', None)\n")
    assert probes(bad) and not probes(API / "formatter.py")


@pytest.mark.parametrize("make_gate,clears", [(PermissiveGate, False),
                                              (default_clearinghouse, True)])
def test_accounts_marks_and_summaries_follow_clears(make_gate, clears):
    """Without clearing the service keeps the accounts itself (the venue refuses to open them),
    runs no mark cycle and shows empty money fields; with it, the clearinghouse's."""
    clock = {"t": T0}
    svc = Service(None, gate=make_gate(), clock=lambda: clock["t"])
    applied = []
    apply = svc._apply
    svc._apply = lambda cmd: applied.append(cmd.tag) or apply(cmd)

    async def go():
        await svc.start()
        account = await svc.open_account("a", False)
        applied.clear()
        clock["t"] += 1_000_000_000
        await svc.cycle()
        summary = svc.account_summary(account)
        await svc.stop()
        return account, summary

    account, summary = asyncio.run(go())
    assert svc.venue.gate.clears is clears
    assert account == "a" and svc.accounts == {"a": False}
    assert ("mark" in applied) is clears
    assert (summary["cash"] is None) is not clears and summary["positions"] == []
    ledger = svc.venue.gate.ledger_summary()
    assert (ledger is None) is not clears
