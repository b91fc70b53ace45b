# Cython declarations for the compiled build (setup.py; docs/benchmarks.md, "The compiled
# core"). The .py file beside this one is the source and stays the reference: interpreted, it
# runs as it is and these declarations are not read. Compiled, the classes below become C types
# with typed fields and the methods declared here C calls. Keep the two in step: a field the .py
# sets must be declared here. The test suite runs on the installed (compiled) build, and
# tests/test_compiled.py holds it to the pure source: same events, same state.
# Novation moves cash for every fee through Accounts.move, and the pre-trade check reads a
# member for every order: C types and C calls.
cimport cython

from clearing.events cimport Sequencer
from clearing.fast_events cimport make
from clearing.ledger cimport Ledger


cdef class Position:
    cdef public object qty, marked_qty, marked_price, open_value

    cpdef unsettled(self, object mark)


cdef class Member:
    cdef public bint market_maker, mm_in_good_standing, liquidating, defaulted
    cdef public object call_deadline, last_vm, collateral_at_default
    cdef public dict positions, working


@cython.final
cdef class Accounts:
    cdef public object config
    cdef public Sequencer sequencer
    cdef public Ledger ledger
    cdef public dict members
    cdef public bint capitalised

    cpdef move(self, str source, str target, object amount, object reason, object account,
               object ts, list out)
    cpdef Member member(self, object account)
    cpdef cash(self, object account)
    @cython.locals(member=Member, pos=Position)
    cpdef position(self, account, symbol)
