"""A double-entry cash ledger in integer minor units (cents).

Every movement is one `transfer` from one ledger account to another, so the sum of all
balances is zero at all times. Money enters and leaves through the `EXTERNAL` account (the
outside world: members' banks and the CCP's shareholders), which makes conservation one line:
what the clearinghouse holds equals what came in minus what went out.

Ledger accounts are plain strings:
    m:<id>        a member's cash (its posted collateral, gains and losses)
    g:<id>        a member's guarantee-fund contribution
    ccp:skin      the clearinghouse's capital committed to the waterfall (skin in the game)
    ccp:capital   the rest of the clearinghouse's capital
    ccp:fees      fee income
    external      the outside world

The ledger does not judge: callers check funds before they move them (member cash may be
negative while a loss waits for the default waterfall).
"""

from __future__ import annotations

EXTERNAL = "external"
CCP_SKIN = "ccp:skin"
CCP_CAPITAL = "ccp:capital"
FEES = "ccp:fees"


def cash_key(account: str) -> str:
    return "m:" + account


def fund_key(account: str) -> str:
    return "g:" + account


class Ledger:
    __slots__ = ("balances", "inflow", "outflow")

    def __init__(self):
        self.balances: dict[str, int] = {EXTERNAL: 0, CCP_SKIN: 0, CCP_CAPITAL: 0, FEES: 0}
        self.inflow = 0  # total ever moved in from EXTERNAL
        self.outflow = 0  # total ever moved out to EXTERNAL

    def open(self, key: str) -> None:
        self.balances.setdefault(key, 0)

    def balance(self, key: str) -> int:
        return self.balances[key]

    def transfer(self, source: str, target: str, amount: int) -> None:
        """Move `amount` cents from `source` to `target` (a negative amount moves it back).

        A move from an account to itself changes nothing, flows included."""
        if source == target:
            return
        balances = self.balances
        balances[source] -= amount
        balances[target] += amount
        if source == EXTERNAL:
            self.inflow += amount
        elif target == EXTERNAL:
            self.outflow += amount

    def held(self) -> int:
        """Everything inside the clearinghouse: all balances except the outside world."""
        return -self.balances[EXTERNAL]

    def check(self) -> None:
        assert all(type(v) is int for v in self.balances.values()), "a balance is not an integer"
        assert sum(self.balances.values()) == 0, "ledger does not balance"
        assert self.held() == self.inflow - self.outflow, "cash not conserved"
