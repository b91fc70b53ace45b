"""`make(EventClass, values)`: an event (clearing.events.TupleEvent) from all its field values,
on the hot path (the exchange's and the clearinghouse's).

Interpreted, `make` is `tuple.__new__` itself. In the compiled build, fast_events.pxd gives the
modules that import it a C function instead that does what `tuple.__new__` does for a tuple
subclass (allocate, copy the items) without its call and argument parsing (docs/benchmarks.md).
Neither counts the fields: the caller passes every one, in order. The modules take the name with
`from clearing.fast_events import *`, the one import form that lets the compiled modules'
`cimport` of the C function stand beside it.
"""

__all__ = ["make"]

make = tuple.__new__
