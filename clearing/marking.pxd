# Cython declarations for the compiled build (setup.py; docs/benchmarks.md, "The compiled
# core"). The .py file beside this one is the source and stays the reference: interpreted, it
# runs as it is and these declarations are not read. Compiled, the classes below become C types
# with typed fields and the methods declared here C calls. Keep the two in step: a field the .py
# sets must be declared here. The test suite runs on the installed (compiled) build, and
# tests/test_compiled.py holds it to the pure source: same events, same state.
# The pre-trade check reads equity (cash + unsettled variation margin) per order it cannot
# settle with the bound: C calls over typed positions.
cimport cython

from clearing.accounts cimport Accounts, Member, Position


@cython.final
cdef class Marking:
    cdef public object config
    cdef public Accounts accounts
    cdef public dict terms, marks, basis, index, histories

    cpdef fair_value(self, object symbol)
    @cython.locals(pos=Position, member=Member)
    cpdef unsettled(self, account)
    cpdef equity(self, account)
