# Cython declarations for the compiled build (setup.py; docs/benchmarks.md, "The compiled
# core"). The .py file beside this one is the source and stays the reference: interpreted, it
# runs as it is and these declarations are not read. Compiled, the classes below become C types
# with typed fields and the methods declared here C calls. Keep the two in step: a field the .py
# sets must be declared here. The test suite runs on the installed (compiled) build, and
# tests/test_compiled.py holds it to the pure source: same events, same state.
# The journal stays open to monkeypatching (an instance __dict__: tests replace its methods);
# only append, which the venue calls for every command, is a C call.


cdef class Journal:
    cdef dict __dict__
    cdef public object path, batch_size, flushed, checkpoints, _lock, _db, _written, _page
    cdef public object _checkpointer
    cdef public list _pending, _unwritten
    cpdef append(self, cmd)
