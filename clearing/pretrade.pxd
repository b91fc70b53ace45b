# Cython declarations for the compiled build (setup.py; docs/benchmarks.md, "The compiled
# core"). The .py file beside this one is the source and stays the reference: interpreted, it
# runs as it is and these declarations are not read. Compiled, the classes below become C types
# with typed fields and the methods declared here C calls. Keep the two in step: a field the .py
# sets must be declared here. The test suite runs on the installed (compiled) build, and
# tests/test_compiled.py holds it to the pure source: same events, same state.
# Called for every order (check_order) and every change to a working order (on_working).
cimport cython

from clearing.account_margin cimport Margins
from clearing.accounts cimport Accounts, Member, Position
from clearing.marking cimport Marking


@cython.final
cdef class PreTrade:
    cdef public object config
    cdef public Accounts accounts
    cdef public Marking marking
    cdef public Margins margins
    cdef public dict terms, spot
    cdef public bint fast_path

    @cython.locals(held=Position, member=Member, margins=Margins)
    cpdef check_order(self, account, symbol, side, qty, price, reduce_only)
    cpdef is_spot_month(self, object symbol)
    @cython.locals(work=list, member=Member)
    cpdef on_working(self, account, symbol, side, qty_delta, price)
