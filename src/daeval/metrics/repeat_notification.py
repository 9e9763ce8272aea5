"""repeat_notification_rate: domestic abuse notifications about a victim already notified in the year.

A ``domestic_abuse`` police notification on day d about victim v is a repeat when v (the same
person after linkage) has another ``domestic_abuse`` notification on day p with p < d and
d - p <= W (365 days by default): the MARAC sense of a repeat incident. Two notifications on the
same day are not repeats of each other. Notifications with no victim recorded are not counted.
numerator = repeats, denominator = notifications, both by notification_date in the period; one row
for all, and one per risk level (``standard``, ``medium``, ``high``).
"""

from __future__ import annotations

from datetime import date

import ibis.expr.types as ir

from daeval.metrics.groupings import Breakdown
from daeval.metrics.rates import NO_BREAKDOWN, SharedMeasure, rate_of_sums
from daeval.metrics.victims import domestic_abuse, notified, victim_rows

MEASURE = "repeat_notification_rate"
DEFINITION = (
    "A domestic abuse police notification on day d is a repeat when the same victim had another "
    "domestic abuse notification on day p with p < d and d − p ≤ {window} days. Notifications on "
    "the same day are not repeats of each other. The rate is repeats divided by notifications "
    "with a victim, both counted by notification date in the period."
)


def repeats(period_start: date, period_end: date) -> SharedMeasure:
    """The measure, over the notifications of :func:`daeval.metrics.victims.notified`."""

    def counts(t: ir.Table) -> dict[str, ir.Value]:
        counted = t.victim_key.notnull() & t.notification_date.between(period_start, period_end)
        return {
            "_repeat_of": counted.cast("int64"),
            "_repeats": (counted & (t.repeat == 1)).cast("int64"),
        }

    def rows(sums: ir.Table, _: ir.Table) -> ir.Table:
        return rate_of_sums(sums, "_repeats", "_repeat_of", MEASURE, period_start, period_end)

    return SharedMeasure(counts, rows)


def repeat_notification_rate(
    notifications: ir.Table,
    period_start: date,
    period_end: date,
    window_days: int = 365,
    breakdown: Breakdown = NO_BREAKDOWN,
) -> ir.Table:
    """Rows of the tidy measures table (before disclosure control).

    ``notifications``: notification_date, incident_type, victim_key, risk_level.
    """
    events = notified(domestic_abuse(notifications), window_days)
    return victim_rows(events, [repeats(period_start, period_end)], breakdown)
