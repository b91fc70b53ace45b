"""Member accounts at the clearinghouse: who may hold positions, their standing, and the one
place where cash moves and clearing events take their sequence numbers.

`Accounts` holds the members, the cash ledger and the sequencer shared with the venue; the
other parts of the clearinghouse (novation, marking, margins, default, settlement) are given
it and move cash and emit events only through it, so the stream stays gap-free and every
transfer has its `CashMoved` event.
"""

from __future__ import annotations

from clearing import clearing_events as E
from clearing.config import ClearingConfig
from clearing.events import Sequencer
from clearing.fast_events import *  # make(EventClass, values): see there
from clearing.ledger import CCP_CAPITAL, CCP_SKIN, EXTERNAL, Ledger, cash_key, fund_key
from clearing.reasons import Reason, Rejection
from clearing.types import usd

# the event made on the hot path, one per fee
CashMoved = E.CashMoved
# the reasons of the transfers made here, as the plain strings the events carry
_CCP_CAPITAL = E.CashReason.CCP_CAPITAL.value
_DEPOSIT = E.CashReason.DEPOSIT.value
_WITHDRAWAL = E.CashReason.WITHDRAWAL.value

VM_ACCOUNT = "ccp:vm"  # variation margin passes through here and nets to zero each cycle


class Position:
    __slots__ = ("qty", "marked_qty", "marked_price", "open_value")

    def __init__(self):
        self.qty = 0
        self.marked_qty = 0
        self.marked_price = 0
        self.open_value = 0  # sum of signed qty x price of fills since the last mark

    def unsettled(self, mark: int) -> int:
        """Variation margin in ticks x lots if marked at `mark` now."""
        return self.qty * mark - (self.marked_qty * self.marked_price + self.open_value)


_MEMBER_FIELDS = ("market_maker", "mm_in_good_standing", "call_deadline", "liquidating", "defaulted",
                  "positions", "working", "last_vm", "collateral_at_default")


class Member:
    """A member account at the clearinghouse: its standing, positions and working orders
    (a C type compiled: the pre-trade check and novation read it for every order and fill)."""

    __slots__ = _MEMBER_FIELDS

    def __init__(self, market_maker: bool = False):
        self.market_maker = market_maker
        self.mm_in_good_standing = True
        self.call_deadline: int | None = None  # ns, while a margin call runs
        self.liquidating = False
        self.defaulted = False
        self.positions: dict = {}  # symbol -> Position
        self.working: dict = {}  # symbol -> [buy lots, sell lots]
        self.last_vm = 0  # variation margin since the last mark cycle began (cents, + = gain)
        self.collateral_at_default = 0  # cash held when liquidation began (waterfall layer 1)

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in _MEMBER_FIELDS)
        return f"Member({fields})"


def open_positions(member: Member) -> dict:
    """symbol -> signed lots of the member's positions that are not flat."""
    return {s: p.qty for s, p in member.positions.items() if p.qty}


class Accounts:
    """The members, their cash and the CCP's own accounts in the ledger, and the sequencer."""

    def __init__(self, config: ClearingConfig, sequencer: Sequencer):
        self.config = config
        self.sequencer = sequencer
        self.ledger = Ledger()
        self.ledger.open(VM_ACCOUNT)
        self.members: dict[str, Member] = {}
        self.capitalised = False

    def emit(self, out: list, cls, ts: int, *fields) -> None:
        out.append(cls(self.sequencer.next(), ts, *fields))

    def move(self, source: str, target: str, amount: int, reason: str, account, ts: int,
             out: list) -> None:
        """One ledger transfer and its CashMoved event (made with `make`: one per fee)."""
        if amount:
            self.ledger.transfer(source, target, amount)
            out.append(make(CashMoved, (self.sequencer.next(), ts, source, target, amount, reason, account)))

    def member(self, account: str) -> Member:
        member = self.members.get(account)
        if member is None:
            raise Rejection(Reason.UNKNOWN_ACCOUNT, f"no account {account!r}")
        return member

    def cash(self, account: str) -> int:
        return self.ledger.balance(cash_key(account))

    def capitalise(self, ts: int, out: list) -> None:
        """The CCP's own capital comes in once; `skin_bps` of it sits in the waterfall."""
        if self.capitalised:
            return
        self.capitalised = True
        skin = self.config.skin_in_the_game
        self.move(EXTERNAL, CCP_SKIN, skin, _CCP_CAPITAL, None, ts, out)
        self.move(EXTERNAL, CCP_CAPITAL, self.config.ccp_capital - skin, _CCP_CAPITAL, None, ts, out)

    def open(self, account: str, ts: int, out: list, market_maker: bool = False) -> None:
        if type(account) is not str or not account or account.startswith(("ccp:", "external")):
            raise Rejection(Reason.INVALID_COMMAND, f"not a valid account id: {account!r}")
        if account in self.members:
            raise Rejection(Reason.ACCOUNT_EXISTS)
        self.capitalise(ts, out)
        self.members[account] = Member(market_maker=bool(market_maker))
        self.ledger.open(cash_key(account))
        self.ledger.open(fund_key(account))
        self.emit(out, E.AccountOpened, ts, account, bool(market_maker))

    def deposit(self, account: str, amount: int, ts: int, out: list) -> None:
        member = self.member(account)
        if member.defaulted:
            raise Rejection(Reason.ACCOUNT_DEFAULTED)
        if type(amount) is not int or amount <= 0:
            raise Rejection(Reason.INVALID_AMOUNT)
        self.move(EXTERNAL, cash_key(account), amount, _DEPOSIT, account, ts, out)

    def check_withdrawal(self, account: str, amount: int) -> None:
        """Who may withdraw and how much may be asked for; the room is the margins' to say."""
        member = self.member(account)
        if type(amount) is not int or amount <= 0:
            raise Rejection(Reason.INVALID_AMOUNT)
        if member.liquidating or member.defaulted:
            raise Rejection(Reason.ACCOUNT_LIQUIDATING if member.liquidating else Reason.ACCOUNT_DEFAULTED)

    def withdraw(self, account: str, amount: int, room: int, ts: int, out: list) -> None:
        """Pay out `amount` if it fits in `room` (Margins.withdrawable), after `check_withdrawal`."""
        if amount > room:
            raise Rejection(Reason.INSUFFICIENT_FUNDS,
                            f"{usd(max(room, 0))} USD can be withdrawn: the excess over initial margin, "
                            f"less variation-margin gains not paid yet")
        self.move(cash_key(account), EXTERNAL, amount, _WITHDRAWAL, account, ts, out)

    def set_market_maker_standing(self, account: str, good: bool, ts: int, out: list) -> None:
        member = self.member(account)
        if not member.market_maker:
            raise Rejection(Reason.INVALID_COMMAND, f"{account} is not a registered market maker")
        if type(good) is not bool:
            raise Rejection(Reason.INVALID_COMMAND, "good standing is true or false")
        member.mm_in_good_standing = good
        self.emit(out, E.MarketMakerStanding, ts, account, good)

    def position(self, account: str, symbol: str) -> int:
        member = self.members.get(account)
        pos = member.positions.get(symbol) if member else None
        return pos.qty if pos else 0
