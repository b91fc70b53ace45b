# Cython declarations for the compiled build (setup.py; docs/benchmarks.md, "The compiled
# core"). The .py file beside this one is the source and stays the reference: interpreted, it
# runs as it is and these declarations are not read. Compiled, the classes below become C types
# with typed fields and the methods declared here C calls. Keep the two in step: a field the .py
# sets must be declared here. The test suite runs on the installed (compiled) build, and
# tests/test_compiled.py holds it to the pure source: same events, same state.
cimport cython

from exchange.book cimport OrderBook
from exchange.orders cimport Order


cdef class Market:
    cdef public object spec, symbol, state, last_trade, band_anchor, settlement, reference
    cdef public object limit_low, limit_high, widenings, halt_until, buy_stops, sell_stops
    cdef public object volume, trades, band_bps, band_min, max_qty, min_qty, lot
    cdef public bint pro_rata
    cdef public OrderBook book

    cpdef bint at_limit(self, object price)
    @cython.locals(bucket=dict)
    cpdef add_stop(self, Order o)
    @cython.locals(bucket=dict)
    cpdef remove_stop(self, Order o)
