# Cython declarations for the compiled build (setup.py; docs/benchmarks.md, "The compiled
# core"). The .py file beside this one is the source and stays the reference: interpreted, it
# runs as it is and these declarations are not read. Compiled, the classes below become C types
# with typed fields and the methods declared here C calls. Keep the two in step: a field the .py
# sets must be declared here. The test suite runs on the installed (compiled) build, and
# tests/test_compiled.py holds it to the pure source: same events, same state.
cimport cython


cdef class Order:
    cdef public object order_id, account, symbol, type, price, tif, stp, stp_group, ts, status
    cdef public object display_qty, expire_at, stop_price, client_order_id
    cdef public long side, qty, remaining, visible  # validated before an order is made
    cdef public bint post_only, reduce_only, top

    @staticmethod
    @cython.locals(o=Order)
    cdef Order make(order_id, account, symbol, long side, typ, price, long qty, tif, stp,
                    stp_group, ts)
