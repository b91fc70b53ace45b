"""The clearinghouse's events: every cash movement, position change, mark, margin call,
liquidation step and settlement is one of these (see clearing/clearinghouse.py)."""

from __future__ import annotations

from enum import StrEnum

from clearing.events import TupleEvent


class LiquidationReason(StrEnum):
    """Why `LiquidationStarted`: the value is the string events, logs and digests carry."""

    CURE_PERIOD_EXPIRED = "cure_period_expired"  # a margin call not cured by its deadline
    HARD_FLOOR = "hard_floor"  # equity below the hard floor: no cure period


class WaterfallLayer(StrEnum):
    """A layer of the default waterfall, in the order it is drawn on (`WaterfallUsed.layer`,
    and the `CashMoved.reason` of the transfers it makes)."""

    DEFAULTER_MARGIN = "defaulter_margin"  # the defaulter's own cash, already consumed
    DEFAULTER_FUND = "defaulter_fund"  # its guarantee-fund contribution
    SKIN_IN_THE_GAME = "skin_in_the_game"  # the CCP's own capital at risk
    MEMBERS_FUND = "members_fund"  # the other members' contributions, pro rata
    VM_HAIRCUT = "vm_haircut"  # the last cycle's variation-margin gains, pro rata


class CashReason(StrEnum):
    """Why cash moved (`CashMoved.reason`), but for the default waterfall's transfers, whose
    reason is the WaterfallLayer they draw on. The events carry the value, a plain string, so
    the event log, the JSON and the digests read as they always have."""

    CCP_CAPITAL = "ccp_capital"  # the CCP's own capital, paid in once
    DEPOSIT = "deposit"
    WITHDRAWAL = "withdrawal"
    TAKER_FEE = "taker_fee"
    MAKER_FEE = "maker_fee"
    MM_REBATE = "mm_rebate"  # a market maker in good standing is paid for its resting liquidity
    VARIATION_MARGIN = "variation_margin"
    GUARANTEE_FUND = "guarantee_fund"  # a contribution called into (or paid back from) the fund


class MarkSource(StrEnum):
    """How a mark was made (`MarkSet.source`). The events carry the value, a plain string."""

    INDEX_BASIS = "index+basis"  # the index-implied fair value plus the smoothed book basis
    BOOK = "book"  # no index: the mid of a tight book
    LAST_TRADE = "last_trade"  # no index, no tight book: the last trade
    PREVIOUS = "previous"  # none of those: the previous mark
    FINAL_SETTLEMENT = "final_settlement"  # the final settlement price, the contract's last mark


def _event(name: str, kind: str, fields: tuple[str, ...], doc: str) -> type:
    """A TupleEvent class (seq, ts, *fields), made on the hot path with clearing.fast_events.make."""
    return type(name, (TupleEvent,), {"__slots__": (), "kind": kind, "__doc__": doc,
                                      "__module__": __name__, "__qualname__": name}, fields=fields)


AccountOpened = _event("AccountOpened", "account_opened", ("account", "market_maker"),
                       "A member account exists from now on.")
MarketMakerStanding = _event("MarketMakerStanding", "mm_standing", ("account", "good"),
                             "A market maker's standing with its obligations: the fee rebate "
                             "applies while it is good.")
CashMoved = _event("CashMoved", "cash_moved", ("source", "target", "amount", "reason", "account"),
                   "One ledger transfer in cents: deposit, withdrawal, fee, variation margin, "
                   "default waterfall, settlement.")
ContractCleared = _event("ContractCleared", "contract_cleared", ("symbol", "index_name"),
                         "The clearinghouse clears this contract from now on.")
PositionChanged = _event("PositionChanged", "position_changed",
                         ("account", "symbol", "qty", "price", "position"),
                         "Novation of one side of a fill: the account now faces the CCP.")
MarkSet = _event("MarkSet", "mark", ("symbol", "mark", "fair_value", "basis", "source"),
                 "The mark price of a contract (ticks) and how it was made.")
VariationMarginCycle = _event("VariationMarginCycle", "variation_margin",
                              ("end_of_day", "paid", "collected", "accounts"),
                              "A variation-margin cycle: gains paid equal losses collected.")
MarginCall = _event("MarginCall", "margin_call",
                    ("account", "equity", "maintenance", "initial", "deadline"),
                    "Equity fell below maintenance margin: cure by `deadline` (ns).")
MarginCallCured = _event("MarginCallCured", "margin_call_cured", ("account", "equity", "maintenance"),
                         "Equity is back at or above initial margin.")
LiquidationStarted = _event("LiquidationStarted", "liquidation_started", ("account", "reason"),
                            "The account's orders are cancelled and its positions closed out.")
PositionsAllocated = _event("PositionsAllocated", "positions_allocated",
                            ("account", "symbol", "qty", "price", "to"),
                            "What the book could not absorb, allocated at the mark to members.")
WaterfallUsed = _event("WaterfallUsed", "waterfall", ("defaulter", "layer", "amount"),
                       "One layer of the default waterfall absorbed part of a loss.")
AccountDefaulted = _event("AccountDefaulted", "account_defaulted", ("account", "loss"),
                          "The account's loss exceeded its resources.")
FinalSettlement = _event("FinalSettlement", "final_settlement",
                         ("symbol", "price", "open_interest"),
                         "Positions closed at the final settlement price (ticks).")
GuaranteeFundSized = _event("GuaranteeFundSized", "guarantee_fund",
                            ("cover", "required", "largest_losses", "skin_in_the_game"),
                            "The guarantee fund sized to cover the largest stressed losses.")
