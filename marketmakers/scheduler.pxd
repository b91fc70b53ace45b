# Cython declarations for the compiled build (setup.py; docs/benchmarks.md, "The compiled
# core"). The .py file beside this one is the source and stays the reference: interpreted, it
# runs as it is and these declarations are not read. Compiled, the classes below become C types
# with typed fields and the methods declared here C calls. Keep the two in step: a field the .py
# sets must be declared here. The test suite runs on the installed (compiled) build, and
# tests/test_compiled.py holds it to the pure source: same events, same state.
cimport cython

from marketmakers.timed_heap cimport (TimedHeap, free_heap, heap_first_ts, heap_len, heap_pop,
                                      heap_push, heap_shift, new_heap)


cdef class Scheduler:
    cdef public long long now, executed
    cdef long long _last_seq
    cdef TimedHeap *_heap

    cpdef push(self, long long ts, object action, tuple args)
    @cython.locals(heap='TimedHeap *', ran=long, args=tuple)
    cpdef run_until(self, long long end_ts)
    cpdef clear(self)
