"""Which options a command line set itself, as opposed to left at their defaults: what tells
`--hours 24` from no `--hours` at all, so that two options that contradict each other are
refused instead of one silently winning (sitex simulate, sitex bench sweep)."""

from __future__ import annotations

import argparse
from collections.abc import Callable


def given(build: Callable[[], argparse.ArgumentParser], argv: list[str] | None) -> set[str]:
    """The dests `argv` sets, parsed by a fresh parser from `build` whose defaults are all
    suppressed (an option left out is then absent from the namespace). `argv` has already
    been parsed by the same parser, so this parse cannot fail."""
    shadow = build()
    # each action's own default (set_defaults would also put SUPPRESS in the namespace, where
    # argparse then converts it with the option's type)
    for action in shadow._actions:
        action.default = argparse.SUPPRESS
    return set(vars(shadow.parse_args(argv)))
