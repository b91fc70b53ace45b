# Cython declarations for the compiled build (setup.py; docs/benchmarks.md, "The compiled
# core"). The .py file beside this one is the source and stays the reference: interpreted, it
# runs as it is and these declarations are not read. Compiled, the functions below are C calls
# with C doubles (a Python float is a C double: the same arithmetic, the same results, which
# tests/test_compiled.py checks through a whole session). The market makers requote with them.
cimport cython

from clearing.fast_events cimport make


cpdef tuple avellaneda_stoikov(double mid, double inventory, double sigma, double gamma, double k,
                               double time_left)
@cython.locals(c=double, w=double)
cpdef tuple gueant_lehalle_fernandez_tapia(double mid, double inventory, double sigma, double gamma,
                                           double k, double intensity)
cpdef to_ticks(double bid, double ask, object inventory, object max_inventory)
@cython.locals(i=Py_ssize_t, out=list)
cpdef list ladder(object quote, long levels, long step, long size, double growth=*)
cpdef _check(double sigma, double gamma, double k)
