# Cython declarations for the compiled build (setup.py; docs/benchmarks.md, "The compiled
# core"). The .py file beside this one is the source and stays the reference: interpreted, it
# runs as it is and these declarations are not read. Compiled, the classes below become C types
# with typed fields and the methods declared here C calls. Keep the two in step: a field the .py
# sets must be declared here. The test suite runs on the installed (compiled) build, and
# tests/test_compiled.py holds it to the pure source: same events, same state.
cimport cython

from exchange.orders cimport Order


cdef class Level:
    cdef public object price
    cdef public dict orders
    cdef public long qty


cdef class OrderBook:
    cdef public object symbol, bids, asks, best_bid, best_ask
    @cython.locals(level=Level)
    cpdef Level add(self, Order order)
    @cython.locals(level=Level)
    cpdef Level remove(self, Order order)
    cpdef drop_level(self, long side, object price)
    cdef _drop_best(self, long side, object price)
