# Cython declarations for the compiled build (setup.py; docs/benchmarks.md, "The compiled
# core"). The .py file beside this one is the source and stays the reference: interpreted, it
# runs as it is and these declarations are not read. Compiled, the classes below become C types
# with typed fields and the methods declared here C calls. Keep the two in step: a field the .py
# sets must be declared here. The test suite runs on the installed (compiled) build, and
# tests/test_compiled.py holds it to the pure source: same events, same state.
cimport cython

# the event kinds an agent keeps track of (C ints)
cdef int _FILL, _SETTLED, _ACCEPTED, _POSITION, _GONE, _AMENDED, _REJECTED, _CALLED, _CURED, _LIQUIDATED
cdef dict _KINDS


# an agent's open order, a C type: made and read in C by the agents (as a plain Python class
# the 1 h session's loop ran 2.7% more instructions: 1,024 M against 997 M, callgrind)
cdef class OpenOrder:
    cdef public object symbol, price
    cdef public long side, remaining, qty


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
    @cython.locals(kind=int, orders=dict, o=OpenOrder)
    cpdef on_event(self, e)
    cpdef on_fill(self, fill)
    cpdef trade_toward(self, session, target, clip, slippage_ticks)
    @cython.locals(o=OpenOrder)
    cpdef reduce_risk(self, session)
    @cython.locals(o=OpenOrder)
    cpdef _filled(self, order_id, remaining)
    cpdef _next_wake(self)
    cpdef position(self, symbol=*)
