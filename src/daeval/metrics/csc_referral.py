"""csc_referral_within_window: children followed from a domestic abuse police notification into CSC.

Index events are ``domestic_abuse`` police notifications, one per child in ``notification_children``
(notification on day d). An index event is followed up when the same child (same person key) has a
CSC referral in (d, d + W]. Only index events with d + W <= as_of count, so every one has its full
window. numerator = index events followed by a referral, denominator = index events; one row for
all, and one per risk level (``standard``, ``medium``, ``high``; events without a level count only
in all).
"""

from __future__ import annotations

from datetime import date, timedelta

import ibis
import ibis.expr.types as ir

from daeval.metrics.groupings import Breakdown, Grouping, Subject
from daeval.metrics.rates import NO_BREAKDOWN, measure_rows, rate_rows

MEASURE = "csc_referral_within_window"
RISK_LEVELS = ("standard", "medium", "high")
BY_RISK = (Grouping("risk_level", RISK_LEVELS),)
CHILD = Subject("police", "child_id")
"""The child's police record (``child_id``; ``child_key`` is the person key)."""
DEFINITION = (
    "Of the children in domestic abuse police notifications (one index event per child per "
    "notification, on day d), the share with a referral to children's social care in the {window} "
    "days after (d, d + {window}], counting only notifications whose whole window lies within the "
    "data. The same child is found across police and CSC records by linkage."
)


def index_events(notifications: ir.Table, children: ir.Table) -> ir.Table:
    """One row per child of each domestic abuse notification: notification_id, child_id,
    child_key, notification_date, risk_level (``children`` carries the child's person key as
    child_key)."""
    da = notifications.filter(notifications.incident_type == "domestic_abuse")
    return da.join(children, "notification_id").select(
        "notification_id", "child_id", "child_key", "notification_date", "risk_level"
    )


def csc_referral_within_window(
    events: ir.Table,
    referrals: ir.Table,
    as_of: date,
    window_days: int = 365,
    breakdown: Breakdown = NO_BREAKDOWN,
) -> ir.Table:
    """Rows of the tidy measures table (before disclosure control).

    ``events``: notification_id, child_key, notification_date, risk_level;
    ``referrals``: child_key, referral_date.
    """
    last_index = as_of - timedelta(days=window_days)
    complete = events.filter(events.notification_date <= last_index)
    later = referrals.select(
        referral_key=referrals.child_key, referral_date=referrals.referral_date
    )
    gap = later.referral_date.delta(complete.notification_date, unit="day")
    followed = complete.join(
        later,
        [complete.child_key == later.referral_key, gap >= 1, gap <= window_days],
        how="semi",
    )
    hit = followed.select("notification_id", "child_key").distinct().mutate(hit=ibis.literal(1))
    flagged = complete.left_join(hit, ["notification_id", "child_key"])
    flagged = flagged.mutate(followed_up=flagged.hit.fill_null(0))
    rows = rate_rows(flagged, "followed_up", BY_RISK, "notification_date", breakdown, CHILD)
    # The period is that of the index events counted: the first one to the last day allowed.
    rows = rows.cross_join(complete.aggregate(period_start=complete.notification_date.min()))
    return measure_rows(rows, MEASURE, None, last_index)
