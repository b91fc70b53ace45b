# Cython declarations for the compiled build (setup.py; docs/benchmarks.md, "The compiled
# core"). The .py file beside this one is the source and stays the reference: interpreted, it
# runs as it is and these declarations are not read. Compiled, the classes below become C types
# with typed fields and the methods declared here C calls. Keep the two in step: a field the .py
# sets must be declared here. The test suite runs on the installed (compiled) build, and
# tests/test_compiled.py holds it to the pure source: same events, same state.
from clearing.events cimport Sequencer
from exchange.live_orders cimport LiveOrders
from exchange.market cimport Market
from exchange.matching cimport Matcher
from exchange.orders cimport Order
from exchange.timers cimport Timers
from clearing.fast_events cimport make


cdef class TradingStates:
    cdef public dict markets
    cdef public Sequencer seq
    cdef public LiveOrders live
    cdef public Timers timers
    cdef public Matcher matcher

    cpdef close(self, Market m, object reason, object ts, list out)
    cpdef halt_for_limit(self, Market m, object ts, list out)
    cpdef end_halt(self, Market m, object due, list out)
    cpdef expire_order(self, Order o, object ts, list out)
    cpdef state_event(self, Market m, object reason, object ts, list out)
