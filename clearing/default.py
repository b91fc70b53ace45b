"""Margin calls, liquidation and default: what happens when an account cannot carry its positions.

After every mark cycle `margin_checks` compares each account's equity with its maintenance
margin: below it, a margin call with a cure period; below the hard floor (or a call not cured
by its deadline), liquidation. The venue closes a liquidated account out through its book
(`liquidation_plan`), then `finish_liquidation` allocates what is left at the mark to the
holders of opposite positions and runs any loss beyond the account's cash through the default
waterfall: its guarantee-fund contribution, the CCP's skin in the game, the other members'
contributions, then haircuts on the cycle's variation-margin gains. The guarantee fund those
layers draw on is sized here too (`size_guarantee_fund`, Cover-2).
"""

from __future__ import annotations

import math

from clearing import clearing_events as E
from clearing.account_margin import Margins
from clearing.accounts import Accounts, open_positions
from clearing.clearing_events import CashReason, LiquidationReason, WaterfallLayer
from clearing.config import BPS, ClearingConfig
from clearing.ledger import CCP_SKIN, cash_key, fund_key
from clearing.marking import Marking

_GUARANTEE_FUND = CashReason.GUARANTEE_FUND.value  # the plain string the events carry


class Default:
    def __init__(self, config: ClearingConfig, accounts: Accounts, marking: Marking, margins: Margins,
                 terms: dict):
        self.config = config
        self.accounts = accounts
        self.marking = marking
        self.margins = margins
        self.terms = terms
        self.guarantee_fund_required = 0

    # ------------------------------------------------------------------ margin calls

    def margin_checks(self, ts: int, out: list) -> list[str]:
        """Call, cure or liquidate each account against its margin; return those to liquidate."""
        cfg = self.config
        members = self.accounts.members
        liquidate: list[str] = []
        reasons: dict[str, LiquidationReason] = {}
        checked = [a for a in sorted(members) if not members[a].liquidating
                   and not members[a].defaulted and open_positions(members[a])]
        required = self.margins.requirements_of(checked)
        for account in sorted(members):
            member = members[account]
            if member.liquidating or member.defaulted or not open_positions(member):
                if member.call_deadline is not None and not open_positions(member):
                    member.call_deadline = None
                continue
            initial, maintenance = required[account]
            equity = self.marking.equity(account)
            below_floor = equity < maintenance * cfg.hard_floor_bps // BPS
            if member.call_deadline is not None:
                if equity >= initial:
                    member.call_deadline = None
                    self.accounts.emit(out, E.MarginCallCured, ts, account, equity, maintenance)
                elif below_floor:  # the floor does not wait for the cure period
                    liquidate.append(account)
                    reasons[account] = LiquidationReason.HARD_FLOOR
                elif ts >= member.call_deadline:
                    liquidate.append(account)
                    reasons[account] = LiquidationReason.CURE_PERIOD_EXPIRED
                continue
            if equity < maintenance:
                if below_floor:
                    liquidate.append(account)
                    reasons[account] = LiquidationReason.HARD_FLOOR
                    self.accounts.emit(out, E.MarginCall, ts, account, equity, maintenance, initial, ts)
                else:
                    member.call_deadline = ts + cfg.cure_period_ns
                    self.accounts.emit(out, E.MarginCall, ts, account, equity, maintenance, initial,
                                       member.call_deadline)
        for account in liquidate:
            member = members[account]
            member.liquidating = True
            member.collateral_at_default = max(0, self.accounts.cash(account))
            self.accounts.emit(out, E.LiquidationStarted, ts, account, reasons[account])
        return liquidate

    # ------------------------------------------------------------------ liquidation

    def liquidation_plan(self, account: str) -> list[tuple[str, int, int]]:
        """(symbol, side, qty) orders that would close every position of the account."""
        member = self.accounts.member(account)
        return [(s, -1 if q > 0 else 1, abs(q)) for s, q in sorted(open_positions(member).items())]

    def finish_liquidation(self, account: str, ts: int, out: list) -> None:
        """After the close-out through the book: allocate what is left at the mark to the
        holders of opposite positions (pro rata to their size, leftover lots by account id),
        settle, and run any loss beyond the account's cash through the default waterfall."""
        member = self.accounts.member(account)
        for symbol, qty in sorted(open_positions(member).items()):
            self._allocate(account, symbol, qty, ts, out)
        self.marking.settle_variation_margin(ts, out, False, new_cycle=False)
        loss = -self.accounts.cash(account)
        if loss > 0:
            self._waterfall(account, loss, ts, out)
        member.liquidating = False
        member.call_deadline = None

    def _allocate(self, account: str, symbol: str, qty: int, ts: int, out: list) -> None:
        members = self.accounts.members
        mark = self.marking.marks[symbol]
        holders = sorted((a, m.positions[symbol].qty) for a, m in members.items()
                         if a != account and symbol in m.positions and m.positions[symbol].qty * qty < 0)
        total = sum(abs(q) for _, q in holders)
        if total == 0:
            return
        shares = [(a, abs(q) * abs(qty) // total, abs(q)) for a, q in holders]
        left = abs(qty) - sum(s for _, s, _ in shares)
        alloc = []
        for a, s, cap in shares:
            extra = min(left, cap - s)
            left -= extra
            alloc.append((a, s + extra))
        sign = 1 if qty > 0 else -1
        for a, q in alloc:
            if not q:
                continue
            for who, signed in ((a, sign * q), (account, -sign * q)):
                pos = members[who].positions[symbol]
                pos.qty += signed
                pos.open_value += signed * mark
                self.accounts.emit(out, E.PositionChanged, ts, who, symbol, signed, mark, pos.qty)
            self.accounts.emit(out, E.PositionsAllocated, ts, account, symbol, sign * q, mark, a)

    # ------------------------------------------------------------------ the waterfall

    def cover_deficits(self, ts: int, out: list) -> None:
        """A member with no position left and negative cash cannot cure by trading: its
        deficit is a default and goes through the waterfall."""
        accounts = self.accounts
        for account in sorted(accounts.members):
            member = accounts.members[account]
            if not member.liquidating and not open_positions(member) and accounts.cash(account) < 0:
                self._waterfall(account, -accounts.cash(account), ts, out)

    def _waterfall(self, defaulter: str, loss: int, ts: int, out: list) -> None:
        """Defaulter's margin (already consumed: its cash is negative), its guarantee-fund
        contribution, the CCP's skin in the game, the others' contributions pro rata, then
        haircuts on the last cycle's variation-margin gains."""
        accounts = self.accounts
        balance = accounts.ledger.balance
        target = cash_key(defaulter)
        accounts.emit(out, E.AccountDefaulted, ts, defaulter, loss)
        member = accounts.members[defaulter]
        member.defaulted = True
        # layer 1: the defaulter's own margin, the cash it held when its liquidation began,
        # already consumed by the losses that left its cash at -loss
        accounts.emit(out, E.WaterfallUsed, ts, defaulter, WaterfallLayer.DEFAULTER_MARGIN,
                      member.collateral_at_default)
        layers = [(WaterfallLayer.DEFAULTER_FUND, [(fund_key(defaulter), balance(fund_key(defaulter)))]),
                  (WaterfallLayer.SKIN_IN_THE_GAME, [(CCP_SKIN, balance(CCP_SKIN))])]
        others = [(fund_key(a), balance(fund_key(a))) for a in sorted(accounts.members)
                  if a != defaulter and balance(fund_key(a)) > 0]
        layers.append((WaterfallLayer.MEMBERS_FUND, others))
        # a gainer gives back at most its gain, and never more than the cash it still has
        gains = [(cash_key(a), min(m.last_vm, accounts.cash(a))) for a, m in sorted(accounts.members.items())
                 if a != defaulter and m.last_vm > 0 and accounts.cash(a) > 0]
        layers.append((WaterfallLayer.VM_HAIRCUT, gains))
        for layer, sources in layers:
            if loss <= 0:
                break
            available = sum(max(0, amount) for _, amount in sources)
            take = min(loss, available)
            if take <= 0:
                continue
            shares = pro_rata(take, [max(0, a) for _, a in sources])
            for (source, _), share in zip(sources, shares):
                accounts.move(source, target, share, layer, defaulter, ts, out)
            accounts.emit(out, E.WaterfallUsed, ts, defaulter, layer, take)
            loss -= take

    # ------------------------------------------------------------------ the guarantee fund

    def size_guarantee_fund(self, ts: int, out: list) -> int:
        """Cover-2 (or Cover-1): the fund covers the default of the two (one) members with the
        largest uncovered stressed losses. A member's stressed loss is the worst, over extreme
        but plausible scenarios, of its positions' loss: every product moving up or down by
        `stress_multiple` scan ranges, or its one-off event cut in full. Uncovered = stressed
        loss less the initial margin it posts. Contributions are called from members' cash pro
        rata to their initial margin. Returns the required size."""
        cfg = self.config
        accounts = self.accounts
        needs = {}
        uncovered = []
        for account in sorted(accounts.members):
            initial, _ = self.margins.requirement(account)
            needs[account] = initial
            uncovered.append(max(0, self.stressed_loss(account) - initial))
        uncovered.sort(reverse=True)
        required = max(cfg.gf_minimum, sum(uncovered[:cfg.cover]))
        self.guarantee_fund_required = required
        total_im = sum(needs.values())
        if total_im:
            funded = [a for a in sorted(needs) if not accounts.members[a].defaulted]
            shares = pro_rata(required, [needs[a] for a in funded])
            for account, share in zip(funded, shares):
                have = accounts.ledger.balance(fund_key(account))
                want = share - have
                if want > 0:
                    want = min(want, max(0, accounts.cash(account)))
                    accounts.move(cash_key(account), fund_key(account), want, _GUARANTEE_FUND, account, ts, out)
                elif want < 0:
                    accounts.move(fund_key(account), cash_key(account), -want, _GUARANTEE_FUND, account, ts, out)
        accounts.emit(out, E.GuaranteeFundSized, ts, cfg.cover, required, uncovered[:cfg.cover],
                      accounts.ledger.balance(CCP_SKIN))
        return required

    def stressed_loss(self, account: str) -> int:
        """Loss in cents of the account's positions in the worst stress scenario, per product:
        +-`stress_multiple` scan ranges, or the product's event cut counted in full."""
        member = self.accounts.members[account]
        margin = self.margins.margin
        if margin is None:
            return 0
        by_product: dict[str, list[int]] = {}
        for symbol, qty in open_positions(member).items():
            terms = self.terms[symbol]
            mark = self.marking.marks.get(symbol) or self.marking.fair_value(symbol)
            if mark is None:
                continue
            params = margin.product_params(terms.product)
            move = math.ceil(params.scan_range * mark * self.config.stress_multiple_bps / BPS)
            cut = math.ceil(params.event_cut * mark)
            losses = by_product.setdefault(terms.product, [0, 0, 0])
            v = qty * terms.tick_value
            losses[0] += -v * move  # up
            losses[1] += v * move  # down
            losses[2] += v * cut  # event cut
        return sum(max(0, max(losses)) for losses in by_product.values())


def pro_rata(total: int, weights: list[int]) -> list[int]:
    """Split `total` in proportion to `weights`, rounding down, leftover units in list order."""
    s = sum(weights)
    if s == 0:
        return [0] * len(weights)
    shares = [total * w // s for w in weights]
    left = total - sum(shares)
    for i, w in enumerate(weights):
        if left == 0:
            break
        if w > 0:
            shares[i] += 1
            left -= 1
    return shares
