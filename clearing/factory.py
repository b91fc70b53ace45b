"""Ready-made clearinghouses, e.g. for `sitex serve --gate clearing.factory:default_clearinghouse`.

The default uses the rulebook defaults (clearing/config.py) and the SPAN-like margin model with
its default scan parameters (clearing/margin.py).
"""

from __future__ import annotations

from clearing.clearinghouse import ClearingHouse
from clearing.config import ClearingConfig
from clearing.margin import default_margin_model

__all__ = ["default_clearinghouse", "default_margin_model"]


def default_clearinghouse() -> ClearingHouse:
    return ClearingHouse(ClearingConfig(), margin=default_margin_model())
