"""re_referral_rate: the DfE measure of children referred again within 12 months.

A CSC referral on day d is a re-referral when the same child, in the same local authority
(``la_code``), has an earlier referral on day p with p < d and d - p <= window (365 days by
default). Every referral counts, ``nfa`` included; two referrals on the same day are not
re-referrals of each other. numerator = re-referrals, denominator = referrals, both by
referral_date in the period; one row for all referrals and one per ``la_code``.
"""

from __future__ import annotations

from datetime import date

import ibis
import ibis.expr.types as ir

from daeval.metrics.groupings import Breakdown, Grouping, Subject
from daeval.metrics.rates import NO_BREAKDOWN, measure_rows, rate_rows

MEASURE = "re_referral_rate"
DEFINITION = (
    "A referral to children's social care on day d is a re-referral when the same child, in the "
    "same local authority, has an earlier referral on day p with p < d and d − p ≤ {window} days. "
    "Every referral counts, no-further-action referrals included; two referrals on the same day "
    "are not re-referrals of each other. The rate is re-referrals divided by referrals, both "
    "counted by referral date in the period."
)
"""The definition in plain words, for reports (``{window}`` is the window in days)."""


def flag_re_referrals(referrals: ir.Table, window_days: int = 365) -> ir.Table:
    """Each referral with ``is_re_referral``: whether the child had another referral in the window before it.

    The previous referral is looked up among the child's distinct referral dates in the same
    local authority, so a referral made on the same day as another is not its own predecessor.
    """
    days = referrals.select("la_code", "child_id", "referral_date").distinct()
    by_child = ibis.window(group_by=[days.la_code, days.child_id], order_by=days.referral_date)
    days = days.mutate(previous_date=days.referral_date.lag().over(by_child))
    flagged = referrals.join(days, ["la_code", "child_id", "referral_date"])
    gap = flagged.referral_date.delta(flagged.previous_date, unit="day")
    return flagged.mutate(
        is_re_referral=(flagged.previous_date.notnull() & (gap <= window_days)).fill_null(False)
    )


def flagged_referrals(referrals: ir.Table, window_days: int = 365) -> ir.Table:
    """``referrals`` with ``is_re_referral``: as they are when they have it already."""
    if "is_re_referral" in referrals.columns:
        return referrals
    return flag_re_referrals(referrals, window_days)


SUBJECT = Subject("csc", "person_id")
"""The child's own CSC record (``person_id``; ``child_id`` holds the person key)."""


def re_referral_rate(
    referrals: ir.Table,
    period_start: date,
    period_end: date,
    window_days: int = 365,
    breakdown: Breakdown = NO_BREAKDOWN,
) -> ir.Table:
    """Rows of the tidy measures table (before disclosure control) for referrals in the period.
    Referrals already flagged by :func:`flag_re_referrals` (with the same window) are taken as
    they are."""
    flagged = flagged_referrals(referrals, window_days)
    in_period = flagged.filter(flagged.referral_date.between(period_start, period_end))
    rows = rate_rows(
        in_period, "is_re_referral", [Grouping("la_code")], "referral_date", breakdown, SUBJECT
    )
    return measure_rows(rows, MEASURE, period_start, period_end)
