"""What an agent may call on the session it trades in: the clock, the public market data it
sees, reference data, and the venue commands a REST client would send.

Every session an agent runs in is one of these: the in-process market session
(marketmakers/session.py), the remote one that trades a running server over REST
(api/remote_session.py), and the tests' stand-in. Each says what the calls do; this class says
what they are. In the compiled build it is a C type whose methods are C calls, so the agents'
calls on the session (several per decision) cost a C call, not a Python method lookup; a
Python subclass's methods are still found and called.

Besides these methods a session has `now` (its clock, integer ns) and `listing_version` (moves
when a contract is listed or stops trading: an agent then looks its contract up again).
"""

from __future__ import annotations

from exchange.orders import TimeInForce

_GTC = TimeInForce.GTC


class SessionView:
    __slots__ = ("listing_version",)

    def symbol_for(self, product: str, expiry: int) -> str | None:
        """The product's `expiry`-th tradable contract (1 = the front month), or None."""
        raise NotImplementedError

    def listed(self, product: str) -> list[tuple[str, int]]:
        """The product's tradable expiries, nearest first: (symbol, last trade ts)."""
        raise NotImplementedError

    def wake_in(self, agent, delay_ns: int) -> None:
        """Call `agent.wake(session)` `delay_ns` from now."""
        raise NotImplementedError

    def top(self, symbol: str) -> tuple:
        """Public top of book as the agent sees it: (bid, lots, ask, lots, last trade)."""
        raise NotImplementedError

    def index_ticks(self, name: str) -> float | None:
        """The latest published value of the index `name` it has seen, in ticks."""
        raise NotImplementedError

    def fundamental_ticks(self, name: str = "SIT") -> float | None:
        """The fundamental price that market makers quote against, in ticks."""
        raise NotImplementedError

    def next_fundamental_move(self, name: str, ts: int) -> int | None:
        """When the fundamental next moves a whole tick after `ts` (None: unknown or never)."""
        raise NotImplementedError

    def sigma_ticks_per_sqrt_s(self, name: str = "SIT") -> float:
        """The fundamental's volatility now, in ticks per square root of a second."""
        raise NotImplementedError

    def limit(self, agent, symbol: str, side: int, qty: int, price: int, tif: int = _GTC) -> None:
        """A limit order (GTC unless `tif` says otherwise: exchange.orders.TimeInForce)."""
        raise NotImplementedError

    def market(self, agent, symbol: str, side: int, qty: int) -> None:
        """A market order (IOC, inside the venue's price protection)."""
        raise NotImplementedError

    def cancel(self, agent, order_id: int) -> None:
        raise NotImplementedError

    def amend(self, agent, order_id: int, qty: int | None = None, price: int | None = None) -> None:
        """A new quantity and/or price for a resting order (None: unchanged)."""
        raise NotImplementedError

    def cancel_all(self, agent, symbol: str | None = None) -> None:
        """Cancel all its orders (in `symbol`, or in every contract)."""
        raise NotImplementedError
