"""The compiled core against its own source.

setup.py compiles the matching core from the same .py files that run interpreted when there is
no compiler. The rest of the suite checks whichever build is installed (the stateful tests
against the simple reference matcher above all); this file runs both builds on the same
commands and requires the same events, the same venue state and the same market session, and
runs the venue's stateful tests on the pure-Python source as well.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

import clearing
import exchange
import marketmakers
from exchange.build import compiled

pytestmark = pytest.mark.skipif(not compiled(), reason="pure-Python build: no compiled core here")

TESTS = Path(__file__).parent

# the engine bench's stream through a fresh venue, then a short market session: one line of JSON
SCRIPT = r"""
import hashlib, json, sys
from bench.engine import T0, _record_owners, fresh_venue, generate, to_commands
from exchange.build import compiled
from marketmakers.session import Session, SessionConfig

ops = generate(int(sys.argv[1]), seed=11)
_record_owners(ops)
venue = fresh_venue()
events = hashlib.sha256()
for cmd in to_commands(ops, T0):
    for e in venue.submit(cmd):
        events.update(json.dumps(e.to_dict(), sort_keys=True).encode())
session = Session(SessionConfig(hours=float(sys.argv[2]), seed=5)).run()
# two days of quarter-hour windows: the clock's jumps (the compiled heap's shift) too
days = Session(SessionConfig(days=2, window_hours=0.25, seed=5)).run()
print(json.dumps({"compiled": compiled(), "events": events.hexdigest(), "venue": venue.digest(),
                  "session": session.summary["digest"], "trades": session.summary["trades"],
                  "days": days.summary["digest"], "days_trades": days.summary["trades"]}))
"""


@pytest.fixture(scope="module")
def pure_path(tmp_path_factory) -> str:
    """A directory holding only the .py files of the compiled packages: first on the path, it
    makes the interpreter run their source."""
    root = tmp_path_factory.mktemp("pure")
    for package in (clearing, exchange, marketmakers):
        source = Path(package.__file__).parent
        shutil.copytree(source, root / source.name, ignore=shutil.ignore_patterns("*.so", "*.pyd", "__pycache__"))
    check = _run("-c", "from exchange.build import compiled; assert not compiled()\n"
                 "import marketmakers.session as s; assert s.__file__.endswith('.py')", pure_path=str(root))
    assert check.returncode == 0, check.stderr
    return str(root)


def _run(*args, pure_path: str | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Python in a subprocess, by default in an empty directory (`python -c` puts the working
    directory first on the path, and a checkout's sources would shadow the installed build)."""
    env = dict(os.environ)
    if pure_path is not None:
        env["PYTHONPATH"] = os.pathsep.join(p for p in (pure_path, env.get("PYTHONPATH")) if p)
    with tempfile.TemporaryDirectory() as empty:
        return subprocess.run([sys.executable, *args], env=env, cwd=cwd or empty, capture_output=True,
                              text=True, timeout=600)


def _figures(pure_path: str | None) -> dict:
    done = _run("-c", SCRIPT, "30000", "0.5", pure_path=pure_path)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


def test_the_compiled_and_the_pure_core_give_the_same_events_state_and_session(pure_path):
    fast, pure = _figures(None), _figures(pure_path)
    assert fast.pop("compiled") is True and pure.pop("compiled") is False
    assert fast["trades"] > 100 and fast["days_trades"] > 100  # sessions that traded
    assert fast == pure


def test_the_venue_stateful_tests_pass_on_the_pure_source(pure_path):
    done = _run("-m", "pytest", "-x", "-c", str(TESTS.parent / "pyproject.toml"),
                "--rootdir", str(TESTS.parent), "-o", f"pythonpath={TESTS}", str(TESTS / "properties"),
                pure_path=pure_path, cwd=Path(pure_path))
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert " passed" in done.stdout
