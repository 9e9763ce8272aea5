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

from collections.abc import Mapping
from datetime import date

import ibis
import ibis.expr.types as ir

from daeval.metrics.follow_up import WindowMeasure, followed, reached, window_measures
from daeval.metrics.groupings import Breakdown
from daeval.metrics.rates import NO_BREAKDOWN, category_split

MEASURE = "csc_outcome_within_window"
OUTCOMES = ("referral", "assessment", "cin_plan", "cp_plan", "cla")
PLAN_OUTCOME = {"CIN": "cin_plan", "CP": "cp_plan", "CLA": "cla"}


def outcomes(referrals: ir.Table, assessments: ir.Table, plans: ir.Table) -> ir.Table:
    """child_key, later_date, kind: every CSC event that counts as an outcome, its kind one of
    OUTCOMES.

    ``referrals``: referral_id, child_key, referral_date; ``assessments``: referral_id,
    start_date; ``plans``: child_key, plan_type, start_date.
    """
    refs = referrals.select(
        child_key=referrals.child_key,
        later_date=referrals.referral_date,
        kind=ibis.literal("referral"),
    )
    assessed = assessments.join(referrals, "referral_id").select(
        child_key=referrals.child_key,
        later_date=assessments.start_date,
        kind=ibis.literal("assessment"),
    )
    planned = plans.select(
        child_key=plans.child_key,
        later_date=plans.start_date,
        kind=plans.plan_type.cases(*PLAN_OUTCOME.items(), else_=None),
    )
    found = refs.union(assessed).union(planned)
    return found.filter(found.later_date.notnull() & found.kind.notnull())


def _counts(complete: ir.Table) -> Mapping[str, ir.Value]:
    return {reached(o): complete[reached(o)] for o in OUTCOMES}


def _rows(sums: ir.Table) -> ir.Table:
    return category_split(sums, {o: reached(o) for o in OUTCOMES})


REACHED = WindowMeasure(MEASURE, _counts, _rows)


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
    flagged = followed(events, found, as_of, window_days, OUTCOMES)
    return window_measures(flagged, as_of, window_days, [REACHED], breakdown)
