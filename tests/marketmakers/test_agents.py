"""The agents' decisions, against a tiny fake session that records the commands they send."""

import numpy as np
import pytest

from clearing import clearing_events as CE
from clearing.reasons import Reason
from exchange.events import Fill, OrderAccepted, Rejected
from marketmakers.agents.arbitrageur import Arbitrageur, ArbitrageurParams
from marketmakers.agents.base import IOC, NS
from marketmakers.agents.hedger import Hedger, HedgerParams
from marketmakers.agents.market_maker import MarketMaker, MarketMakerParams
from marketmakers.agents.mean_reversion import MeanReversion, MeanReversionParams
from marketmakers.agents.momentum import Momentum, MomentumParams
from marketmakers.agents.noise import Noise, NoiseParams
from marketmakers.agents.session_view import SessionView
from marketmakers.obligations import Obligation

SYM = "SITF27"
T0 = 1_000 * NS


class FakeSession(SessionView):
    """Only what agents call. Commands are recorded as tuples and count as in flight, as the
    real session counts them."""

    def __init__(self, fundamental=2000.0, top=(1999, 10, 2001, 10, 2000), index=2000.0):
        self.now = T0
        self.fundamental = fundamental
        self._top = top
        self.index = index
        self.sigma = 0.2
        self.calls: list[tuple] = []
        self.wakes: list[int] = []
        self.listing = [(SYM, T0 + 30 * 86_400 * NS), ("SITG27", T0 + 60 * 86_400 * NS)]
        self.listing_version = 0  # moves when contracts are listed or expire
        self.moves: list[int] = []  # when the fundamental moves a tick

    def _send(self, agent, *call):
        agent.in_flight += 1
        self.calls.append(call)

    def top(self, symbol):
        return self._top

    def index_ticks(self, name):
        return self.index

    def fundamental_ticks(self, name="SIT"):
        return self.fundamental

    def sigma_ticks_per_sqrt_s(self, name="SIT"):
        return self.sigma

    def next_fundamental_move(self, name, ts):
        return next((t for t in self.moves if t > ts), None)

    def limit(self, agent, symbol, side, qty, price, tif=None):
        self._send(agent, "limit", symbol, side, qty, price, tif)

    def market(self, agent, symbol, side, qty):
        self._send(agent, "market", symbol, side, qty)

    def cancel(self, agent, order_id):
        self._send(agent, "cancel", order_id)

    def amend(self, agent, order_id, qty=None, price=None):
        self._send(agent, "amend", order_id, qty, price)

    def cancel_all(self, agent, symbol=None):
        self._send(agent, "cancel_all", symbol)

    def listed(self, product):
        return list(self.listing)

    def symbol_for(self, product, expiry):
        return self.listing[expiry - 1][0] if 0 < expiry <= len(self.listing) else None

    def wake_in(self, agent, delay_ns):
        self.wakes.append(delay_ns)

    def take(self):
        calls, self.calls = self.calls, []
        return calls


def started(cls, params, session, **kw):
    agent = cls("a-1", params, np.random.default_rng(0), **kw)
    agent.start(session)
    return agent


def ack(agent, session, calls):
    """Answer each recorded limit order with an acceptance (ids from 1), as the venue would."""
    ids = []
    for call in calls:
        if call[0] == "limit":
            oid = 100 + len(agent.orders) + len(ids)
            _, symbol, side, qty, price, tif = call
            agent.on_response([OrderAccepted(1, session.now, oid, agent.account, symbol, side, 0,
                                             price, qty, None, tif, None, None, "new")])
            ids.append(oid)
        else:
            agent.on_response([])
    return ids


def position(agent, lots, symbol=SYM, account=None):
    agent.on_event(CE.PositionChanged(1, T0, account or agent.account, symbol, lots, 2000, lots))


def fill(agent, session, order_id, qty, remaining):
    agent.on_event(Fill(1, session.now, 7, SYM, 2000, qty, -1, order_id, agent.account, remaining,
                        999, "other", 0))


# ---------------------------------------------------------------------------- market maker

def maker(session, **kw):
    params = MarketMakerParams(**{"levels": 3, "step_ticks": 2, "size": 10, "size_growth": 1.0,
                                  "max_inventory": 50, **kw})
    return started(MarketMaker, params, session, obligation=Obligation())


def quotes(calls):
    bids = sorted((c[4] for c in calls if c[0] == "limit" and c[2] > 0), reverse=True)
    asks = sorted(c[4] for c in calls if c[0] == "limit" and c[2] < 0)
    return bids, asks


def test_a_refused_maker_waits_before_asking_again():
    """Quotes refused (beyond the daily limit after a jump, say) are not sent again at once:
    the maker waits its idle time or the next tick move, instead of a storm of refusals."""
    s = FakeSession(fundamental=2000.0)
    mm = maker(s, wake_s=5.0)
    mm.act(s)
    sent = s.take()
    assert len(sent) == 6
    for _ in sent:
        mm.on_response([Rejected(1, s.now, "new", mm.account, SYM, None, None,
                                 Reason.OUTSIDE_DAILY_LIMIT, "beyond the daily limit")])
    assert mm.paused_until == s.now + 5 * NS
    s.now += NS
    mm.act(s)
    assert s.take() == []  # paused
    s.now += 5 * NS
    s.fundamental += 1.0  # a tick later it tries again
    mm.act(s)
    assert len(s.take()) == 6


def test_the_maker_quotes_a_ladder_around_the_fundamental():
    s = FakeSession(fundamental=2000.0)
    mm = maker(s)
    mm.act(s)
    calls = s.take()
    bids, asks = quotes(calls)
    assert len(bids) == len(asks) == 3
    assert bids[0] < 2000 < asks[0]
    assert [bids[0] - b for b in bids] == [0, 2, 4] and [a - asks[0] for a in asks] == [0, 2, 4]
    assert all(c[3] == 10 for c in calls)
    assert abs((2000 - bids[0]) - (asks[0] - 2000)) <= 1  # flat: symmetric around the fundamental


def test_long_inventory_lowers_the_quotes_and_short_raises_them():
    found = {}
    for lots in (-30, 0, 30):
        s = FakeSession()
        mm = maker(s)
        if lots:
            position(mm, lots)
        mm.act(s)
        found[lots] = quotes(s.take())
    assert found[30][0][0] < found[0][0][0] < found[-30][0][0]  # best bids
    assert found[30][1][0] < found[0][1][0] < found[-30][1][0]  # best asks


def test_the_side_beyond_max_inventory_is_not_quoted():
    s = FakeSession()
    mm = maker(s)
    position(mm, 50)
    mm.act(s)
    bids, asks = quotes(s.take())
    assert bids == [] and len(asks) == 3
    s = FakeSession()
    mm = maker(s)
    position(mm, -50)
    mm.act(s)
    bids, asks = quotes(s.take())
    assert len(bids) == 3 and asks == []


def quoting_maker(**kw):
    s = FakeSession()
    mm = maker(s, **kw)
    mm.act(s)
    ack(mm, s, s.take())
    return s, mm


def test_nothing_moved_nothing_sent():
    s, mm = quoting_maker()
    mm.act(s)  # first look after the acks: the book is as it wants it
    mm.act(s)
    assert s.take() == []


def test_a_fundamental_move_of_requote_ticks_amends_every_level():
    s, mm = quoting_maker(requote_ticks=2)
    before = {oid: o.price for oid, o in mm.orders.items()}
    s.fundamental += 1  # less than requote_ticks: the quotes stay
    mm.act(s)
    assert s.take() == []
    s.fundamental += 2
    mm.act(s)
    calls = s.take()
    assert {c[0] for c in calls} == {"amend"}
    assert {c[1] for c in calls} == set(before)
    for _, oid, qty, price in calls:
        assert qty is None and price - before[oid] in (2, 3)  # moved up with the fundamental


def test_a_partly_filled_level_is_topped_up():
    s, mm = quoting_maker()
    mm.act(s)
    s.take()
    best_bid = max((oid for oid, o in mm.orders.items() if o.side > 0), key=lambda oid: mm.orders[oid].price)
    fill(mm, s, best_bid, 4, 6)
    assert mm.orders[best_bid].remaining == 6
    mm.act(s)
    calls = s.take()
    assert calls == [("amend", best_bid, 14, None)]  # filled 4 stay counted: 4 + a fresh 10


def test_protection_pulls_every_quote_after_n_fills_in_the_window_then_pauses():
    s, mm = quoting_maker(protect_fills=3, protect_window_s=1.0, protect_pause_s=5.0)
    ids = sorted(mm.orders)
    for i, oid in enumerate(ids[:3]):
        s.now = T0 + i * 300_000_000  # 3 fills within 0.6 s
        fill(mm, s, oid, 1, mm.orders[oid].remaining - 1)
    calls = s.take()
    assert calls == [("cancel_all", SYM)]
    assert mm.pulls == 1 and mm.paused_until == s.now + 5 * NS
    mm.on_response([])  # the cancel_all answered
    s.now += 4 * NS
    mm.act(s)
    assert s.take() == []  # paused
    s.now += 2 * NS
    mm.act(s)
    assert s.take() != []  # back to quoting


def test_fills_spread_wider_than_the_window_do_not_pull():
    s, mm = quoting_maker(protect_fills=3, protect_window_s=1.0)
    for i, oid in enumerate(sorted(mm.orders)[:3]):
        s.now = T0 + i * 2 * NS
        fill(mm, s, oid, 1, mm.orders[oid].remaining - 1)
    assert s.take() == [] and mm.pulls == 0


# ---------------------------------------------------------------------------- the others

def test_the_hedger_holds_its_strip_and_sells_out_an_expiry_within_roll_days():
    s = FakeSession()
    s.listing = [(SYM, T0 + 2 * 86_400 * NS), ("SITG27", T0 + 30 * 86_400 * NS),
                 ("SITH27", T0 + 60 * 86_400 * NS), ("SITJ27", T0 + 90 * 86_400 * NS)]
    h = started(Hedger, HedgerParams(monthly_lots=20, months=2, roll_days=5, clip=3,
                                     slippage_ticks=2), s)
    assert h.targets(s) == {SYM: 0, "SITG27": 20, "SITH27": 20, "SITJ27": 0}
    position(h, 8)  # still holds the expiring month: sell it first, a clip at a time
    h.act(s)
    assert s.take() == [("limit", SYM, -1, 3, 1999 - 2, IOC)]
    h.on_response([])
    position(h, 0)
    h.act(s)  # then build the strip, nearest first
    assert s.take() == [("limit", "SITG27", 1, 3, 2001 + 2, IOC)]
    h.on_response([])
    position(h, 20, "SITG27")
    h.act(s)
    assert s.take() == [("limit", "SITH27", 1, 3, 2001 + 2, IOC)]
    h.on_response([])
    position(h, 20, "SITH27")
    h.act(s)
    assert s.take() == []  # hedged: nothing to do


def test_momentum_goes_long_on_a_rising_mid():
    s = FakeSession(top=(1999, 10, 2001, 10, 2000))
    m = started(Momentum, MomentumParams(fast=0.5, slow=0.1, threshold_ticks=2, size=5), s)
    for mid in (2000, 2004, 2008, 2012):
        s._top = (mid - 1, 10, mid + 1, 10, mid)
        m.act(s)
    # fast/slow averages: 2002/2000.4 at 2004 (no signal), 2005/2001.16 at 2008 (+3.8 > 2):
    # buy through the ask it sees; later wake-ups wait for that order's answer
    assert s.take() == [("limit", SYM, 1, 5, 2009 + 1, IOC)]
    m.on_response([])
    position(m, 5)
    for mid in (2012, 2000, 1985, 1970):
        s._top = (mid - 1, 10, mid + 1, 10, mid)
        m.act(s)
    assert s.take()[0][:4] == ("limit", SYM, -1, 5)  # the trend turned: sell toward short


def test_mean_reversion_fades_a_deviation():
    s = FakeSession()
    m = started(MeanReversion, MeanReversionParams(alpha=0.05, threshold_ticks=4, size=5), s)
    m.act(s)  # the average starts at 2000
    s._top = (2009, 10, 2011, 10, 2010)  # 10 above: sell
    m.act(s)
    assert s.take() == [("limit", SYM, -1, 5, 2009 - 1, IOC)]
    m.on_response([])
    s._top = (1989, 10, 1991, 10, 1990)  # well below: buy
    m.act(s)
    call = s.take()[0]
    assert call[:4] == ("limit", SYM, 1, 5)


def test_the_arbitrageur_sells_a_rich_bid_and_buys_a_cheap_ask():
    s = FakeSession(index=2000.0)
    a = started(Arbitrageur, ArbitrageurParams(threshold_ticks=10, size=5), s)
    s._top = (2011, 3, 2013, 10, None)
    a.act(s)
    assert s.take() == [("limit", SYM, -1, 3, 2011, IOC)]  # at most what the bid shows
    a.on_response([])
    s._top = (1985, 10, 1989, 20, None)
    a.act(s)
    assert s.take() == [("limit", SYM, 1, 5, 1989, IOC)]
    a.on_response([])
    s._top = (1995, 10, 2005, 20, None)  # within the threshold, flat: nothing
    a.act(s)
    assert s.take() == []


def test_noise_cancels_its_oldest_order_beyond_max_open():
    s = FakeSession()
    n = started(Noise, NoiseParams(max_open=2, market_prob=0.0), s)
    for oid in (12, 9):
        n.on_event(OrderAccepted(1, T0, oid, n.account, SYM, 1, 0, 1990, 1, None, 0, None, None, "new"))
    n.act(s)
    calls = s.take()
    assert calls[0] == ("cancel", 9)
    assert calls[1][0] == "limit" and len(calls) == 2


def every_agent(session):
    return [
        started(MarketMaker, MarketMakerParams(), session, obligation=Obligation()),
        started(Hedger, HedgerParams(), session),
        started(Momentum, MomentumParams(), session),
        started(MeanReversion, MeanReversionParams(), session),
        started(Arbitrageur, ArbitrageurParams(), session),
        started(Noise, NoiseParams(), session),
    ]


@pytest.mark.parametrize("i", range(6))
def test_on_a_margin_call_every_agent_cancels_and_reduces(i):
    s = FakeSession()
    agent = every_agent(s)[i]
    s.take()
    agent.on_event(OrderAccepted(1, T0, 5, agent.account, SYM, 1, 0, 1990, 2, None, 0, None, None, "new"))
    position(agent, 10)
    agent.on_event(CE.MarginCall(1, T0, agent.account, 100, 200, 300, T0 + NS))
    assert agent.margin_called
    agent.act(s)
    assert s.take() == [("cancel_all", SYM), ("market", SYM, -1, 5)]
    agent.on_event(CE.MarginCallCured(1, T0, agent.account, 400, 200))
    assert not agent.margin_called


@pytest.mark.parametrize("i", range(6))
def test_an_agent_stops_after_liquidation_started(i):
    s = FakeSession()
    agent = every_agent(s)[i]
    agent.on_event(OrderAccepted(1, T0, 5, agent.account, SYM, 1, 0, 1990, 2, None, 0, None, None, "new"))
    agent.on_event(CE.LiquidationStarted(1, T0, agent.account, "hard_floor"))
    assert agent.out and agent.orders == {}
    s.take()
    s.wakes.clear()
    agent.wake(s)
    assert s.take() == [] and s.wakes == []  # no order, no further wake-up


def test_a_counterpartys_position_change_is_not_taken_for_ones_own():
    s = FakeSession()
    h = started(Hedger, HedgerParams(), s)
    h.on_response([
        Fill(1, T0, 1, SYM, 2001, 2, 1, 77, "market-maker-1", 8, 78, h.account, 0),
        CE.PositionChanged(2, T0, h.account, SYM, 2, 2001, 2),
        CE.PositionChanged(3, T0, "market-maker-1", SYM, -2, 2001, -2),
        CE.MarginCall(4, T0, "market-maker-1", 1, 2, 3, T0),
        OrderAccepted(5, T0, 79, "market-maker-1", SYM, -1, 0, 2001, 5, None, 0, None, None, "new"),
    ])
    assert h.position() == 2  # the maker's position, call and order are not the hedger's
    assert not h.margin_called and h.orders == {}
