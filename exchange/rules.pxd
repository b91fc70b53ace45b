# Cython declarations for the compiled build (setup.py; docs/benchmarks.md, "The compiled
# core"). The .py file beside this one is the source and stays the reference: interpreted, it
# runs as it is and these declarations are not read. Compiled, the classes below become C types
# with typed fields and the methods declared here C calls. Keep the two in step: a field the .py
# sets must be declared here. The test suite runs on the installed (compiled) build, and
# tests/test_compiled.py holds it to the pure source: same events, same state.
# The predicates are C calls from the modules that cimport them (entry.py's short path).
from exchange.market cimport Market


cpdef bint qty_ok(Market m, object qty) except -1
cpdef check_qty(Market m, object qty)
cpdef bint within_limits(Market m, object price) except -1
cpdef object band_width(Market m, object ref)
cpdef bint within_band(Market m, object side, object price) except -1
cpdef bint price_ok(Market m, object side, object price) except -1
cpdef check_price(Market m, object side, object price)
cpdef object protection_price(Market m, object side)
cpdef object last_price(Market m)
cpdef bint stop_reached(Market m, object side, object stop_price) except -1
