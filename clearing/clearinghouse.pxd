# Cython declarations for the compiled build (setup.py; docs/benchmarks.md, "The compiled
# core"). The .py file beside this one is the source and stays the reference: interpreted, it
# runs as it is and these declarations are not read. Compiled, the classes below become C types
# with typed fields and the methods declared here C calls. Keep the two in step: a field the .py
# sets must be declared here. The test suite runs on the installed (compiled) build, and
# tests/test_compiled.py holds it to the pure source: same events, same state.
# The port's methods delegate to the parts: typed, the per-order and per-fill ones are C calls.
from clearing.account_margin cimport Margins
from clearing.accounts cimport Accounts
from clearing.ledger cimport Ledger
from clearing.marking cimport Marking
from clearing.novation cimport Novation
from clearing.pretrade cimport PreTrade


cdef class ClearingHouse:
    cdef dict __dict__  # open to tests and tools
    cdef public object config, default_management, settlement
    cdef public Accounts accounts
    cdef public Marking marking
    cdef public Margins margins
    cdef public PreTrade pretrade
    cdef public Novation novation
    cdef public Ledger ledger
    cdef public dict members, terms, marks, histories
