"""post_separation_share: domestic abuse notifications where the parties had already separated.

Among ``domestic_abuse`` notifications dated in the period whose ``post_separation`` is recorded
(``Y`` or ``N``), the share marked ``Y``; for all, and by ``risk_level`` (``standard``,
``medium``, ``high``). Abuse after separation is a recognised marker of risk for children.
"""

from __future__ import annotations

from datetime import date

import ibis.expr.types as ir

from daeval.metrics.csc_referral import BY_RISK
from daeval.metrics.groupings import Breakdown
from daeval.metrics.rates import NO_BREAKDOWN, measure_rows, rate_rows
from daeval.metrics.repeat_notification import VICTIM

MEASURE = "post_separation_share"


def post_separation_share(
    notifications: ir.Table,
    period_start: date,
    period_end: date,
    breakdown: Breakdown = NO_BREAKDOWN,
) -> ir.Table:
    """Rows of the tidy measures table (before disclosure control).

    ``notifications``: notification_date, incident_type, post_separation, risk_level.
    """
    recorded = notifications.filter(
        (notifications.incident_type == "domestic_abuse")
        & notifications.post_separation.isin(("Y", "N"))
        & notifications.notification_date.between(period_start, period_end)
    )
    recorded = recorded.mutate(separated=recorded.post_separation == "Y")
    rows = rate_rows(recorded, "separated", BY_RISK, "notification_date", breakdown, VICTIM)
    return measure_rows(rows, MEASURE, period_start, period_end)
