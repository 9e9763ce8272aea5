"""risk_trajectory: after a graded domestic abuse notification, did the victim's risk rise or fall?

Index events are ``domestic_abuse`` notifications with a ``risk_level``, about victim v, at level
L, on day d, with d + W <= as_of. The victim's ``domestic_abuse`` notifications in (d, d + W]
decide the class: none → ``no_repeat``; the highest later level above L → ``escalated``; below L →
``de_escalated``; otherwise (the same level, or no later notification has a level) →
``repeat_same_level``. One row per class in ``category``: numerator = index events in the class,
denominator = all index events; for all, and by the index event's ``risk_level``.
"""

from __future__ import annotations

from datetime import date, timedelta

import ibis
import ibis.expr.types as ir

from daeval.metrics.csc_referral import BY_RISK, RISK_LEVELS
from daeval.metrics.groupings import Breakdown
from daeval.metrics.rates import NO_BREAKDOWN, class_rows, measure_rows
from daeval.metrics.repeat_notification import VICTIM

MEASURE = "risk_trajectory"
CLASSES = ("no_repeat", "escalated", "de_escalated", "repeat_same_level")


def _rank(level: ir.StringValue) -> ir.IntegerValue:
    return level.cases(*((name, i + 1) for i, name in enumerate(RISK_LEVELS)), else_=None)


def risk_trajectory(
    notifications: ir.Table,
    as_of: date,
    window_days: int = 365,
    breakdown: Breakdown = NO_BREAKDOWN,
) -> ir.Table:
    """Rows of the tidy measures table (before disclosure control).

    ``notifications``: notification_id, notification_date, incident_type, victim_key, risk_level.
    """
    last_index = as_of - timedelta(days=window_days)
    da = notifications.filter(
        (notifications.incident_type == "domestic_abuse") & notifications.victim_key.notnull()
    )
    index = da.filter(da.risk_level.isin(RISK_LEVELS) & (da.notification_date <= last_index))
    index = index.mutate(rank=_rank(index.risk_level))
    later = da.select(
        later_victim=da.victim_key, later_date=da.notification_date, later_rank=_rank(da.risk_level)
    )
    gap = later.later_date.delta(index.notification_date, unit="day")
    pairs = index.join(
        later, [index.victim_key == later.later_victim, gap >= 1, gap <= window_days]
    ).select(later_of=index.notification_id, later_rank=later.later_rank)
    after = pairs.group_by("later_of").aggregate(
        repeats=ibis._.count(), highest=ibis._.later_rank.max()
    )
    joined = index.left_join(after, index.notification_id == after.later_of)
    category = ibis.cases(
        (joined.repeats.isnull(), "no_repeat"),
        (joined.highest.isnull(), "repeat_same_level"),
        (joined.highest > joined.rank, "escalated"),
        (joined.highest < joined.rank, "de_escalated"),
        else_="repeat_same_level",
    )
    classified = joined.mutate(category=category)
    rows = class_rows(classified, BY_RISK, CLASSES, "notification_date", breakdown, VICTIM)
    rows = rows.cross_join(index.aggregate(period_start=index.notification_date.min()))
    return measure_rows(rows, MEASURE, None, last_index)
