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
from exchange.journal cimport Journal
from exchange.market cimport Market
from exchange.orders cimport Order
from clearing.fast_events cimport make


cdef class Matching:
    # every field of the venue (exchange/venue.py sets them in Venue.__init__)
    cdef public Sequencer _seq
    cdef public Journal journal  # or None
    cdef public object gate, initial_state, clock, _gate_check, _gate_working, _gate_fill
    cdef public object _order_id, _trade_id, _next_timer
    cdef public bint _traded
    cdef public dict products, _markets, _orders, _by_account, _reduce_only, _index, _handlers
    cdef public set _client_ids
    cdef public list _ro_touched, _timers

    cdef _forget(self, Order o)
    @cython.locals(book=OrderBook)
    cdef bint _match(self, Market m, Order o, object limit, object ts, list out)
    @cython.locals(maker=Order, alive=bint, start_qty=long, qty=long)
    cdef bint _match_level(self, Market m, Order o, Level level, object ts, list out)
    @cython.locals(left=long, seq=Sequencer, side=long, d=long, trade=ClearedTrade)
    cdef _fill(self, Market m, Order o, Order maker, Level level, long qty, object ts, list out)
    @cython.locals(seq=Sequencer)
    cdef _level_done(self, Market m, Level level, long side, object ts, list out)
