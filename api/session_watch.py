"""What the dashboard's session panel shows, kept by the service once a cycle.

A server with the simulated provider feed runs a market session of its own: the providers
quote around a jump-diffusion fundamental, and the SIT index is made from their quotes. So it
knows the fundamental (the dashboard draws it beside the index and the futures price), and it
can watch its registered market makers' obligations as a venue does: each cycle it samples
every market maker's own best bid and ask in the obligation contract (the second SIT expiry,
where `sitex agents` and the sessions' makers quote) and integrates the time their quote was
compliant (marketmakers/obligations.py, the same rule as an in-process session, here sampled
once a cycle instead of at every change). The risk events (margin calls, liquidations,
defaults, the default waterfall's use) are counted by the order store from the event stream.
Nothing here is journaled: a restart starts the fundamental's history and the makers'
presence afresh.
"""

from __future__ import annotations

from collections import defaultdict, deque
from functools import partial

from marketmakers.obligations import Obligation, ObligationTracker
from marketmakers.venue_port import LocalVenue

HISTORY = 500  # fundamental points kept per index (one a cycle)
OBLIGATION_EXPIRY = 2  # the second listed SIT expiry


class SessionWatch:
    def __init__(self, obligation: Obligation | None = None):
        self.obligation = obligation or Obligation()
        self.fundamental: dict[str, deque] = defaultdict(partial(deque, maxlen=HISTORY))
        self.trackers: dict[str, ObligationTracker] = {}
        self.symbol: str | None = None  # the obligation contract
        self.compliant: dict[str, bool] = {}  # market maker -> its quote at the last sample
        self.last_ts = 0

    def record_fundamental(self, ts: int, prices: dict[str, float]) -> None:
        """The feed's fundamental prices (USD per million SIT, per GPU-hour) at `ts`."""
        for name, usd in prices.items():
            self.fundamental[name].append((ts, usd))

    def sample_makers(self, ts: int, venue, makers: list[str]) -> None:
        """Each market maker's own top of book in the obligation contract, from `ts` on."""
        port = LocalVenue(venue)
        listed = port.listed("SIT")
        symbol = listed[OBLIGATION_EXPIRY - 1][0] if len(listed) >= OBLIGATION_EXPIRY else None
        if symbol != self.symbol:  # a roll: the presence counts from the new contract's start
            self.symbol, self.trackers, self.compliant = symbol, {}, {}
        if symbol is None:
            return
        self.last_ts = ts  # (the service's clock never goes backwards)
        for account in makers:
            tracker = self.trackers.get(account)
            if tracker is None:
                tracker = self.trackers[account] = ObligationTracker(account, self.obligation, ts)
            top = port.own_top(account, symbol)
            tracker.update(ts, *top)
            self.compliant[account] = self.obligation.compliant(*top)

    def makers_view(self) -> list[dict]:
        out = []
        for account, t in sorted(self.trackers.items()):
            presence = t.presence_until(self.last_ts)
            out.append({"account": account, "symbol": self.symbol,
                        "compliant": self.compliant.get(account, False),
                        "presence": round(presence, 4),
                        "met": presence >= self.obligation.min_presence})
        return out

    def fundamental_view(self, name: str, points: int) -> list[dict]:
        return [{"timestamp": ts, "value": f"{usd:.6f}"}
                for ts, usd in list(self.fundamental.get(name, ()))[-points:]]
