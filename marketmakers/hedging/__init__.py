"""The hedging study (docs/hedging.md): an application-layer enterprise's compute bill, hedged
with SIT (or GPU-hour) futures by several programmes, by Monte Carlo and through the market.

    from marketmakers.hedging import settings_for, run_study
    result = run_study(settings_for("demand-explosion", {"volume_noise": 0.2}))
    result.summary["programmes"]["static"]["std_reduction"]
"""

from marketmakers.hedging.settings import (
           HedgeSettings,
           SettingsError,
           parse_assignments,
           settings_for,
)
from marketmakers.hedging.study import PROGRAMMES, StudyResult, run_study

__all__ = [
           "PROGRAMMES",
           "HedgeSettings",
           "SettingsError",
           "StudyResult",
           "parse_assignments",
           "run_study",
           "settings_for",
]
