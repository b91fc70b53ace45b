"""Ready-made clearinghouses, e.g. for `sitex serve --gate clearing.factory:default_clearinghouse`.

The default uses the rulebook defaults (clearing/config.py) and the SPAN-like margin model with
its default scan parameters when clearing/margin.py provides them.
"""

from __future__ import annotations

from clearing.clearinghouse import ClearingHouse
from clearing.config import ClearingConfig


def default_margin_model():
    """The default margin model, or None where this build has no margin module."""
    try:
        from clearing import margin
    except ImportError:
        return None
    make = getattr(margin, "default_margin_model", None)
    return make() if make is not None else None


def default_clearinghouse() -> ClearingHouse:
    return ClearingHouse(ClearingConfig(), margin=default_margin_model())
