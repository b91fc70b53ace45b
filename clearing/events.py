"""The event base type and the shared sequence counter.

Every state change in the venue is one event. Events are small immutable objects (cheap to
make on the hot path: tuples with named fields, `TupleEvent`; the slotted `Event` for the
rare ones) with a gap-free `seq` assigned from one `Sequencer` that the venue and the
clearinghouse share, so the stream they write together has no holes. `ts` is the
command's time in integer nanoseconds since the Unix epoch (UTC): the core reads no clock.

Treat events as immutable: nothing writes to an event after it is made.
"""

from __future__ import annotations

from enum import Enum, IntEnum
from operator import itemgetter

from clearing.reasons import Reason

try:  # namedtuple's field descriptor: reads item i in C (a property over itemgetter calls one)
    from _collections import _tuplegetter
except ImportError:  # another Python: what namedtuple falls back to as well
    def _tuplegetter(index: int, doc: str):
        return property(itemgetter(index), doc=doc)


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


class TupleEvent(tuple):
    __slots__ = ()
    kind = "event"
    _fields: tuple[str, ...] = ("seq", "ts")

    def __new__(cls, *values):
        if len(values) != len(cls._fields):
            raise TypeError(f"{cls.__name__} takes {len(cls._fields)} fields, got {len(values)}")
        return tuple.__new__(cls, values)

    def __init_subclass__(cls, fields: tuple[str, ...] = (), **kwargs):
        super().__init_subclass__(**kwargs)
        cls._fields = ("seq", "ts") + tuple(fields)
        for i, name in enumerate(cls._fields):
            setattr(cls, name, _tuplegetter(i, name))

    def to_dict(self) -> dict:
        """Plain JSON-able dict: `kind` first, then the fields (reason codes by name, other
        int enums as ints), exactly as `Event.to_dict`."""
        return event_dict(self.kind, self._fields, self)

    def astuple(self) -> tuple:
        return (self.kind, *self)

    def __eq__(self, other):
        return type(self) is type(other) and tuple.__eq__(self, other)

    def __ne__(self, other):
        return not self.__eq__(other)

    __hash__ = tuple.__hash__

    def __repr__(self):
        body = ", ".join(f"{n}={v!r}" for n, v in zip(self._fields, self))
        return f"{type(self).__name__}({body})"

    def __getnewargs__(self):
        return tuple(self)
