# Cython declarations for the compiled build (setup.py; docs/benchmarks.md, "The compiled
# core"). The .py file beside this one is the source and stays the reference: interpreted, it
# runs as it is and these declarations are not read. Compiled, the classes below become C types
# with typed fields and the methods declared here C calls. Keep the two in step: a field the .py
# sets must be declared here. The test suite runs on the installed (compiled) build, and
# tests/test_compiled.py holds it to the pure source: same events, same state.
cimport cython

from exchange.book cimport Level, OrderBook
from exchange.market cimport Market
from exchange.orders cimport Order
from exchange.venue cimport Venue


cdef class LocalVenue:
    cdef public Venue venue
    cdef public object submit, gate

    @cython.locals(m=Market, book=OrderBook, bid_level=Level, ask_level=Level)
    cpdef tuple top(self, object symbol)
    @cython.locals(o=Order, bid_qty=long, ask_qty=long, qty=long)
    cpdef tuple own_top(self, object account, object symbol)
