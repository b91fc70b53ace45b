# Cython declarations for the compiled build (setup.py; docs/benchmarks.md, "The compiled
# core"). The .py file beside this one is the source and stays the reference: interpreted, it
# runs as it is and these declarations are not read. Compiled, the classes below become C types
# with typed fields and the methods declared here C calls. Keep the two in step: a field the .py
# sets must be declared here. The test suite runs on the installed (compiled) build, and
# tests/test_compiled.py holds it to the pure source: same events, same state.
cimport cython

from marketmakers.agents.base cimport Agent
from marketmakers.event_log cimport EventLog
from marketmakers.obligations cimport ObligationTracker
from marketmakers.scheduler cimport Scheduler
from marketmakers.venue_port cimport LocalVenue


cdef class Session:
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

    cdef public long long listing_version

    cpdef _dispatch(self, list events, object sender)
    @cython.locals(agent=Agent)
    cdef _update_obligations(self, set touched, object sender, dict others)
    @cython.locals(tracker=ObligationTracker)
    cdef _track(self, Agent maker, object ts)
    cdef _send(self, Agent agent, object cls, tuple args)
    cdef _drain_md(self)


cdef object _inbox_time(Agent agent, object now)
