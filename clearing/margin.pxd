# Cython declarations for the compiled build (setup.py; docs/benchmarks.md, "The compiled
# core"). The .py file beside this one is the source and stays the reference: interpreted, it
# runs as it is and these declarations are not read.
# The margin ceilings run in `initial_bound` before every order: a C call there, where they
# used to be inlined (the vectorised pass calls the same function with int64 arrays).

cpdef tuple margin_from_base(object base, object buffered_bps, object ratio_bps)
