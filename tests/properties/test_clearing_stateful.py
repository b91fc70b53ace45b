"""Stateful: any sequence of deposits, withdrawals, orders and fills, index moves, mark cycles,
liquidations and defaults, expiries keeps the clearinghouse's invariants.

- positions per contract sum to zero; open interest after final settlement is zero
- cash is conserved: everything held equals deposits (and CCP capital) minus withdrawals
- each variation-margin cycle sums to zero (asserted inside every cycle as well)
- an account at or above initial margin is never called or liquidated; a liquidation without
  a prior call happens only below the hard floor
- the waterfall uses its layers in order, and no surviving account is left negative
- a rejected command changes nothing
"""

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from clearing.accounts import open_positions
from clearing.clearinghouse import BookTop, ClearingHouse
from clearing.config import ClearingConfig
from clearing.reasons import Rejection
from clearing.types import ClearedTrade, ClearingTerms
from support.flat_margin import FlatMargin

T = 1_795_000_000 * 1_000_000_000
HOUR = 3_600 * 1_000_000_000
ACCOUNTS = ["a", "b", "c", "d"]
LAYERS = ["defaulter_margin", "defaulter_fund", "skin_in_the_game", "members_fund", "vm_haircut"]


def terms(i):
    return ClearingTerms(f"SIT{i}", "SIT", "SIT", 1_000, 100, 2027, 1 + i, T + (100 + i) * HOUR)


class ClearingMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        # small CCP capital and no fund minimum, so that defaults reach every layer
        self.cfg = ClearingConfig(cure_period_ns=HOUR, hard_floor_bps=5_000, ccp_capital=40_000,
                                  gf_minimum=0)
        self.ch = ClearingHouse(self.cfg, margin=FlatMargin(1_100, 1_000))
        self.ts = T
        self.tid = 0
        self.index = 2_000
        self.symbols = []
        self.called: set[str] = set()
        out = []
        for i in range(2):
            self.ch.list_contract(terms(i), T, out)
            self.symbols.append(f"SIT{i}")
        self.ch.set_index("SIT", 2_000_000, T, out)
        for a in ACCOUNTS:  # every member starts with enough cash for a few lots
            self.ch.open_account(a, T, out)
            self.ch.deposit(a, 20_000, T, out)
        self.external = self.cfg.ccp_capital + 20_000 * len(ACCOUNTS)

    def _rejects_cleanly(self, call):
        before = self.ch.digest()
        try:
            call()
        except Rejection:
            assert self.ch.digest() == before, "a rejected command changed the clearinghouse"
            return False
        return True

    @rule(account=st.sampled_from(ACCOUNTS), amount=st.integers(-10, 200_000))
    def deposit(self, account, amount):
        if self._rejects_cleanly(lambda: self.ch.deposit(account, amount, self.ts, [])):
            self.external += amount

    @rule(account=st.sampled_from(ACCOUNTS), amount=st.integers(1, 200_000))
    def withdraw(self, account, amount):
        if self._rejects_cleanly(lambda: self.ch.withdraw(account, amount, self.ts, [])):
            self.external -= amount

    @rule(buyer=st.sampled_from(ACCOUNTS), seller=st.sampled_from(ACCOUNTS),
          qty=st.integers(1, 30), dp=st.integers(-20, 20), i=st.integers(0, 1),
          aggressor=st.sampled_from([1, -1]))
    def fill(self, buyer, seller, qty, dp, i, aggressor):
        if buyer == seller:
            return
        symbol = self.symbols[i] if i < len(self.symbols) else None
        if symbol is None:
            return
        ok = self._rejects_cleanly(lambda: self.ch.check_order(buyer, symbol, 1, qty, self.index + dp, False)) \
            and self._rejects_cleanly(lambda: self.ch.check_order(seller, symbol, -1, qty, self.index + dp, False))
        if ok:
            self.tid += 1
            self.ch.on_fill(ClearedTrade(self.tid, symbol, self.index + dp, qty, buyer, seller,
                                         aggressor, self.ts), [])

    @rule(move=st.integers(-150, 150))
    def index_moves(self, move):
        self.index = max(100, self.index + move)
        self.ch.set_index("SIT", self.index * 1_000, self.ts, [])

    @rule(hours=st.integers(0, 2), absorb=st.integers(0, 100))
    def mark_cycle(self, hours, absorb):
        self.ts += hours * HOUR
        out = []
        books = {s: BookTop(self.index - 1, self.index + 1, self.index) for s in self.symbols}
        liquidate = self.ch.mark_cycle(self.ts, books, out)
        for e in out:
            if e.kind == "margin_call":
                initial = self.ch.requirement(e.account)[0]
                assert self.ch.equity(e.account) < initial, "called at or above initial margin"
                self.called.add(e.account)
            if e.kind == "liquidation_started":
                assert e.account in self.called or e.reason == "hard_floor"
                initial = self.ch.requirement(e.account)[0]
                assert self.ch.equity(e.account) < initial, "liquidated at or above initial margin"
        for account in liquidate:
            self._close_out(account, absorb)

    def _accepts(self, account, symbol, side, qty, price):
        return self._rejects_cleanly(lambda: self.ch.check_order(account, symbol, side, qty, price, False))

    def _close_out(self, account, absorb_pct):
        """The venue's part: some of the close-out trades in the book against another member."""
        out = []
        for symbol, side, qty in self.ch.liquidation_plan(account):
            traded = qty * absorb_pct // 100
            price = self.ch.marks[symbol]
            # the book's side: the first member whose order the gate accepts
            others = [a for a in ACCOUNTS if a != account and traded and self._accepts(
                a, symbol, -side, traded, price)]
            if others:
                self.tid += 1
                buyer, seller = (others[0], account) if side < 0 else (account, others[0])
                self.ch.on_fill(ClearedTrade(self.tid, symbol, self.ch.marks[symbol], traded,
                                             buyer, seller, side, self.ts), out)
        self.ch.finish_liquidation(account, self.ts, out)
        layers = [e.layer for e in out if e.kind == "waterfall"]
        assert layers == [layer for layer in LAYERS if layer in layers], layers
        # strictly in order: a layer is used only when every layer before it is exhausted
        balance = self.ch.ledger.balance
        left = {
            "defaulter_margin": 0,  # its cash: already consumed when it defaults
            "defaulter_fund": balance("g:" + account),
            "skin_in_the_game": balance("ccp:skin"),
            "members_fund": sum(balance("g:" + a) for a in ACCOUNTS if a != account),
        }
        for layer in layers[:-1]:
            assert left[layer] == 0, f"{layer} not exhausted before the next layer"
        if layers:
            for layer in LAYERS[:LAYERS.index(layers[-1])]:
                assert layer in layers or left[layer] <= 0, f"{layer} skipped"
        self.called.discard(account)

    @rule()
    def size_guarantee_fund(self):
        self.ch.size_guarantee_fund(self.ts, [])

    @precondition(lambda self: self.symbols)
    @rule(dp=st.integers(-100, 100))
    def expire(self, dp):
        symbol = self.symbols.pop(0)
        self.ch.final_settlement(symbol, max(1, self.index + dp), self.ts, [])
        assert self.ch.open_interest(symbol) == 0

    @invariant()
    def invariants(self):
        self.ch.check()
        assert self.ch.ledger.held() == self.external, "cash not conserved"
        for a, member in self.ch.members.items():
            if not member.defaulted and not member.liquidating and not open_positions(member):
                assert self.ch.cash(a) >= 0, f"surviving account {a} left negative"


TestClearingStateful = ClearingMachine.TestCase
