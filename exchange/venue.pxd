# Cython declarations for the compiled build (setup.py; docs/benchmarks.md, "The compiled
# core"). The .py file beside this one is the source and stays the reference: interpreted, it
# runs as it is and these declarations are not read. Compiled, the classes below become C types
# with typed fields and the methods declared here C calls. Keep the two in step: a field the .py
# sets must be declared here. The test suite runs on the installed (compiled) build, and
# tests/test_compiled.py holds it to the pure source: same events, same state.
cimport cython

from clearing.events cimport Sequencer
from exchange.book cimport Level, OrderBook
from exchange.commands cimport AmendOrder, CancelOrder, NewOrder
from exchange.market cimport Market
from exchange.matching cimport Matching
from exchange.orders cimport Order
from clearing.fast_events cimport make


cdef class Venue(Matching):
    # the command handlers are cpdef: submit finds them in a dict, as bound methods
    @cython.locals(m=Market, o=Order, book=OrderBook, level=Level, seq=Sequencer, mine=dict)
    cpdef _new_order(self, NewOrder c, list out)
    @cython.locals(m=Market, o=Order, book=OrderBook, seq=Sequencer)
    cpdef _new_order_full(self, NewOrder c, list out)
    @cython.locals(o=Order)
    cpdef _cancel(self, CancelOrder c, list out)
    @cython.locals(m=Market, o=Order, book=OrderBook, level=Level, seq=Sequencer)
    cpdef _amend(self, AmendOrder c, list out)
    cdef _execute(self, Market m, Order o, object limit, object ts, list out)
    # read by the market session on every change of a book
    cpdef Market market(self, symbol)
    cpdef live_orders(self, account)
    @cython.locals(book=OrderBook, level=Level, seq=Sequencer)
    cdef _rest(self, Market m, Order o, object ts, list out)
    cdef _after_trades(self, Market m, object ts, list out)
    cdef _check_qty(self, Market m, object qty)
    cdef _check_price(self, Market m, object side, object price)
    @cython.locals(seq=Sequencer)
    cdef _drop_incoming(self, Order o, str why, object ts, list out)
    cdef _remember(self, Order o)
    @cython.locals(o=Order)
    cdef Order _owned_order(self, object account, object order_id)
    @cython.locals(level=Level, seq=Sequencer)
    cdef _remove_live(self, Market m, Order o, object ts, list out)
    @cython.locals(seq=Sequencer)
    cdef _emit_cancel(self, Order o, str why, object ts, list out)
