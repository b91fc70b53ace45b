# Cython declarations for the compiled build (setup.py; docs/benchmarks.md, "The compiled
# core"). The .py file beside this one is the source and stays the reference: interpreted, it
# runs as it is and these declarations are not read. Compiled, the classes below become C types
# with typed fields and the methods declared here C calls. Keep the two in step: a field the .py
# sets must be declared here. The test suite runs on the installed (compiled) build, and
# tests/test_compiled.py holds it to the pure source: same events, same state.
cimport cython

from exchange.orders cimport Order


cdef class LiveOrders:
    cdef public dict by_id, by_account, reduce_only
    cdef public set client_ids

    @cython.locals(mine=dict)
    cpdef remember(self, Order o)
    cpdef forget(self, Order o)
    @cython.locals(o=Order)
    cpdef Order owned(self, object account, object order_id)
