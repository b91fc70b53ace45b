# Cython declarations for the compiled build (setup.py; docs/benchmarks.md, "The compiled
# core"). The .py file beside this one is the source and stays the reference: interpreted, it
# runs as it is and these declarations are not read. Compiled, the classes below become C types
# with typed fields and the methods declared here C calls. Keep the two in step: a field the .py
# sets must be declared here. The test suite runs on the installed (compiled) build, and
# tests/test_compiled.py holds it to the pure source: same events, same state.
cimport cython

from marketmakers.agents.base cimport Agent, OpenOrder
from marketmakers.quoting cimport avellaneda_stoikov, gueant_lehalle_fernandez_tapia, ladder, to_ticks


cdef class MarketMaker(Agent):
    cdef public object _fills, _idle, _last_key, _move_at, _reaction, _wake_at, changes
    cdef public object obligation, p, paused_until, pulls, session

    cpdef on_event(self, e)
    cpdef on_response(self, events)
    cpdef wake(self, session)
    cpdef _reschedule(self, session)
    cpdef _schedule(self, session, at)
    cpdef _look_soon(self)
    cpdef _next_wake(self)
    cpdef act(self, session)
    cpdef target(self, session, mid)
    @cython.locals(o=OpenOrder)
    cpdef reconcile(self, session, target)
    cpdef on_fill(self, fill)
