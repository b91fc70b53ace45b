# Cython declarations for the compiled build (setup.py; docs/benchmarks.md, "The compiled
# core"). The .py file beside this one is the source and stays the reference: interpreted, it
# runs as it is and these declarations are not read. Compiled, the classes below become C types
# with typed fields and the methods declared here C calls. Keep the two in step: a field the .py
# sets must be declared here. The test suite runs on the installed (compiled) build, and
# tests/test_compiled.py holds it to the pure source: same events, same state.
# The bound is formed before every order: typed fields and C calls. Final, so the pre-trade
# check calls bound_and_equity directly; the instance dict lets tests and the gate benchmark
# wrap the exact scan (initial_with_orders, a Python method) to count its calls.
cimport cython

from clearing.accounts cimport Accounts, Member, Position
from clearing.marking cimport Marking


@cython.final
cdef class Margins:
    cdef dict __dict__
    cdef public Accounts accounts
    cdef public Marking marking
    cdef public dict terms, unit_risk, unit_loss
    cdef public object margin, cached_model

    cpdef margin_caches(self)
    cpdef unit(self, object symbol, object mark)
    cpdef unit_losses(self, object symbol, object mark)
    @cython.locals(positions=dict, working=dict, marks=dict, terms=dict, cache=dict, exposure=dict,
                   pos=Position)
    cpdef bound_and_equity(self, account, Member member, symbol, side, qty)
