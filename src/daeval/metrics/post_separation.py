"""post_separation_share: domestic abuse notifications where the parties had already separated.

Among ``domestic_abuse`` notifications dated in the period whose ``post_separation`` is recorded
(``Y`` or ``N``), the share marked ``Y``; for all, and by ``risk_level`` (``standard``,
``medium``, ``high``). Abuse after separation is a recognised marker of risk for children.
"""

from __future__ import annotations

from datetime import date

import ibis.expr.types as ir

from daeval.metrics.groupings import Breakdown
from daeval.metrics.rates import NO_BREAKDOWN, SharedMeasure, rate_of_sums
from daeval.metrics.victims import domestic_abuse, victim_rows

MEASURE = "post_separation_share"


def separations(period_start: date, period_end: date) -> SharedMeasure:
    """The measure, over domestic abuse notifications."""

    def counts(t: ir.Table) -> dict[str, ir.Value]:
        recorded = t.post_separation.isin(("Y", "N")) & t.notification_date.between(
            period_start, period_end
        )
        separated = recorded & (t.post_separation == "Y")
        return {"_separation_of": recorded.cast("int64"), "_separated": separated.cast("int64")}

    def rows(sums: ir.Table, _: ir.Table) -> ir.Table:
        return rate_of_sums(sums, "_separated", "_separation_of", MEASURE, period_start, period_end)

    return SharedMeasure(counts, rows)


def post_separation_share(
    notifications: ir.Table,
    period_start: date,
    period_end: date,
    breakdown: Breakdown = NO_BREAKDOWN,
) -> ir.Table:
    """Rows of the tidy measures table (before disclosure control).

    ``notifications``: notification_date, incident_type, post_separation, risk_level.
    """
    return victim_rows(
        domestic_abuse(notifications), [separations(period_start, period_end)], breakdown
    )
