"""One row of the tidy measures table (data contract v1, 'Output: one tidy measures table')."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class MeasureRow:
    """A figure: ``value`` is the ratio or statistic, its counts sit in numerator and denominator."""

    measure: str
    group_by: str
    group: str
    category: str | None
    period_start: date | None
    period_end: date | None
    numerator: int | None
    denominator: int | None
    value: float | None
    suppressed: bool = False
    ci_lower: float | None = None
    ci_upper: float | None = None
