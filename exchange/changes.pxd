# Cython declarations for the compiled build (setup.py; docs/benchmarks.md, "The compiled
# core"). The .py file beside this one is the source and stays the reference: interpreted, it
# runs as it is and these declarations are not read. Compiled, the classes below become C types
# with typed fields and the methods declared here C calls. Keep the two in step: a field the .py
# sets must be declared here. The test suite runs on the installed (compiled) build, and
# tests/test_compiled.py holds it to the pure source: same events, same state.
cimport cython

from clearing.events cimport Sequencer
from exchange.book cimport Level, OrderBook
from exchange.commands cimport AmendOrder, CancelOrder
from exchange.live_orders cimport LiveOrders
from exchange.market cimport Market
from exchange.matching cimport Matcher
from exchange.orders cimport Order
from exchange.reduce_only cimport ReduceOnly
from exchange.rules cimport check_price, check_qty, stop_reached
from exchange.stops cimport Stops
from clearing.fast_events cimport make


cdef class OrderChanges:
    cdef public dict markets
    cdef public Sequencer seq
    cdef public LiveOrders live
    cdef public Matcher matcher
    cdef public Stops stops
    cdef public ReduceOnly reduce_only
    cdef public object gate_check, gate_working

    @cython.locals(o=Order)
    cpdef cancel(self, CancelOrder c, list out)
    @cython.locals(o=Order)
    cpdef cancel_all(self, object c, list out)
    @cython.locals(m=Market, o=Order, book=OrderBook, level=Level, seq=Sequencer)
    cpdef amend(self, AmendOrder c, list out)
