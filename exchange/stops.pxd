# Cython declarations for the compiled build (setup.py; docs/benchmarks.md, "The compiled
# core"). The .py file beside this one is the source and stays the reference: interpreted, it
# runs as it is and these declarations are not read. Compiled, the classes below become C types
# with typed fields and the methods declared here C calls. Keep the two in step: a field the .py
# sets must be declared here. The test suite runs on the installed (compiled) build, and
# tests/test_compiled.py holds it to the pure source: same events, same state.
cimport cython

from clearing.events cimport Sequencer
from exchange.live_orders cimport LiveOrders
from exchange.market cimport Market
from exchange.matching cimport Matcher
from exchange.orders cimport Order
from exchange.reduce_only cimport ReduceOnly
from exchange.rules cimport protection_price
from exchange.states cimport TradingStates
from clearing.fast_events cimport make


cdef class Stops:
    cdef public Sequencer seq
    cdef public LiveOrders live
    cdef public Matcher matcher
    cdef public TradingStates states
    cdef public ReduceOnly reduce_only

    @cython.locals(matcher=Matcher)
    cdef execute(self, Market m, Order o, object limit, object ts, list out)
    cdef after_trades(self, Market m, object ts, list out)
    @cython.locals(o=Order, seq=Sequencer)
    cdef trigger(self, Market m, object ts, list out)
    @cython.locals(o=Order, buy=Order, sell=Order)
    cdef Order next_triggered(self, Market m)
