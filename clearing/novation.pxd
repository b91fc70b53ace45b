# Cython declarations for the compiled build (setup.py; docs/benchmarks.md, "The compiled
# core"). The .py file beside this one is the source and stays the reference: interpreted, it
# runs as it is and these declarations are not read. Compiled, the classes below become C types
# with typed fields and the methods declared here C calls. Keep the two in step: a field the .py
# sets must be declared here. The test suite runs on the installed (compiled) build, and
# tests/test_compiled.py holds it to the pure source: same events, same state.
# Called for every fill: typed members and positions, and C calls for the fees' transfers.
cimport cython

from clearing.accounts cimport Accounts, Member, Position
from clearing.fast_events cimport make
from clearing.trade cimport ClearedTrade


@cython.final
cdef class Novation:
    cdef public object config
    cdef public Accounts accounts
    cdef public dict marks

    @cython.locals(pos=Position, work=list, member=Member, accounts=Accounts)
    cpdef on_fill(self, ClearedTrade trade, list out)
