# Cython declarations for the compiled build (setup.py; docs/benchmarks.md, "The compiled
# core"). The .py file beside this one is the source and stays the reference: interpreted, it
# runs as it is and these declarations are not read. Compiled, the classes below become C types
# with typed fields and the methods declared here C calls. Keep the two in step: a field the .py
# sets must be declared here. The test suite runs on the installed (compiled) build, and
# tests/test_compiled.py holds it to the pure source: same events, same state.
# The order flow's commands: C types, so that the venue reads their fields as C fields. The
# other commands stay dataclasses (Python subclasses of Command).


cdef class Command:
    pass


cdef class NewOrder(Command):
    cdef public object ts, account, symbol, side, qty, price, type, tif, stop_price, display_qty
    cdef public object expire_at, post_only, reduce_only, client_order_id, stp, stp_group


cdef class CancelOrder(Command):
    cdef public object ts, account, order_id


cdef class AmendOrder(Command):
    cdef public object ts, account, order_id, qty, price, stop_price
