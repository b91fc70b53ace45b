# Cython declarations for the compiled build (setup.py; docs/benchmarks.md, "The compiled
# core"). The .py file beside this one is the source and stays the reference: interpreted, it
# runs as it is and these declarations are not read. Compiled, the classes below become C types
# with typed fields and the methods declared here C calls. Keep the two in step: a field the .py
# sets must be declared here. The test suite runs on the installed (compiled) build, and
# tests/test_compiled.py holds it to the pure source: same events, same state.
cimport cython

from clearing.events cimport Sequencer
from exchange.book cimport Level
from exchange.live_orders cimport LiveOrders
from exchange.market cimport Market
from exchange.matching cimport Matcher
from exchange.orders cimport Order
from clearing.fast_events cimport make


cdef class ReduceOnly:
    cdef public dict markets
    cdef public Sequencer seq
    cdef public LiveOrders live
    cdef public Matcher matcher
    cdef public object gate

    @cython.locals(o=Order)
    cpdef check(self, object account, object symbol, object side, object qty)
    @cython.locals(touched=list, m=Market, o=Order, seq=Sequencer, level=Level)
    cdef trim(self, object ts, list out)
