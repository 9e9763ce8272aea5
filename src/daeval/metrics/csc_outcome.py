"""csc_outcome_within_window: how far into children's social care children go after an index event.

Index events are those of ``csc_referral_within_window`` (a child of a ``domestic_abuse`` police
notification on day d, with d + W <= as_of). For each outcome, whether the same child (person key)
reached it in (d, d + W]: ``referral`` (a CSC referral dated in the window), ``assessment`` (an
assessment of one of the child's referrals starting in the window), ``cin_plan``, ``cp_plan`` and
``cla`` (a plan of that type starting in the window). One row per outcome in ``category``:
numerator = index events followed by it, denominator = index events; for all, and by risk level.
An event can reach several outcomes.
"""

from __future__ import annotations

from datetime import date, timedelta

import ibis
import ibis.expr.types as ir

from daeval.metrics.csc_referral import BY_RISK, CHILD
from daeval.metrics.groupings import Breakdown
from daeval.metrics.rates import NO_BREAKDOWN, category_rows, measure_rows

MEASURE = "csc_outcome_within_window"
OUTCOMES = ("referral", "assessment", "cin_plan", "cp_plan", "cla")
PLAN_OUTCOME = {"CIN": "cin_plan", "CP": "cp_plan", "CLA": "cla"}


def outcomes(referrals: ir.Table, assessments: ir.Table, plans: ir.Table) -> ir.Table:
    """child_key, outcome_date, category: every CSC event that counts as an outcome.

    ``referrals``: referral_id, child_key, referral_date; ``assessments``: referral_id,
    start_date; ``plans``: child_key, plan_type, start_date.
    """
    refs = referrals.select(
        child_key=referrals.child_key,
        outcome_date=referrals.referral_date,
        category=ibis.literal("referral"),
    )
    assessed = assessments.join(referrals, "referral_id").select(
        child_key=referrals.child_key,
        outcome_date=assessments.start_date,
        category=ibis.literal("assessment"),
    )
    planned = plans.select(
        child_key=plans.child_key,
        outcome_date=plans.start_date,
        category=plans.plan_type.cases(*PLAN_OUTCOME.items(), else_=None),
    )
    found = refs.union(assessed).union(planned)
    return found.filter(found.outcome_date.notnull() & found.category.notnull())


def csc_outcome_within_window(
    events: ir.Table,
    found: ir.Table,
    as_of: date,
    window_days: int = 365,
    breakdown: Breakdown = NO_BREAKDOWN,
) -> ir.Table:
    """Rows of the tidy measures table (before disclosure control).

    ``events``: notification_id, child_key, notification_date, risk_level; ``found``: the
    result of :func:`outcomes`.
    """
    last_index = as_of - timedelta(days=window_days)
    complete = events.filter(events.notification_date <= last_index)
    later = found.select(
        found_key=found.child_key, outcome_date=found.outcome_date, outcome=found.category
    )
    gap = later.outcome_date.delta(complete.notification_date, unit="day")
    # What a child reached after day d depends on the child and the day only.
    reached = (
        complete.join(later, [complete.child_key == later.found_key, gap >= 1, gap <= window_days])
        .select(complete.child_key, complete.notification_date, category=later.outcome)
        .distinct()
    )
    rows = category_rows(
        complete,
        reached,
        ("child_key", "notification_date"),
        BY_RISK,
        OUTCOMES,
        "notification_date",
        breakdown,
        CHILD,
    )
    rows = rows.cross_join(complete.aggregate(period_start=complete.notification_date.min()))
    return measure_rows(rows, MEASURE, None, last_index)
