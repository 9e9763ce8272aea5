"""csc_referral_within_window: children followed from a domestic abuse police notification into CSC.

Index events are ``domestic_abuse`` police notifications, one per child in ``notification_children``
(notification on day d). An index event is followed up when the same child (same person key) has a
CSC referral in (d, d + W]. Only index events with d + W <= as_of count, so every one has its full
window. numerator = index events followed by a referral, denominator = index events; one row for
all, and one per risk level (``standard``, ``medium``, ``high``; events without a level count only
in all).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

import ibis.expr.types as ir

from daeval.metrics.follow_up import (
    REFERRAL,
    WindowMeasure,
    followed,
    later_referrals,
    reached,
    window_measures,
)
from daeval.metrics.groupings import Breakdown
from daeval.metrics.rates import NO_BREAKDOWN

MEASURE = "csc_referral_within_window"
DEFINITION = (
    "Of the children in domestic abuse police notifications (one index event per child per "
    "notification, on day d), the share with a referral to children's social care in the {window} "
    "days after (d, d + {window}], counting only notifications whose whole window lies within the "
    "data. The same child is found across police and CSC records by linkage."
)


def _counts(complete: ir.Table) -> Mapping[str, ir.Value]:
    return {"followed_up": complete[reached(REFERRAL)]}


def _rows(sums: ir.Table) -> ir.Table:
    return sums.select(
        "group_by", "group", "bucket_start", "bucket_end",
        numerator=sums.followed_up, denominator=sums.denominator,
    )  # fmt: skip


FOLLOWED_UP = WindowMeasure(MEASURE, _counts, _rows)


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
    flagged = followed(events, later_referrals(referrals), as_of, window_days)
    return window_measures(flagged, as_of, window_days, [FOLLOWED_UP], breakdown)
