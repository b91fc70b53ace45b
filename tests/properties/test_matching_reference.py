"""Stateful: random command sequences through the venue and the reference matcher.

Both must give the same fills (maker, taker, price, qty), accept and reject the same commands
with the same reasons, and leave the same book. At every step the venue's invariants hold:
never crossed at rest, level sizes add up, every live order indexed once, sequence numbers
gap-free, FIFO within a level.
"""

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from exchange.commands import AmendOrder, CancelOrder, ListContracts, NewOrder
from exchange.contracts import SIT, with_rules
from exchange.events import Fill, OrderAccepted, OrderExpired, Rejected
from exchange.orders import STP, OrderType, TimeInForce
from exchange.venue import Venue
from support.reference_matcher import ReferenceMatcher, Reject

T0 = 1_795_000_000 * 1_000_000_000
SYMBOL = "SITF27"
ACCOUNTS = ["a", "b", "c"]
TIFS = {"GTC": TimeInForce.GTC, "IOC": TimeInForce.IOC, "FOK": TimeInForce.FOK}
STPS = {"cancel_newest": STP.CANCEL_NEWEST, "cancel_oldest": STP.CANCEL_OLDEST,
        "cancel_both": STP.CANCEL_BOTH, "decrement_and_cancel": STP.DECREMENT_AND_CANCEL}

prices = st.integers(min_value=990, max_value=1010)
qtys = st.integers(min_value=1, max_value=12)


class MatchingMachine(RuleBasedStateMachine):
    allocation = "fifo"

    def __init__(self):
        super().__init__()
        self.venue = Venue(products=(with_rules(SIT, allocation=self.allocation),))
        self.venue.submit(ListContracts(T0))
        self.ref = ReferenceMatcher(self.allocation)
        self.ts = T0
        self.fills: list[tuple] = []
        self.last_seq = self.venue.seq
        self.ids: list[int] = []
        self.expired: dict[int, str] = {}

    def _submit(self, cmd):
        events = self.venue.submit(cmd)
        for e in events:
            assert e.seq == self.last_seq + 1, "sequence numbers must be gap-free"
            self.last_seq = e.seq
            if isinstance(e, Fill):
                self.fills.append((e.maker_order_id, e.taker_order_id, e.price, e.qty))
            if isinstance(e, OrderAccepted):
                self.ids.append(e.order_id)
            if isinstance(e, OrderExpired):
                self.expired[e.order_id] = e.reason.name
        rejected = [e for e in events if isinstance(e, Rejected)]
        assert len(rejected) <= 1
        if rejected:
            assert len(events) == 1, "a rejected command changes nothing"
        return rejected[0].reason.name if rejected else None

    def _both(self, cmd, ref_call):
        self.ts += 1_000
        cmd.ts = self.ts
        digest_before = self.venue.digest(with_clock=False)
        got = self._submit(cmd)
        try:
            ref_call()
            want = None
        except Reject as r:
            want = r.reason
        assert got == want, f"venue: {got}, reference: {want}"
        if got is not None:
            assert self.venue.digest(with_clock=False) == digest_before, "a rejection changed state"
        assert self.fills == self.ref.fills
        assert self.expired == self.ref.expired

    @rule(account=st.sampled_from(ACCOUNTS), side=st.sampled_from([1, -1]), qty=qtys,
          price=prices, tif=st.sampled_from(list(TIFS)), post_only=st.booleans(),
          iceberg=st.booleans(), stp=st.sampled_from(list(STPS)))
    def limit(self, account, side, qty, price, tif, post_only, iceberg, stp):
        post_only = post_only and tif == "GTC"
        display = max(1, qty // 3) if iceberg and tif == "GTC" and qty > 1 else None
        cmd = NewOrder(0, account, SYMBOL, side, qty, price, OrderType.LIMIT, TIFS[tif],
                       display_qty=display, post_only=post_only, stp=STPS[stp])
        self._both(cmd, lambda: self.ref.new(account, side, qty, price, "limit", tif, post_only,
                                             display, stp))

    @rule(account=st.sampled_from(ACCOUNTS), side=st.sampled_from([1, -1]), qty=qtys,
          stp=st.sampled_from(list(STPS)), fok=st.booleans())
    def market(self, account, side, qty, stp, fok):
        tif = "FOK" if fok else "GTC"
        cmd = NewOrder(0, account, SYMBOL, side, qty, None, OrderType.MARKET, TIFS[tif],
                       stp=STPS[stp])
        self._both(cmd, lambda: self.ref.new(account, side, qty, None, "market", tif, False,
                                             None, stp))

    @precondition(lambda self: self.ids)
    @rule(data=st.data(), account=st.sampled_from(ACCOUNTS))
    def cancel(self, data, account):
        oid = data.draw(st.sampled_from(self.ids))
        self._both(CancelOrder(0, account, oid), lambda: self.ref.cancel(account, oid))

    @precondition(lambda self: self.ids)
    @rule(data=st.data(), account=st.sampled_from(ACCOUNTS),
          qty=st.none() | qtys, price=st.none() | prices)
    def amend(self, data, account, qty, price):
        oid = data.draw(st.sampled_from(self.ids))
        self._both(AmendOrder(0, account, oid, qty, price),
                   lambda: self.ref.amend(account, oid, qty, price))

    @invariant()
    def same_book_and_invariants(self):
        self.venue.check()
        book = self.venue.book(SYMBOL)
        for side in (1, -1):
            mine = [(o.order_id, o.price, o.remaining, o.visible) for o in book.orders(side)]
            assert mine == self.ref.book(side)
        # FIFO within a level: order ids only grow unless an iceberg refreshed or an amend
        # moved an order to the back, which the reference models explicitly (same book above)


class ProRataMachine(MatchingMachine):
    allocation = "pro_rata"


TestMatchingAgainstReference = MatchingMachine.TestCase
TestProRataAgainstReference = ProRataMachine.TestCase
