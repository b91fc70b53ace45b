# Cython declarations for the compiled build (setup.py; docs/benchmarks.md, "The compiled
# core"). The .py file beside this one is the source and stays the reference: interpreted, it
# runs as it is and these declarations are not read. Compiled, the classes below become C types
# with typed fields and the methods declared here C calls. Keep the two in step: a field the .py
# sets must be declared here. The test suite runs on the installed (compiled) build, and
# tests/test_compiled.py holds it to the pure source: same events, same state.

cdef class SessionView:
    cdef public long long listing_version

    # the agents' calls: C calls on the compiled session (a Python subclass's are still found)
    cpdef symbol_for(self, product, expiry)
    cpdef listed(self, product)
    cpdef wake_in(self, agent, delay_ns)
    cpdef top(self, symbol)
    cpdef index_ticks(self, name)
    cpdef fundamental_ticks(self, name=*)
    cpdef next_fundamental_move(self, name, ts)
    cpdef sigma_ticks_per_sqrt_s(self, name=*)
    cpdef limit(self, agent, symbol, side, qty, price, tif=*)
    cpdef market(self, agent, symbol, side, qty)
    cpdef cancel(self, agent, order_id)
    cpdef amend(self, agent, order_id, qty=*, price=*)
    cpdef cancel_all(self, agent, symbol=*)
