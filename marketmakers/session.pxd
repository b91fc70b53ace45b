# Cython declarations for the compiled build (setup.py; docs/benchmarks.md, "The compiled
# core"). The .py file beside this one is the source and stays the reference: interpreted, it
# runs as it is and these declarations are not read. Compiled, the classes below become C types
# with typed fields and the methods declared here C calls. Keep the two in step: a field the .py
# sets must be declared here. The test suite runs on the installed (compiled) build, and
# tests/test_compiled.py holds it to the pure source: same events, same state.
cimport cython

from marketmakers.agents.base cimport Agent
from marketmakers.agents.session_view cimport SessionView
from marketmakers.event_log cimport EventLog
from marketmakers.obligations cimport ObligationTracker
from marketmakers.scheduler cimport Scheduler
from marketmakers.venue_port cimport LocalVenue


cdef class FundamentalPath:
    cdef public long long start_ts, step_ns
    cdef public list prices, moves
    cdef public double sigma

    @cython.locals(i='long long')
    cpdef double usd(self, long long ts)
    cpdef next_move(self, ts)


cdef class Session(SessionView):
    cdef dict __dict__  # open to tools and tests (bench/session.py records through _submit)
    cdef public object config, start_ts, end_ts, venue, _submit, progress
    cdef public LocalVenue port
    cdef public EventLog log
    cdef public object scenario, log_path, primary, wall_s, _md_latency
    cdef public object events, commands, _md_queue
    cdef public Scheduler scheduler
    cdef public list agents, makers, risk_events
    cdef public dict fundamentals, indices, by_account, md, md_index, flow, trackers, deposits
    cdef public dict samples, maker_series, _listed

    @cython.locals(scheduler=Scheduler, by_account=dict, routes=dict, others=dict, agent=Agent, flow=list,
                   bucket=list)
    # SessionView's calls, implemented here (Cython wants an override declared again)
    cpdef symbol_for(self, product, expiry)
    cpdef listed(self, product)
    cpdef wake_in(self, agent, delay_ns)
    cpdef top(self, symbol)
    cpdef index_ticks(self, name)
    @cython.locals(path=FundamentalPath)
    cpdef fundamental_ticks(self, name=*)
    @cython.locals(path=FundamentalPath)
    cpdef next_fundamental_move(self, name, ts)
    @cython.locals(path=FundamentalPath)
    cpdef sigma_ticks_per_sqrt_s(self, name=*)
    cpdef limit(self, agent, symbol, side, qty, price, tif=*)
    cpdef market(self, agent, symbol, side, qty)
    cpdef cancel(self, agent, order_id)
    cpdef amend(self, agent, order_id, qty=*, price=*)
    cpdef cancel_all(self, agent, symbol=*)

    cpdef _dispatch(self, list events, object sender)
    @cython.locals(agent=Agent)
    cdef _update_obligations(self, set touched, object sender, dict others)
    @cython.locals(tracker=ObligationTracker)
    cdef _track(self, Agent maker, object ts)
    cdef _send(self, Agent agent, object cls, tuple args)
    cdef _drain_md(self)


cdef object _inbox_time(Agent agent, object now)
