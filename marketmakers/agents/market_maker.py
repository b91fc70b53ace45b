"""Market makers: Avellaneda-Stoikov or Gueant-Lehalle-Fernandez-Tapia quotes around the
fundamental, a ladder on several levels, cancel/replace as the fundamental or the inventory
moves, an inventory limit, and market-maker protection (pull every quote after N fills in a
window, then pause), as venues offer registered makers.

A maker looks again when the fundamental moves by a tick (the session knows when that happens),
`reaction_s` after its own orders change (a fill, a cancel, its commands answered), and at
least every `wake_s` seconds; a look that finds nothing moved sends nothing.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from clearing import clearing_events as CE
from clearing.reasons import Reason
from exchange.events import Fill, OrderCancelled, OrderExpired, Rejected
from marketmakers.agents.base import NS, Agent, AgentParams
from marketmakers.obligations import Obligation
from marketmakers.quoting import *  # the quote models: C calls compiled (quoting.pxd)

_CHANGES = frozenset((Fill, OrderCancelled, OrderExpired, Rejected, CE.MarginCall,
                      CE.LiquidationStarted))


@dataclass(frozen=True)
class MarketMakerParams(AgentParams):
    wake_s: float = 5.0  # the longest it goes without a look
    reaction_s: float = 0.05  # from an event about its orders to its next look
    cash_usd: int = 5_000_000
    model: str = "as"  # "as" (Avellaneda-Stoikov) or "glft"
    gamma: float = 0.1  # risk aversion, per tick
    k: float = 0.5  # order arrivals decay as exp(-k d), d in ticks from the mid
    intensity: float = 0.5  # A: arrivals per second at the mid (GLFT)
    horizon_s: float = 600.0  # T - t of the AS model: a rolling horizon, seconds
    levels: int = 3  # ladder levels per side
    step_ticks: int = 2  # between ladder levels
    size: int = 15  # lots on the first level; inventory counts in units of this size
    size_growth: float = 1.5  # per level
    max_inventory: int = 200  # lots: the side that would go beyond stops quoting
    requote_ticks: int = 1  # move a quote when its target moved this far
    protect_fills: int = 8  # market-maker protection: this many fills ...
    protect_window_s: float = 1.0  # ... within this window pull all quotes ...
    protect_pause_s: float = 5.0  # ... for this long

    def __post_init__(self):
        super().__post_init__()
        if self.model not in ("as", "glft"):
            raise ValueError(f"model must be 'as' or 'glft', got {self.model!r}")
        if min(self.levels, self.step_ticks, self.size, self.max_inventory, self.requote_ticks,
               self.protect_fills) < 1:
            raise ValueError("levels, step_ticks, size, max_inventory, requote_ticks and "
                             "protect_fills must be >= 1")
        if self.gamma <= 0 or self.k <= 0 or self.intensity <= 0 or self.horizon_s < 0:
            raise ValueError("need gamma, k, intensity > 0 and horizon_s >= 0")


class MarketMaker(Agent):
    __slots__ = ("_fills", "_idle", "_last_key", "_move_at", "_reaction", "_wake_at", "changes",
                 "obligation", "p", "paused_until", "pulls", "session")
    kind = "market_maker"
    market_maker = True

    def __init__(self, name: str, params: MarketMakerParams, rng, obligation: Obligation):
        super().__init__(name, params, rng)
        self.p = params
        self.obligation = obligation
        self._fills: deque = deque()
        self.paused_until = 0
        self.pulls = 0  # times protection pulled the quotes
        self.session = None
        self._last_key = None
        self._idle = max(1, round(params.wake_s * NS))
        self._reaction = max(1, round(params.reaction_s * NS))
        self._wake_at = 0  # its one live wake-up; any other that fires is stale
        self._move_at: int | None = 0  # when the fundamental next moves a tick (None: never)
        self.changes = 0  # its resting orders changed under it (fills, cancels, refusals)

    def on_event(self, e) -> None:
        Agent.on_event(self, e)  # not super(): once per event
        cls = type(e)
        if cls is Rejected and e.reason != Reason.UNKNOWN_ORDER and e.account == self.account:
            # refused (a price beyond the daily limit or the band, margin...): asking again at
            # once would be refused again; it waits its idle time, or the next tick move
            if self.session is not None:
                self.paused_until = max(self.paused_until, self.session.now + self._idle)
            return
        if cls in _CHANGES:  # not its own acks: they only confirm what it asked for
            self.changes += 1
            if self.session is not None:
                self._look_soon()

    def on_response(self, events) -> None:
        Agent.on_response(self, events)
        if not self.in_flight and (self._last_key is None or self._last_key[2] != self.changes):
            self._look_soon()  # something moved while it waited for its answers

    def wake(self, session) -> None:
        if not self._wake_at or session.now < self._wake_at:
            return  # replaced by a sooner one (on a wall clock a wake-up comes a little late)
        self._wake_at = 0
        Agent.wake(self, session)

    def _reschedule(self, session) -> None:
        self._schedule(session, session.now + self._next_wake())

    def _schedule(self, session, at: int) -> None:
        if self.out or (self._wake_at and self._wake_at <= at):
            return
        self._wake_at = at
        session.wake_in(self, at - session.now)

    def _look_soon(self) -> None:
        self._schedule(self.session, self.session.now + self._reaction)

    def _next_wake(self) -> int:
        """Until the fundamental next moves a tick, or the longest idle time."""
        s = self.session
        now = s.now
        nxt = now + self._idle
        moves = self._move_at
        if moves is not None and moves <= now:  # passed: ask the session for the next one
            moves = self._move_at = s.next_fundamental_move(self.p.product, now)
        if moves is not None and moves < nxt:
            nxt = moves
        if now < self.paused_until < nxt:
            nxt = self.paused_until
        return max(1, nxt - now)

    def start(self, session) -> None:
        self.session = session
        Agent.start(self, session)

    def act(self, session) -> None:
        if self.in_flight or session.now < self.paused_until:
            return
        if self.margin_called:
            self.reduce_risk(session)
            return
        fundamental = session.fundamental_ticks(self.p.product)
        if fundamental is None:
            return  # nothing to quote around yet (a remote session before the first index)
        key = (round(fundamental), self.position(), self.changes)
        if key == self._last_key:
            return  # nothing it quotes on moved since its last look
        self._last_key = key  # (fundamental, position, changes) at its last look
        self.reconcile(session, self.target(session, fundamental))

    def target(self, session, mid: float) -> list[tuple[int, int, int]]:
        """(side, price, qty) of the ladder it wants now around the fundamental `mid` (ticks)."""
        p = self.p
        sigma = session.sigma_ticks_per_sqrt_s(p.product)
        q = self.position() / p.size
        if p.model == "as":
            bid, ask = avellaneda_stoikov(mid, q, sigma, p.gamma, p.k, p.horizon_s)
        else:
            bid, ask = gueant_lehalle_fernandez_tapia(mid, q, sigma, p.gamma, p.k, p.intensity)
        quote = to_ticks(bid, ask, self.position(), p.max_inventory)
        return ladder(quote, p.levels, p.step_ticks, p.size, p.size_growth)

    def reconcile(self, session, target: list[tuple[int, int, int]]) -> None:
        """Cancel/replace: pair its live orders with the target levels side by side (best
        first); amend the ones whose price moved, cancel the extra, place the missing."""
        symbol = self.symbol
        requote = self.p.requote_ticks
        bids: list = []
        asks: list = []
        for oid, o in self.orders.items():
            if o.symbol == symbol:
                (bids if o.side > 0 else asks).append((o.price, oid, o.remaining, o.qty))
        bids.sort(reverse=True)
        asks.sort()
        for side, have in ((1, bids), (-1, asks)):
            i = 0
            for s, price, qty in target:  # best first on each side
                if s != side:
                    continue
                if i < len(have):
                    old_price, oid, remaining, total = have[i]
                    if abs(old_price - price) >= requote:
                        session.amend(self, oid, qty=None, price=price)
                    elif remaining < qty:  # top a hit level up: the filled part stays counted
                        session.amend(self, oid, qty=total - remaining + qty, price=None)
                else:
                    session.limit(self, symbol, side, qty, price)
                i += 1
            for _, oid, _, _ in have[i:]:
                session.cancel(self, oid)

    def on_fill(self, fill) -> None:
        s = self.session
        if s is None:
            return
        now = s.now
        fills = self._fills
        fills.append(now)
        window = round(self.p.protect_window_s * NS)
        while fills and fills[0] < now - window:
            fills.popleft()
        if len(fills) >= self.p.protect_fills and now >= self.paused_until:
            self.paused_until = now + round(self.p.protect_pause_s * NS)
            self.pulls += 1
            fills.clear()
            s.cancel_all(self, self.symbol)
