"""Which build of the matching core runs: compiled by setup.py, or the pure-Python source."""

from __future__ import annotations

from importlib.machinery import EXTENSION_SUFFIXES

from exchange import venue

def compiled() -> bool:
    """True when the venue is the compiled extension (the .py files are then only its source)."""
    return venue.__file__.endswith(tuple(EXTENSION_SUFFIXES))
