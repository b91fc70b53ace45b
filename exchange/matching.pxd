# Cython declarations for the compiled build (setup.py; docs/benchmarks.md, "The compiled
# core"). The .py file beside this one is the source and stays the reference: interpreted, it
# runs as it is and these declarations are not read. Compiled, the classes below become C types
# with typed fields and the methods declared here C calls. Keep the two in step: a field the .py
# sets must be declared here. The test suite runs on the installed (compiled) build, and
# tests/test_compiled.py holds it to the pure source: same events, same state.
cimport cython

from clearing.events cimport Sequencer
from clearing.trade cimport ClearedTrade, make_trade
from exchange.book cimport Level, OrderBook
from exchange.live_orders cimport LiveOrders
from exchange.market cimport Market
from exchange.orders cimport Order
from exchange.timers cimport Timers
from clearing.fast_events cimport make


cdef class Matcher:
    cdef public Sequencer seq
    cdef public LiveOrders live
    cdef public Timers timers
    cdef public object gate_working, gate_fill, trade_id
    cdef public bint traded
    cdef public list touched
    cdef public dict reduce_only

    cdef execute(self, Market m, Order o, object limit, object ts, list out)
    @cython.locals(book=OrderBook, level=Level, seq=Sequencer)
    cdef rest(self, Market m, Order o, object ts, list out)
    @cython.locals(seq=Sequencer)
    cdef drop_incoming(self, Order o, str why, object ts, list out)
    @cython.locals(level=Level, seq=Sequencer)
    cdef remove_live(self, Market m, Order o, object ts, list out)
    @cython.locals(seq=Sequencer)
    cdef emit_cancel(self, Order o, str why, object ts, list out)
    cdef cancel(self, Market m, Order o, str why, object ts, list out)
    @cython.locals(book=OrderBook)
    cdef bint match(self, Market m, Order o, object limit, object ts, list out) except -1
    @cython.locals(maker=Order, alive=bint, start_qty=long, qty=long)
    cdef bint match_level(self, Market m, Order o, Level level, object ts, list out) except -1
    @cython.locals(left=long, seq=Sequencer, side=long, d=long, trade=ClearedTrade)
    cdef fill(self, Market m, Order o, Order maker, Level level, long qty, object ts, list out)
    @cython.locals(seq=Sequencer)
    cdef level_done(self, Market m, Level level, long side, object ts, list out)
