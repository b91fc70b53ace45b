"""One enum of rejection reasons for the whole venue.

It lives in `clearing/` only because that is the lowest package: the exchange, the
clearinghouse and the API all reject with these codes, and clearing may not import upward.
Codes are numbered in one range per subsystem (as exchange-core does):

    1xxx  validation of a command against the contract rules
    2xxx  pre-trade risk and clearing (margin, limits, accounts, cash)
    3xxx  matching (post-only, fill-or-kill, liquidity, stops)
    4xxx  orders and ids (unknown order, duplicates, amend rules)
    5xxx  trading state (halted, closed, expired)
    6xxx  access to the service: credentials, permissions, routes and methods, request bodies,
          keys, signatures, rate limits, idempotency

The *name* is the stable, machine-readable code that goes on the wire; the number orders
them and never changes once shipped. Each code maps to one RFC 9457 problem `type` URI.
"""

from __future__ import annotations

from enum import IntEnum


class Reason(IntEnum):
    # 1xxx validation
    UNKNOWN_SYMBOL = 1001
    PRICE_NOT_ON_TICK = 1002
    QTY_NOT_ON_LOT = 1003
    QTY_BELOW_MINIMUM = 1004
    QTY_ABOVE_MAXIMUM = 1005
    OUTSIDE_PRICE_BAND = 1006
    OUTSIDE_DAILY_LIMIT = 1007
    INVALID_PRICE = 1008
    MISSING_PRICE = 1009
    MISSING_STOP_PRICE = 1010
    INVALID_DISPLAY_QTY = 1011
    INVALID_TIME_IN_FORCE = 1012
    INVALID_EXPIRE_TIME = 1013
    NO_REFERENCE_PRICE = 1014
    INVALID_COMMAND = 1015
    INVALID_AMOUNT = 1016
    TIME_WENT_BACKWARDS = 1017
    INVALID_QUOTE = 1018

    # 2xxx risk, accounts and cash
    INSUFFICIENT_MARGIN = 2001
    POSITION_LIMIT = 2002
    REDUCE_ONLY_WOULD_INCREASE = 2003
    ACCOUNT_IN_MARGIN_CALL = 2004
    ACCOUNT_LIQUIDATING = 2005
    UNKNOWN_ACCOUNT = 2006
    INSUFFICIENT_FUNDS = 2007
    ACCOUNT_EXISTS = 2008
    ACCOUNT_DEFAULTED = 2009
    NO_CLEARING = 2010  # the venue runs with the permissive gate: no accounts, cash or marks

    # 3xxx matching
    WOULD_CROSS_POST_ONLY = 3001
    FOK_NOT_FILLABLE = 3002
    NO_LIQUIDITY = 3003
    STOP_ALREADY_TRIGGERED = 3004
    SELF_TRADE_PREVENTED = 3005
    WOULD_CROSS_IN_PRE_OPEN = 3006

    # 4xxx orders and ids
    UNKNOWN_ORDER = 4001
    DUPLICATE_CLIENT_ORDER_ID = 4002
    NOT_ORDER_OWNER = 4003
    AMEND_BELOW_FILLED = 4004
    AMEND_NOT_ALLOWED = 4005
    NOTHING_TO_AMEND = 4006

    # 5xxx trading state
    MARKET_HALTED = 5001
    MARKET_CLOSED = 5002
    MARKET_EXPIRED = 5003
    MARKET_NOT_OPEN = 5004
    INVALID_STATE_TRANSITION = 5005

    # 6xxx access (the API's own refusals: nothing reached the venue)
    PAYLOAD_TOO_LARGE = 6001
    JSON_TOO_DEEP = 6002
    INVALID_ENCODING = 6003
    INVALID_API_KEY = 6004
    API_KEY_REVOKED = 6005
    API_KEY_EXPIRED = 6006
    INSUFFICIENT_SCOPE = 6007
    ADMIN_ONLY = 6008
    INVALID_SIGNATURE = 6009
    STALE_REQUEST = 6010
    REPLAYED_REQUEST = 6011
    RATE_LIMITED = 6012
    IDEMPOTENCY_KEY_REUSED = 6013
    IDEMPOTENCY_KEY_IN_USE = 6014
    UNKNOWN_API_KEY = 6015
    # the API's general answers, where no more specific code above applies
    UNAUTHENTICATED = 6016  # 401: no credentials (INVALID_API_KEY: credentials, wrong)
    FORBIDDEN = 6017  # 403 (ADMIN_ONLY, INSUFFICIENT_SCOPE: the specific refusals)
    NOT_FOUND = 6018  # 404: no such route or file (UNKNOWN_*: no such symbol, order...)
    METHOD_NOT_ALLOWED = 6019  # 405, with the route's methods in the Allow header
    SERVICE_UNAVAILABLE = 6020  # 503: the service stopped taking orders (its journal failed)
    WRONG_INDEX_SOURCE = 6021  # 409: an index input the server's --index-source does not take
    NO_JOURNAL = 6022  # 409: what is rebuilt from the journal (audit trail, snapshots), on a server without one
    GATE_NOT_COPYABLE = 6023  # 409: the server's risk gate cannot be pickled for a replay or a snapshot
    UNKNOWN_CHANNEL = 6024  # 404: a WebSocket channel the server does not have

    @property
    def sentence(self) -> str:
        """The default human sentence; a rejection may carry a more specific one."""
        return _SENTENCES.get(self, self.name.replace("_", " ").capitalize() + ".")

    @property
    def problem_type(self) -> str:
        """RFC 9457 problem type URI for this code (one per code)."""
        return "urn:sitex:problem:" + self.name.lower().replace("_", "-")

    @property
    def subsystem(self) -> str:
        return _SUBSYSTEMS[self.value // 1000]


_SUBSYSTEMS = {1: "validation", 2: "risk", 3: "matching", 4: "orders", 5: "state", 6: "access"}

_SENTENCES = {
    Reason.UNKNOWN_SYMBOL: "No listed contract has this symbol.",
    Reason.PRICE_NOT_ON_TICK: "The price is not a whole number of ticks.",
    Reason.QTY_NOT_ON_LOT: "The quantity is not a whole number of lots.",
    Reason.QTY_BELOW_MINIMUM: "The quantity is below the contract's minimum order size.",
    Reason.QTY_ABOVE_MAXIMUM: "The quantity is above the contract's maximum order size.",
    Reason.OUTSIDE_PRICE_BAND: "The price is outside the dynamic price band around the reference price.",
    Reason.OUTSIDE_DAILY_LIMIT: "The price is beyond the daily price limit.",
    Reason.INVALID_PRICE: "The price must be a positive number of ticks.",
    Reason.MISSING_PRICE: "This order type needs a limit price.",
    Reason.MISSING_STOP_PRICE: "Stop orders need a stop price.",
    Reason.INVALID_DISPLAY_QTY: "The display quantity must be positive and below the order quantity.",
    Reason.INVALID_TIME_IN_FORCE: "This time in force is not allowed for this order type.",
    Reason.INVALID_EXPIRE_TIME: "A GTD order needs an expiry time in the future.",
    Reason.NO_REFERENCE_PRICE: "The contract has no reference price yet, so market orders cannot be protected.",
    Reason.INVALID_COMMAND: "The command is malformed.",
    Reason.INVALID_AMOUNT: "The amount must be a positive whole number of minor units.",
    Reason.TIME_WENT_BACKWARDS: "Command time is earlier than the venue's clock.",
    Reason.INVALID_QUOTE: "The provider quote is malformed or belongs to another index.",
    Reason.INSUFFICIENT_MARGIN: "Initial margin after this order would exceed the account's equity.",
    Reason.POSITION_LIMIT: "The order would breach a position limit.",
    Reason.REDUCE_ONLY_WOULD_INCREASE: "A reduce-only order may only reduce the position.",
    Reason.ACCOUNT_IN_MARGIN_CALL: "The account is under a margin call: only risk-reducing orders are accepted.",
    Reason.ACCOUNT_LIQUIDATING: "The account is being liquidated.",
    Reason.UNKNOWN_ACCOUNT: "No such account.",
    Reason.INSUFFICIENT_FUNDS: "The withdrawal exceeds the account's excess over initial margin.",
    Reason.ACCOUNT_EXISTS: "An account with this id already exists.",
    Reason.ACCOUNT_DEFAULTED: "The account has defaulted.",
    Reason.NO_CLEARING: "No clearinghouse is attached to this venue: it holds no accounts, cash or marks.",
    Reason.WOULD_CROSS_POST_ONLY: "A post-only order would have traded on arrival.",
    Reason.FOK_NOT_FILLABLE: "A fill-or-kill order could not be filled in full at once.",
    Reason.NO_LIQUIDITY: "There is nothing on the other side of the book within the protection price.",
    Reason.STOP_ALREADY_TRIGGERED: "The stop price is already through the last trade price.",
    Reason.SELF_TRADE_PREVENTED: "The order would have traded against the same account.",
    Reason.WOULD_CROSS_IN_PRE_OPEN: "Orders that would cross are not accepted before the open.",
    Reason.UNKNOWN_ORDER: "No live order has this id.",
    Reason.DUPLICATE_CLIENT_ORDER_ID: "This client order id has already been used by the account.",
    Reason.NOT_ORDER_OWNER: "The order belongs to another account.",
    Reason.AMEND_BELOW_FILLED: "The new quantity is not above the quantity already filled.",
    Reason.AMEND_NOT_ALLOWED: "This order cannot be amended that way.",
    Reason.NOTHING_TO_AMEND: "The amend changes nothing.",
    Reason.MARKET_HALTED: "Trading in this contract is halted.",
    Reason.MARKET_CLOSED: "The market for this contract is closed.",
    Reason.MARKET_EXPIRED: "This contract has expired.",
    Reason.MARKET_NOT_OPEN: "The market for this contract is not open.",
    Reason.INVALID_STATE_TRANSITION: "The contract cannot move to that trading state from its current one.",
    Reason.PAYLOAD_TOO_LARGE: "The request body is larger than the server accepts.",
    Reason.JSON_TOO_DEEP: "The JSON is nested deeper than the server accepts.",
    Reason.INVALID_ENCODING: "The request body is not valid UTF-8.",
    Reason.INVALID_API_KEY: "A valid API key is required.",
    Reason.API_KEY_REVOKED: "This API key has been revoked.",
    Reason.API_KEY_EXPIRED: "This API key has expired.",
    Reason.INSUFFICIENT_SCOPE: "This API key's scope does not allow the request.",
    Reason.ADMIN_ONLY: "This endpoint needs the admin key.",
    Reason.INVALID_SIGNATURE: "The request signature is missing or does not match.",
    Reason.STALE_REQUEST: "The request's timestamp is outside the receive window.",
    Reason.REPLAYED_REQUEST: "This signed request has already been received.",
    Reason.RATE_LIMITED: "Too many requests: wait before sending more.",
    Reason.IDEMPOTENCY_KEY_REUSED: "This Idempotency-Key was used with another request.",
    Reason.IDEMPOTENCY_KEY_IN_USE: "A request with this Idempotency-Key is still being processed.",
    Reason.UNKNOWN_API_KEY: "The account has no API key with this id.",
    Reason.UNAUTHENTICATED: "The request carries no credentials: send an API key (X-API-Key).",
    Reason.FORBIDDEN: "The credentials given do not allow this request.",
    Reason.NOT_FOUND: "Nothing is served at this path.",
    Reason.METHOD_NOT_ALLOWED: "This path does not take this method: the Allow header lists those it takes.",
    Reason.SERVICE_UNAVAILABLE: "The service has stopped taking requests that change state (its journal failed); reads still answer.",
    Reason.WRONG_INDEX_SOURCE: "This server's index source is another (--index-source): it does not take this index input.",
    Reason.NO_JOURNAL: "This server keeps no journal (--journal): what is rebuilt from it is unavailable.",
    Reason.GATE_NOT_COPYABLE: "This server's risk gate cannot be copied (pickled): no replay or snapshot can start from it.",
    Reason.UNKNOWN_CHANNEL: "The WebSocket has no channel of this name.",
}


class Rejection(Exception):
    """Raised inside the core to abandon a command; the venue turns it into a rejected event.

    Raised only before any state has changed, which is what makes "a rejected command
    changes nothing" hold.
    """

    __slots__ = ("reason", "text")

    def __init__(self, reason: Reason, text: str | None = None):
        self.reason = reason
        self.text = text or reason.sentence
        super().__init__(f"{reason.name}: {self.text}")
