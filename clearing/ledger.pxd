# Cython declarations for the compiled build (setup.py; docs/benchmarks.md, "The compiled
# core"). The .py file beside this one is the source and stays the reference: interpreted, it
# runs as it is and these declarations are not read. Compiled, the classes below become C types
# with typed fields and the methods declared here C calls. Keep the two in step: a field the .py
# sets must be declared here. The test suite runs on the installed (compiled) build, and
# tests/test_compiled.py holds it to the pure source: same events, same state.
# The clearinghouse moves cash for every fee and variation-margin payment and reads balances
# before every order: C calls on a typed dict.
cimport cython


cdef class Ledger:
    cdef public dict balances
    cdef public object inflow, outflow

    cpdef open(self, str key)
    cpdef balance(self, str key)
    @cython.locals(balances=dict)
    cpdef transfer(self, str source, str target, object amount)
