# Cython declarations for the compiled build (setup.py; docs/benchmarks.md, "The compiled
# core"). The .py file beside this one is the source and stays the reference: interpreted, it
# runs as it is and these declarations are not read. Compiled, the classes below become C types
# with typed fields and the methods declared here C calls. Keep the two in step: a field the .py
# sets must be declared here. The test suite runs on the installed (compiled) build, and
# tests/test_compiled.py holds it to the pure source: same events, same state.
from clearing.events cimport Sequencer
from exchange.journal cimport Journal
from exchange.live_orders cimport LiveOrders
from exchange.market cimport Market
from exchange.matching cimport Matcher
from exchange.reduce_only cimport ReduceOnly
from exchange.states cimport TradingStates
from exchange.stops cimport Stops
from exchange.timers cimport Timers


cdef class Venue:
    # the parts it composes (exchange/venue.py's docstring says which decides what)
    cdef public Sequencer _seq
    cdef public Journal journal  # or None
    cdef public object gate, initial_state, clock
    cdef public dict products, _markets, _index, _handlers
    cdef public LiveOrders live
    cdef public Timers timers
    cdef public Matcher matcher
    cdef public TradingStates states
    cdef public ReduceOnly reduce_only
    cdef public Stops stops
    # the parts whose handlers the venue keeps: Python objects here, so that their methods are
    # bound methods (picklable), not C functions wrapped on the spot
    cdef public object entry, changes, listing, liquidation

    # read by the market session on every change of a book
    cpdef Market market(self, symbol)
    cpdef live_orders(self, account)
