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

from daeval.metrics.groupings import RISK_LEVELS, Breakdown
from daeval.metrics.rates import NO_BREAKDOWN, SharedMeasure, category_split, measure_rows, present
from daeval.metrics.victims import domestic_abuse, notified, risk_rank, victim_rows

MEASURE = "risk_trajectory"
CLASSES = ("no_repeat", "escalated", "de_escalated", "repeat_same_level")


def is_index(t: ir.Table, last_index: date, victim: str = "victim_key") -> ir.BooleanValue:
    """Whether a domestic abuse notification is an index event: graded, with a victim (the
    column ``victim``), dated on or before ``last_index`` (as_of − W)."""
    graded = t.risk_level.isin(RISK_LEVELS)
    return t[victim].notnull() & graded & (t.notification_date <= last_index)


def trajectories(
    as_of: date, window_days: int = 365, period_start: date | None = None
) -> SharedMeasure:
    """The measure, over the notifications of :func:`daeval.metrics.victims.notified` (with the
    same window). ``period_start``: the first index event's date, when known already (else it is
    found among the notifications)."""
    last_index = as_of - timedelta(days=window_days)

    def index(t: ir.Table) -> ir.BooleanValue:
        return is_index(t, last_index)

    def counts(t: ir.Table) -> dict[str, ir.Value]:
        rank = risk_rank(t.risk_level)
        category = ibis.cases(
            (t.later == 0, "no_repeat"),
            (t.highest.isnull(), "repeat_same_level"),
            (t.highest > rank, "escalated"),
            (t.highest < rank, "de_escalated"),
            else_="repeat_same_level",
        )
        is_index = index(t)
        flags = {
            f"_trajectory_{i}": (is_index & (category == c)).cast("int64")
            for i, c in enumerate(CLASSES)
        }
        return {**flags, "_trajectory_of": is_index.cast("int64")}

    def rows(sums: ir.Table, events: ir.Table) -> ir.Table:
        columns = {c: f"_trajectory_{i}" for i, c in enumerate(CLASSES)}
        split = category_split(present(sums, "_trajectory_of"), columns, "_trajectory_of")
        if period_start is not None:
            return measure_rows(split, MEASURE, period_start, last_index)
        first = events.filter(index(events)).notification_date.min()
        split = split.cross_join(events.filter(index(events)).aggregate(period_start=first))
        return measure_rows(split, MEASURE, None, last_index)

    return SharedMeasure(counts, rows)


def risk_trajectory(
    notifications: ir.Table,
    as_of: date,
    window_days: int = 365,
    breakdown: Breakdown = NO_BREAKDOWN,
) -> ir.Table:
    """Rows of the tidy measures table (before disclosure control).

    ``notifications``: notification_date, incident_type, victim_key, risk_level.
    """
    events = notified(domestic_abuse(notifications), window_days)
    return victim_rows(events, [trajectories(as_of, window_days)], breakdown)
