"""Intervention against comparison: each rate's difference between the arms with its 95%
confidence interval and, with a service start date, the difference in differences.

Both are computed from the released figures (after disclosure control), so they reveal nothing
the counts beside them do not, and only where every count they need was released.

- ``group_by = arm, group = difference``: p(intervention) − p(comparator), with Newcombe's hybrid
  score interval (Newcombe 1998, Statistics in Medicine 17:873–890, method 10), as statsmodels'
  ``confint_proportions_2indep(method="newcomb")`` computes it.
- ``group_by = arm_phase, group = difference_in_differences``: (p(intervention, after) −
  p(intervention, before)) − (p(comparator, after) − p(comparator, before)): the interaction term
  of a binomial model with an identity link over the four cells (statsmodels GLM), with its Wald
  95% interval; for four independent proportions this is the sum of their binomial variances.
"""

from __future__ import annotations

import warnings
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import replace

import numpy as np
import statsmodels.api as sm
from statsmodels.stats.proportion import confint_proportions_2indep

from daeval.metrics.groupings import PHASES
from daeval.model.measure_row import MeasureRow
from daeval.privacy.disclosure_control import WHOLE_ROWS, is_statistic

NOT_PROPORTIONS = {("address_moves", "moves_per_child")}
"""(measure, category) rows whose value is a mean, not a share of the people counted."""

DIFFERENCE = "difference"
DID = "difference_in_differences"


def _comparable(row: MeasureRow) -> bool:
    return (
        not is_statistic(row)
        and (row.measure, row.category) not in NOT_PROPORTIONS
        and (row.measure, row.category) not in WHOLE_ROWS
    )


def _released(row: MeasureRow | None) -> bool:
    return (
        row is not None
        and not row.suppressed
        and row.numerator is not None
        and bool(row.denominator)
    )


def difference(
    intervention: tuple[int, int], comparator: tuple[int, int]
) -> tuple[float, float, float]:
    """(difference in proportions, lower, upper) for (count, total) of each arm."""
    (x1, n1), (x2, n2) = intervention, comparator
    low, high = confint_proportions_2indep(x1, n1, x2, n2, method="newcomb", compare="diff")
    return x1 / n1 - x2 / n2, float(low), float(high)


def difference_in_differences(
    cells: dict[str, tuple[int, int]],
) -> tuple[float, float | None, float | None]:
    """(estimate, lower, upper) from (count, total) of each of :data:`PHASES`."""
    counts = np.array([cells[p] for p in PHASES], dtype=float)
    endog = np.column_stack([counts[:, 0], counts[:, 1] - counts[:, 0]])
    #             const, intervention, after, intervention × after
    exog = np.array([[1, 1, 0, 0], [1, 1, 1, 1], [1, 0, 0, 0], [1, 0, 1, 0]], dtype=float)
    p = counts[:, 0] / counts[:, 1]
    estimate = float((p[1] - p[0]) - (p[3] - p[2]))
    if np.any((p == 0) | (p == 1)):
        return estimate, None, None  # a proportion of 0 or 1 has no binomial variance
    with warnings.catch_warnings():
        # The model is saturated (four cells, four parameters): statsmodels warns of a zero
        # residual df and of "perfect prediction", which is exactly what is meant here.
        warnings.simplefilter("ignore")
        family = sm.families.Binomial(link=sm.families.links.Identity())
        fit = sm.GLM(endog, exog, family=family).fit()
    low, high = fit.conf_int(alpha=0.05)[3]
    return float(fit.params[3]), float(low), float(high)


def comparison_rows(rows: Iterable[MeasureRow]) -> list[MeasureRow]:
    """The difference and difference-in-differences rows for the arm rows among ``rows``."""
    cells: dict[tuple, dict[str, MeasureRow]] = defaultdict(dict)
    for row in rows:
        if row.group_by in ("arm", "arm_phase") and _comparable(row):
            key = (row.measure, row.category, row.period_start, row.period_end, row.group_by)
            cells[key][row.group] = row
    out = []
    for key, groups in cells.items():
        group_by = key[-1]
        first = next(iter(groups.values()))
        blank = replace(first, numerator=None, denominator=None, value=None, suppressed=False)
        if group_by == "arm":
            a, b = groups.get("intervention"), groups.get("comparator")
            if _released(a) and _released(b):
                assert a and b and a.numerator is not None and b.numerator is not None
                assert a.denominator and b.denominator
                value, low, high = difference(
                    (a.numerator, a.denominator), (b.numerator, b.denominator)
                )
                out.append(
                    replace(blank, group=DIFFERENCE, value=value, ci_lower=low, ci_upper=high)
                )
        elif all(_released(groups.get(p)) for p in PHASES):
            four = {p: (groups[p].numerator, groups[p].denominator) for p in PHASES}
            value, lo, hi = difference_in_differences(four)  # type: ignore[arg-type]
            out.append(replace(blank, group=DID, value=value, ci_lower=lo, ci_upper=hi))
    return out
