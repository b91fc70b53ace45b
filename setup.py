"""The compiled build of the matching core and the market session's loop (everything else is in
pyproject.toml).

`pip install .` compiles the modules below with Cython when it can: their .py files are the
source, their .pxd files beside them declare C types and C calls (docs/benchmarks.md, "The
compiled core"). Without a C compiler, or with SITEX_PURE_PYTHON=1 in the environment, the
same .py files are installed and run interpreted: same events, same digests, slower. They
compile two at a time on a 2-core machine, at -O1 (FLAGS below): about a minute from nothing
(docs/benchmarks.md, "The install"). Everything installs into site-packages/sitex_packages/
(PRIVATE below).
"""

import os
import shutil
import sys

from setuptools import setup
from setuptools.command.build_ext import build_ext
from setuptools.command.build_py import build_py

# sitex's packages are installed in a directory of their own, which sitex.pth puts on the path
# after site-packages: names such as `bench` and `api` are used by other distributions too
# (sitex.py, the entry point, says how the command always runs sitex's own)
PRIVATE = "sitex_packages"

COMPILED = [
    "clearing/events.py",
    "exchange/commands.py",
    "exchange/journal.py",
    "exchange/orders.py",
    "exchange/book.py",
    "exchange/market.py",
    # the venue and the parts it composes (exchange/venue.py says which decides what)
    "exchange/rules.py",
    "exchange/live_orders.py",
    "exchange/timers.py",
    "exchange/matching.py",
    "exchange/states.py",
    "exchange/reduce_only.py",
    "exchange/stops.py",
    "exchange/entry.py",
    "exchange/changes.py",
    "exchange/listing.py",
    "exchange/liquidation.py",
    "exchange/venue.py",
    "exchange/permissive_gate.py",
    "clearing/trade.py",
    "clearing/ledger.py",  # a transfer per fee and variation-margin payment, a balance per order
    "clearing/margin.py",  # the margin bound, before every order (the session: 8% less CPU)
    # the clearinghouse's parts called per order and fill: the port's delegations, the accounts
    # (a transfer per fee), novation, marks and equity, each account's margin, the pre-trade check
    "clearing/clearinghouse.py",
    "clearing/accounts.py",
    "clearing/novation.py",
    "clearing/marking.py",
    "clearing/account_margin.py",
    "clearing/pretrade.py",
    # the market session's loop: the scheduler (its C heap buys 1.4x the session's events/s,
    # marketmakers/timed_heap.pxd), the runner, the fundamental it reads and its event log, the
    # port to the venue, the agents' base and every kind
    "marketmakers/scheduler.py",
    "marketmakers/session.py",
    "marketmakers/fundamental_path.py",  # read at every requote
    "marketmakers/event_log.py",
    "marketmakers/venue_port.py",
    "marketmakers/agents/base.py",
    "marketmakers/agents/noise.py",
    "marketmakers/agents/market_maker.py",
    "marketmakers/agents/momentum.py",
    "marketmakers/agents/mean_reversion.py",
    "marketmakers/agents/arbitrageur.py",
    "marketmakers/agents/hedger.py",
    "marketmakers/quoting.py",  # the makers' quote models, at every requote
    "marketmakers/obligations.py",  # a maker's compliance, whenever its own quotes change
]
# Not compiled, measured: clearing/index.py, marketmakers/feeds.py and index_feed.py (an index
# publication a minute; compiled without C types they ran no faster, docs/benchmarks.md).
# Not compiled since issue 19: marketmakers/agents/session_view.py, a Protocol with no code to
# run (it was the agents' C base class for the session; docs/benchmarks.md, "Issue 19")

# -O1 and no debug information: a third of the compile time of Python's own -O3 -g (56 s of CPU
# for the core against 164 s), for 2% more instructions in the venue and a session as fast
# within the noise (docs/benchmarks.md, "The install")
FLAGS = ["-O1", "-g0"]


class PrivateBuildPy(build_py):
    """The packages (and sitex.py) into build/lib/sitex_packages/; sitex.pth, the line that
    puts that directory on the path, at the top of build/lib (the top of the wheel, so
    site-packages when installed)."""

    def finalize_options(self):
        super().finalize_options()
        self.top = self.build_lib
        if not getattr(self, "editable_mode", False):
            self.build_lib = os.path.join(self.build_lib, PRIVATE)

    def run(self):
        super().run()
        if not getattr(self, "editable_mode", False):
            for name in self.packages or ():  # a build of the old layout, left in build/
                if "." not in name and os.path.isdir(os.path.join(self.top, name)):
                    shutil.rmtree(os.path.join(self.top, name))
            self.mkpath(self.top)
            with open(os.path.join(self.top, "sitex.pth"), "w") as pth:
                pth.write(PRIVATE + "\n")


class OptionalBuildExt(build_ext):
    """Build the extensions if the machine can (on every core) beside their packages in
    sitex_packages/; install the pure-Python package if not."""

    def finalize_options(self):
        super().finalize_options()
        if self.parallel is None:
            self.parallel = os.cpu_count() or 1
        if not self.inplace and not getattr(self, "editable_mode", False):
            self.build_lib = os.path.join(self.build_lib, PRIVATE)

    def run(self):
        try:
            super().run()
        except Exception as e:  # noqa: BLE001 - no compiler, no headers: the .py files run
            _skip(e)

    def build_extension(self, ext):
        if self.compiler.compiler_type == "unix":  # gcc and clang: the last -O wins
            ext.extra_compile_args = [*ext.extra_compile_args, *FLAGS]
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


setup(ext_modules=extensions(), cmdclass={"build_ext": OptionalBuildExt, "build_py": PrivateBuildPy})
