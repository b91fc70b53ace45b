"""The clearinghouse's rulebook in one frozen dataclass.

Every number a risk analyst may want to change lives here, with its unit in the name or the
comment. Money is integer cents, time integer nanoseconds, ratios integer basis points
(1 bp = 1/10,000) so that no float ever touches cash.
"""

from __future__ import annotations

from dataclasses import dataclass

from clearing.types import CASH_SCALE, NS_PER_SECOND

BPS = 10_000  # basis points in one
NS_PER_HOUR = 3_600 * NS_PER_SECOND


@dataclass(frozen=True, slots=True)
class ClearingConfig:
    # Exchange fees, cents per contract, charged at novation.
    maker_fee: int = 5
    taker_fee: int = 20
    # Taken off the maker fee of a market maker in good standing with its obligations;
    # a rebate above the maker fee is a net payment to the market maker.
    mm_rebate: int = 10

    # Margin calls: time to cure before liquidation starts (simulated ns).
    cure_period_ns: int = 2 * NS_PER_HOUR
    # Hard floor: equity below this share of maintenance margin is liquidated at once,
    # without waiting for the cure period.
    hard_floor_bps: int = 5_000

    # Position limits in lots, on the worst case of working orders filling.
    position_limit: int = 5_000  # any one contract
    spot_month_limit: int = 1_000  # the nearest expiry of each product

    # The clearinghouse's own capital and the part of it that sits in the waterfall.
    ccp_capital: int = 5_000_000 * CASH_SCALE
    skin_bps: int = 2_500  # skin in the game: at least 25% of capital (EMIR art. 43/45)

    # Guarantee fund: Cover 2 (EMIR) by default, Cover 1 as an option.
    cover: int = 2
    gf_minimum: int = 1_000_000 * CASH_SCALE  # the fund is never sized below this
    # Stress scenarios for sizing: price moves of this many scan ranges, up and down, in
    # every product at once, plus each product's event-risk cut.
    stress_multiple_bps: int = 30_000  # 3 scan ranges

    # Marks: index-implied fair value plus a smoothed, clamped basis read from the book.
    basis_alpha_bps: int = 2_000  # weight of the new basis reading in the smoothing (EWMA)
    basis_clamp_bps: int = 300  # the basis never exceeds 3% of fair value
    max_spread_bps: int = 200  # a book mid counts only when bid-ask is at most 2% wide

    def __post_init__(self):
        checks = (
            (self.maker_fee >= 0 and self.taker_fee >= 0 and self.mm_rebate >= 0, "fees must be >= 0"),
            (self.cure_period_ns >= 0, "cure period must be >= 0"),
            (0 <= self.hard_floor_bps <= BPS, "hard floor must be within 0..10000 bps"),
            (self.position_limit > 0 and self.spot_month_limit > 0, "position limits must be > 0"),
            (self.ccp_capital >= 0, "CCP capital must be >= 0"),
            (2_500 <= self.skin_bps <= BPS, "skin in the game must be 25%..100% of capital"),
            (self.cover in (1, 2), "cover must be 1 or 2"),
            (self.gf_minimum >= 0, "guarantee fund minimum must be >= 0"),
            (self.stress_multiple_bps > 0, "stress multiple must be > 0"),
            (0 < self.basis_alpha_bps <= BPS, "basis smoothing weight must be within 1..10000 bps"),
            (self.basis_clamp_bps >= 0 and self.max_spread_bps >= 0, "mark bounds must be >= 0"),
        )
        for ok, message in checks:
            if not ok:
                raise ValueError(message)

    @property
    def skin_in_the_game(self) -> int:
        """Cents of CCP capital committed to the waterfall before members' fund."""
        return self.ccp_capital * self.skin_bps // BPS
