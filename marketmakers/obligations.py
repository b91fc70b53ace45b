"""Market-maker obligations and their accounting.

A registered market maker must show a compliant two-sided quote for a minimum share of the
session: both sides present, its own ask minus its own bid at most `max_spread_ticks`, at least
`min_size` lots at each of those two prices. EEX has asked 80% presence; MiFID II requires at
least 50%. The tracker integrates compliance over simulated time from the maker's own top of
book, which the session updates whenever the maker's orders change; the state holds in between.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Obligation:
    max_spread_ticks: int = 20  # 0.020 USD on SIT futures
    min_size: int = 10  # lots at the bid and at the ask
    min_presence: float = 0.80  # share of the session

    def __post_init__(self):
        if self.max_spread_ticks < 1 or self.min_size < 1 or not 0.0 <= self.min_presence <= 1.0:
            raise ValueError("need max_spread_ticks >= 1, min_size >= 1, 0 <= min_presence <= 1")

    def compliant(self, bid: int | None, bid_size: int, ask: int | None, ask_size: int) -> bool:
        return (bid is not None and ask is not None and ask - bid <= self.max_spread_ticks
                and bid_size >= self.min_size and ask_size >= self.min_size)


@dataclass(frozen=True)
class ObligationReport:
    maker: str
    compliant_ns: int
    session_ns: int
    presence: float
    met: bool

    def to_dict(self) -> dict:
        return {"maker": self.maker, "presence": round(self.presence, 4), "met": self.met,
                "compliant_ns": self.compliant_ns, "session_ns": self.session_ns}


class ObligationTracker:
    """Compliance time of one maker between `start_ts` and `close(end_ts)` (ns), the hours the
    market was closed (`closed`) left out of both the compliant time and the session's."""

    def __init__(self, maker: str, obligation: Obligation, start_ts: int):
        self.maker = maker
        self.obligation = obligation
        self.start_ts = start_ts
        self._since = start_ts
        self._compliant = False
        self.compliant_ns = 0
        self.closed_ns = 0

    def closed(self, from_ts: int, to_ts: int) -> None:
        """The market was closed from `from_ts` to `to_ts` (a multi-day session's night): that
        time counts neither for nor against the maker."""
        self.update(from_ts, None, 0, None, 0)
        self.closed_ns += to_ts - from_ts
        self._since = to_ts

    def update(self, ts: int, bid: int | None, bid_size: int, ask: int | None, ask_size: int) -> None:
        """The maker's own best bid and ask (and sizes there) from `ts` on."""
        if ts < self._since:
            raise ValueError("updates must come in time order")
        if self._compliant:
            self.compliant_ns += ts - self._since
        self._since = ts
        self._compliant = self.obligation.compliant(bid, bid_size, ask, ask_size)

    def presence_until(self, ts: int) -> float:
        """Share of the time from the start to `ts` with a compliant quote (the state since the
        last update counted as it is)."""
        if ts <= self.start_ts + self.closed_ns:
            return 0.0
        compliant = self.compliant_ns + (ts - self._since if self._compliant and ts > self._since else 0)
        return compliant / (ts - self.start_ts - self.closed_ns)

    def close(self, end_ts: int) -> ObligationReport:
        self.update(end_ts, None, 0, None, 0)
        session = end_ts - self.start_ts - self.closed_ns
        presence = self.compliant_ns / session if session > 0 else 0.0
        return ObligationReport(self.maker, self.compliant_ns, session, presence,
                                presence >= self.obligation.min_presence)
