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

import ibis
import ibis.expr.types as ir

from daeval.metrics.csc_referral import BY_RISK
from daeval.metrics.groupings import Breakdown, Subject
from daeval.metrics.rates import NO_BREAKDOWN, measure_rows, rate_rows

MEASURE = "repeat_notification_rate"
VICTIM = Subject("police", "victim_id")
DEFINITION = (
    "A domestic abuse police notification on day d is a repeat when the same victim had another "
    "domestic abuse notification on day p with p < d and d − p ≤ {window} days. Notifications on "
    "the same day are not repeats of each other. The rate is repeats divided by notifications "
    "with a victim, both counted by notification date in the period."
)


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
    da = notifications.filter(
        (notifications.incident_type == "domestic_abuse") & notifications.victim_key.notnull()
    )
    days = da.select("victim_key", "notification_date").distinct()
    by_victim = ibis.window(group_by=days.victim_key, order_by=days.notification_date)
    days = days.mutate(previous_date=days.notification_date.lag().over(by_victim))
    flagged = da.join(days, ["victim_key", "notification_date"])
    gap = flagged.notification_date.delta(flagged.previous_date, unit="day")
    flagged = flagged.mutate(
        is_repeat=(flagged.previous_date.notnull() & (gap <= window_days)).fill_null(False)
    )
    in_period = flagged.filter(flagged.notification_date.between(period_start, period_end))
    rows = rate_rows(in_period, "is_repeat", BY_RISK, "notification_date", breakdown, VICTIM)
    return measure_rows(rows, MEASURE, period_start, period_end)
