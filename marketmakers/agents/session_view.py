"""What an agent may call on the session it trades in: the clock, the public market data it
sees, reference data, and the venue commands a REST client would send.

Every session an agent runs in is one of these: the in-process market session
(marketmakers/session.py), the remote one that trades a running server over REST
(api/remote_session.py), the hedging study's compressed market, and the tests' stand-in.
Each says what the calls do; this Protocol says what they are (a session may subclass it to
say so, or only match it).
"""

from __future__ import annotations

from typing import Protocol

from exchange.orders import TimeInForce

_GTC = TimeInForce.GTC


class SessionView(Protocol):
    __slots__ = ()  # a slotted implementer (hedging/market_runner.py's view) stays without a __dict__
    now: int  # the session's clock, integer ns
    listing_version: int  # moves when a contract is listed or stops trading: look it up again

    def symbol_for(self, product: str, expiry: int) -> str | None:
        """The product's `expiry`-th tradable contract (1 = the front month), or None."""
        ...

    def listed(self, product: str) -> list[tuple[str, int]]:
        """The product's tradable expiries, nearest first: (symbol, last trade ts)."""
        ...

    def wake_in(self, agent, delay_ns: int) -> None:
        """Call `agent.wake(session)` `delay_ns` from now."""
        ...

    def top(self, symbol: str) -> tuple:
        """Public top of book as the agent sees it: (bid, lots, ask, lots, last trade)."""
        ...

    def index_ticks(self, name: str) -> float | None:
        """The latest published value of the index `name` it has seen, in ticks."""
        ...

    def fundamental_ticks(self, name: str = "SIT") -> float | None:
        """The fundamental price that market makers quote against, in ticks."""
        ...

    def next_fundamental_move(self, name: str, ts: int) -> int | None:
        """When the fundamental next moves a whole tick after `ts` (None: unknown or never)."""
        ...

    def sigma_ticks_per_sqrt_s(self, name: str = "SIT") -> float:
        """The fundamental's volatility now, in ticks per square root of a second."""
        ...

    def limit(self, agent, symbol: str, side: int, qty: int, price: int, tif: int = _GTC) -> None:
        """A limit order (GTC unless `tif` says otherwise: exchange.orders.TimeInForce)."""
        ...

    def market(self, agent, symbol: str, side: int, qty: int) -> None:
        """A market order (IOC, inside the venue's price protection)."""
        ...

    def cancel(self, agent, order_id: int) -> None:
        ...

    def amend(self, agent, order_id: int, qty: int | None = None, price: int | None = None) -> None:
        """A new quantity and/or price for a resting order (None: unchanged)."""
        ...

    def cancel_all(self, agent, symbol: str | None = None) -> None:
        """Cancel all its orders (in `symbol`, or in every contract)."""
        ...
