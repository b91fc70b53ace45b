"""The event base type and the shared sequence counter.

Every state change in the venue is one event. Events are small immutable objects (cheap to
make on the hot path: tuples with named fields, `TupleEvent`) with a gap-free `seq` assigned
from one `Sequencer` that the venue and the clearinghouse share, so the stream they write
together has no holes. `ts` is the command's time in integer nanoseconds since the Unix epoch
(UTC): the core reads no clock.

Treat events as immutable: nothing writes to an event after it is made.
"""

from __future__ import annotations

from enum import Enum, IntEnum, StrEnum
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
        elif isinstance(value, StrEnum):  # a vocabulary of strings: the string it stands for
            value = value.value
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
        int enums as ints, string enums as their strings)."""
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
