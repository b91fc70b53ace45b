"""The study's days: one daily fixing per calendar day over whole contract months.

Time 0 is the fixing of the day before the first contract month, when the hedge is put on.
Fixing j (j = 1..days) is day j, at t = j / 365 years; its log price is column j of a path
(column 0 is today). A contract month's final settlement is the average of its fixings
(docs/sit-index.md), so month m owns the fixings `first[m] .. last[m]` (inclusive).
"""

from __future__ import annotations

import calendar as _cal
from dataclasses import dataclass
from datetime import date

import numpy as np

DAYS_PER_YEAR = 365.0


@dataclass(frozen=True)
class StudyCalendar:
    start_month: str  # "YYYY-MM": the first contract month
    months: int

    def __post_init__(self):
        year, month = (int(p) for p in self.start_month.split("-"))
        lengths, labels = [], []
        for i in range(self.months):
            y, m = year + (month - 1 + i) // 12, (month - 1 + i) % 12 + 1
            lengths.append(_cal.monthrange(y, m)[1])
            labels.append(f"{y:04d}-{m:02d}")
        object.__setattr__(self, "month_days", np.array(lengths))
        object.__setattr__(self, "labels", tuple(labels))
        last = np.cumsum(lengths)
        object.__setattr__(self, "last", last)  # fixing index of each month's last day
        object.__setattr__(self, "first", last - np.array(lengths) + 1)

    @property
    def days(self) -> int:
        return int(self.last[-1])

    @property
    def dt_years(self) -> float:
        return 1.0 / DAYS_PER_YEAR

    def month_of_fixing(self) -> np.ndarray:
        """Month index (0-based) of fixings 1..days, as an array of length `days`."""
        return np.repeat(np.arange(self.months), self.month_days)

    def by_month(self, per_month: np.ndarray) -> np.ndarray:
        """(months, days): per_month[m] at the fixings of month m, 0 elsewhere. A month's sum
        of a (days, paths) array is then one matrix product (BLAS: several times faster than a
        reduceat down the rows)."""
        out = np.zeros((self.months, self.days))
        out[self.month_of_fixing(), np.arange(self.days)] = np.repeat(per_month, self.month_days)
        return out

    def first_date(self) -> date:
        year, month = (int(p) for p in self.start_month.split("-"))
        return date(year, month, 1)
