# Cython declarations for the compiled build (setup.py; docs/benchmarks.md, "The compiled
# core"). The .py file beside this one is the source and stays the reference: interpreted, it
# runs as it is and these declarations are not read. Compiled, the classes below become C types
# with typed fields and the methods declared here C calls. Keep the two in step: a field the .py
# sets must be declared here. The test suite runs on the installed (compiled) build, and
# tests/test_compiled.py holds it to the pure source: same events, same state.
cimport cython

from clearing.events cimport Sequencer
from clearing.fast_events cimport make
from clearing.ledger cimport Ledger
from clearing.trade cimport ClearedTrade


cdef class Position:
    cdef public object qty, marked_qty, marked_price, open_value

    cpdef unsettled(self, object mark)


cdef class Member:
    cdef public bint market_maker, mm_in_good_standing, liquidating, defaulted
    cdef public object call_deadline, last_vm, collateral_at_default
    cdef public dict positions, working


cdef class ClearingHouse:
    cdef dict __dict__  # open to tests and tools
    cdef public object config, margin, guarantee_fund_required, _cached_model
    cdef public Ledger ledger
    cdef public Sequencer sequencer
    cdef public bint fast_path, _capitalised
    cdef public dict members, terms, marks, basis, index, histories, _unit_risk, _unit_loss, _spot

    cdef _move(self, str source, str target, object amount, object reason, object account,
               object ts, list out)
    cdef Member _member(self, object account)
    cpdef _is_spot_month(self, object symbol)
    cdef _margin_caches(self)
    cdef _unit_losses(self, object symbol, object mark)
    cpdef cash(self, object account)
    cpdef equity(self, object account)
    @cython.locals(held=Position, member=Member)
    cpdef check_order(self, account, symbol, side, qty, price, reduce_only)
    @cython.locals(work=list, member=Member)
    cpdef on_working(self, account, symbol, side, qty_delta, price)
    @cython.locals(pos=Position, work=list, positions=dict, member=Member)
    cpdef on_fill(self, ClearedTrade trade, list out)
    @cython.locals(pos=Position, member=Member)
    cpdef unsettled(self, account)
    @cython.locals(positions=dict, working=dict, marks=dict, terms=dict, cache=dict, exposure=dict,
                   pos=Position)
    cpdef _bound_and_equity(self, account, Member member, symbol, side, qty)
