"""Per-agent random streams from one seed.

Each name gets its own `numpy.random.Generator` whose SeedSequence is the root seed with a
spawn key derived from the name (SHA-256 of its UTF-8 bytes, as four 32-bit words). This is the
mechanism `SeedSequence.spawn` uses, keyed by name instead of by position, so adding, removing
or reordering names never changes another name's draws.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

import numpy as np


def name_key(name: str) -> tuple[int, ...]:
    """Stable spawn key for a name: the first 16 bytes of SHA-256(name) as four uint32 words."""
    digest = hashlib.sha256(name.encode("utf-8")).digest()[:16]
    return tuple(int.from_bytes(digest[i:i + 4], "little") for i in range(0, 16, 4))


def stream(seed: int, name: str) -> np.random.Generator:
    """The Generator for one name under one root seed."""
    if not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}")
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=name_key(name))))


def spawn_streams(seed: int, names: Iterable[str]) -> dict[str, np.random.Generator]:
    """One independent Generator per name; a name's stream depends only on (seed, name)."""
    names = list(names)
    if len(set(names)) != len(names):
        raise ValueError("stream names must be unique")
    return {name: stream(seed, name) for name in names}
