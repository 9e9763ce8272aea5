"""What the three sides of the measures benchmark share: the settings of the run, the code lists
and bands (facts taken from daeval), and the shape of a row. Each side's computation is its own."""

from __future__ import annotations

from daeval.instruments.scoring import ANSWER_COLUMNS
from daeval.metrics.groupings import AGE_BANDS
from daeval.metrics.services import DROPPED_OUT
from daeval.model.codes import ETHNICITY_GROUP as CODE_GROUP

WINDOW = 365
SUBGROUPS = ("area", "sex", "age_band", "ethnicity_group", "disability")
RISK_LEVELS = ("standard", "medium", "high")
CLASSES = ("no_repeat", "escalated", "de_escalated", "repeat_same_level")
STAGES = ("referred", "eligible", "contacted", "accepted", "started", "completed")
ETHNICITY_GROUP = {
    group: tuple(code for code, g in CODE_GROUP.items() if g == group)
    for group in dict.fromkeys(CODE_GROUP.values())
}

Row = tuple
"""(measure, group_by, group, category, period_start, period_end, numerator, denominator) and,
for a statistic (a Kaplan–Meier estimate, a median, a mean change), also value, ci_lower and
ci_upper; a row of eight fields is a count whose value is numerator / denominator."""

__all__ = [
    "AGE_BANDS",
    "ANSWER_COLUMNS",
    "CLASSES",
    "DROPPED_OUT",
    "ETHNICITY_GROUP",
    "RISK_LEVELS",
    "STAGES",
    "SUBGROUPS",
    "WINDOW",
    "Row",
]
