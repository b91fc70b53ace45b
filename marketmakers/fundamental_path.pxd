# Cython declarations for the compiled build (setup.py; docs/benchmarks.md, "The compiled
# core"). The .py file beside this one is the source and stays the reference: interpreted, it
# runs as it is and these declarations are not read. Compiled, the class below becomes a C type
# with typed fields and the methods declared here C calls. Keep the two in step: a field the .py
# sets must be declared here. The test suite runs on the installed (compiled) build, and
# tests/test_compiled.py holds it to the pure source: same events, same state.
cimport cython


cdef class FundamentalPath:
    cdef public long long start_ts, step_ns
    cdef public list prices, moves
    cdef public double sigma

    @cython.locals(i='long long')
    cpdef double usd(self, long long ts)
    cpdef next_move(self, ts)
