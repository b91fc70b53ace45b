"""The event base type and the shared sequence counter.

Every state change in the venue is one event. Events are small slotted objects (cheap to
make on the hot path) with a gap-free `seq` assigned from one `Sequencer` that the venue
and the clearinghouse share, so the stream they write together has no holes. `ts` is the
command's time in integer nanoseconds since the Unix epoch (UTC): the core reads no clock.

Treat events as immutable: nothing writes to an event after it is made.
"""

from __future__ import annotations

from enum import Enum, IntEnum

from clearing.reasons import Reason


def event_dict(kind: str, names, values) -> dict:
    """The JSON-able form of any event (this module's and the exchange's tuple events)."""
    out: dict = {"kind": kind}
    for name, value in zip(names, values):
        if isinstance(value, IntEnum):
            value = value.name if isinstance(value, Reason) else int(value)
        elif isinstance(value, Enum):
            value = value.name
        out[name] = value
    return out


class Sequencer:
    """The last sequence number handed out. One per venue."""

    __slots__ = ("last",)

    def __init__(self, last: int = 0):
        self.last = last

    def next(self) -> int:
        self.last += 1
        return self.last


class Event:
    """Base of every event. Subclasses declare `__slots__` and a stable `kind` string."""

    __slots__ = ("seq", "ts")
    kind = "event"
    _fields: tuple[str, ...] = ("seq", "ts")

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        fields: list[str] = []
        for klass in reversed(cls.__mro__):
            for name in getattr(klass, "__slots__", ()):
                if name not in fields:
                    fields.append(name)
        cls._fields = tuple(fields)

    def to_dict(self) -> dict:
        """Plain JSON-able dict: `kind` first, then the fields in declaration order.

        A reason code becomes its name; other int enums (side, order type, time in force)
        become plain ints, so an event reads the same whether its command came from a live
        client (enums) or from a journal (ints).
        """
        return event_dict(self.kind, self._fields, [getattr(self, n) for n in self._fields])

    def astuple(self) -> tuple:
        return (self.kind,) + tuple(getattr(self, n) for n in self._fields)

    def __eq__(self, other):
        return type(self) is type(other) and self.astuple() == other.astuple()

    def __hash__(self):
        return hash(self.astuple())

    def __repr__(self):
        body = ", ".join(f"{n}={getattr(self, n)!r}" for n in self._fields)
        return f"{type(self).__name__}({body})"
