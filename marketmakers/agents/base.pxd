# Cython declarations for the compiled build (setup.py; docs/benchmarks.md, "The compiled
# core"). The .py file beside this one is the source and stays the reference: interpreted, it
# runs as it is and these declarations are not read. Compiled, the classes below become C types
# with typed fields and the methods declared here C calls. Keep the two in step: a field the .py
# sets must be declared here. The test suite runs on the installed (compiled) build, and
# tests/test_compiled.py holds it to the pure source: same events, same state.
cimport cython

# the event kinds an agent keeps track of (C ints). The positions of the fields it reads stay
# Python ints: a tuple event is a tuple subclass, whose item slot is a slow generic one that a
# C index would go through; a Python int key takes tuple's own subscript.
cdef int _FILL, _SETTLED, _ACCEPTED, _POSITION, _GONE, _AMENDED, _REJECTED, _CALLED, _CURED, _LIQUIDATED
cdef dict _KINDS


cdef class Agent:
    cdef public object _listing, _waits, account, inbox_ts, latency, name, params, random, rng, symbol
    cdef public dict orders, positions
    cdef public long in_flight, rejections
    cdef public bint margin_called, out

    # the session's calls and the agent's own: C calls on the compiled kinds (a Python kind's
    # override is still found and called)
    cpdef wake(self, session)
    cpdef _reschedule(self, session)
    cpdef act(self, session)
    cpdef on_response(self, events)
    @cython.locals(kind=int, orders=dict, o=list)
    cpdef on_event(self, e)
    cpdef on_fill(self, fill)
    cpdef trade_toward(self, session, target, clip, slippage_ticks)
    cpdef reduce_risk(self, session)
    cpdef _filled(self, order_id, remaining)
    cpdef _next_wake(self)
    cpdef position(self, symbol=*)
