"""The compiled build of the matching core and the market session's loop (everything else is in
pyproject.toml).

`pip install .` compiles the modules below with Cython when it can: their .py files are the
source, their .pxd files beside them declare C types and C calls (docs/benchmarks.md, "The
compiled core"). Without a C compiler, or with SITEX_PURE_PYTHON=1 in the environment, the
same .py files are installed and run interpreted: same events, same digests, slower.
"""

import os
import sys

from setuptools import setup
from setuptools.command.build_ext import build_ext

COMPILED = [
    "clearing/events.py",
    "exchange/commands.py",
    "exchange/journal.py",
    "exchange/orders.py",
    "exchange/book.py",
    "exchange/market.py",
    "exchange/matching.py",
    "exchange/venue.py",
    "exchange/permissive_gate.py",
    "clearing/trade.py",
    "clearing/ledger.py",  # a transfer per fee and variation-margin payment, a balance per order
    "clearing/margin.py",  # the margin bound, before every order
    "clearing/index.py",  # an index publication every minute
    "clearing/clearinghouse.py",  # the pre-trade check, novation and fees: called per order and fill
    # the market session's loop: the scheduler, the runner and its event log, the port to the
    # venue, what agents call on the session, the agents' base and every kind
    "marketmakers/scheduler.py",
    "marketmakers/session.py",
    "marketmakers/event_log.py",
    "marketmakers/venue_port.py",
    "marketmakers/agents/session_view.py",
    "marketmakers/agents/base.py",
    "marketmakers/agents/noise.py",
    "marketmakers/agents/market_maker.py",
    "marketmakers/agents/momentum.py",
    "marketmakers/agents/mean_reversion.py",
    "marketmakers/agents/arbitrageur.py",
    "marketmakers/agents/hedger.py",
    "marketmakers/quoting.py",  # the makers' quote models, at every requote
    "marketmakers/obligations.py",  # a maker's compliance, whenever its own quotes change
    "marketmakers/feeds.py",  # the providers' quotes the indices are made of
    "marketmakers/index_feed.py",
]


class OptionalBuildExt(build_ext):
    """Build the extensions if the machine can (on every core); install the pure-Python
    package if not."""

    def finalize_options(self):
        super().finalize_options()
        if self.parallel is None:
            self.parallel = os.cpu_count() or 1

    def run(self):
        try:
            super().run()
        except Exception as e:  # noqa: BLE001 - no compiler, no headers: the .py files run
            _skip(e)

    def build_extension(self, ext):
        try:
            super().build_extension(ext)
        except Exception as e:  # noqa: BLE001
            _skip(e, ext.name)


def _skip(error, name="the compiled core"):
    print(f"sitex: not compiling {name} ({error}); it runs as pure Python", file=sys.stderr)


def extensions():
    if os.environ.get("SITEX_PURE_PYTHON"):
        return []
    try:
        from Cython.Build import cythonize
    except ImportError:
        _skip("Cython is not installed")
        return []
    return cythonize(
        COMPILED,
        language_level=3,
        nthreads=os.cpu_count() or 1,
        # the .py files keep their plain annotations for readers and type checkers; C types
        # come only from the .pxd files
        compiler_directives={"annotation_typing": False, "binding": False},
    )


setup(ext_modules=extensions(), cmdclass={"build_ext": OptionalBuildExt})
