"""screening_funnel: whether a study's cohort of CSC referrals reaches a service and is screened.

The cohort is the CSC referrals matching every filter of ``screening.cohort`` in ``study.yaml``
(column: value or values). A cohort referral (child c, referral on day d) is screened when the same
child (person key) has a service episode (at ``screening.site_id``, when given; else at any site)
with ``referral_date`` in [d, d + W] (W = ``screening.window_days``, default 90; day d counts).
Only cohort referrals with d + W <= as_of count. The screening is that of the referral's earliest
such episode (earliest ``referral_date``, then smallest ``episode_id``). Rows (group_by = all),
one per ``category``: ``screened`` (numerator = screened cohort referrals, denominator = cohort
referrals); ``eligible`` and ``ineligible`` (numerator = screened referrals whose episode has that
``eligibility``, denominator = screened; pending and missing are neither); and
``ineligible:<reason>`` for each reason listed in ``screening.reasons``, plus
``ineligible:other`` for any reason not listed (matched exactly) or none recorded (numerator =
ineligible with that reason, denominator = ineligible). Reasons are free text, so only listed ones
appear verbatim. The period runs from the first cohort referral counted to as_of.
"""

from __future__ import annotations

from datetime import date, timedelta

import ibis
import ibis.expr.types as ir

from daeval.metrics.rates import measure_rows
from daeval.study.screening import OTHER, Screening

MEASURE = "screening_funnel"
STAGES = ("screened", "eligible", "ineligible")


def reason_categories(screening: Screening) -> tuple[str, ...]:
    """The ``ineligible:<reason>`` categories, in the order listed, then ``ineligible:other``."""
    return tuple(f"ineligible:{r}" for r in (*screening.reasons, OTHER))


def cohort_referrals(referrals: ir.Table, screening: Screening) -> ir.Table:
    """The referrals matching every cohort filter (a missing value matches none)."""
    for column, values in screening.cohort.items():
        referrals = referrals.filter(referrals[column].isin(values))
    return referrals


def _first_episodes(cohort: ir.Table, episodes: ir.Table, screening: Screening) -> ir.Table:
    """referral_id, eligibility, ineligible_reason: each screened referral's earliest episode."""
    if screening.site_id is not None:
        episodes = episodes.filter(episodes.site_id == screening.site_id)
    eps = episodes.select(
        episode_key=episodes.child_key,
        episode_id=episodes.episode_id,
        episode_date=episodes.referral_date,
        eligibility=episodes.eligibility,
        ineligible_reason=episodes.ineligible_reason,
    )
    gap = eps.episode_date.delta(cohort.referral_date, unit="day")
    matched = cohort.join(
        eps, [cohort.child_key == eps.episode_key, gap >= 0, gap <= screening.window_days]
    ).select(cohort.referral_id, "episode_date", "episode_id", "eligibility", "ineligible_reason")
    order = ibis.row_number().over(
        group_by=matched.referral_id, order_by=[matched.episode_date, matched.episode_id]
    )
    ranked = matched.mutate(rank=order)
    return ranked.filter(ranked["rank"] == 0).drop("rank", "episode_date", "episode_id")


def screening_funnel(
    referrals: ir.Table, episodes: ir.Table, screening: Screening, as_of: date
) -> ir.Table:
    """Rows of the tidy measures table (before disclosure control); none when no cohort referral
    has its whole window by ``as_of``.

    ``referrals``: referral_id, child_key (the CSC person key), referral_date and the cohort's
    columns; ``episodes``: episode_id, site_id, child_key (the person key of source
    ``service:<site_id>``, person_id), referral_date, eligibility, ineligible_reason.
    """
    cohort = cohort_referrals(referrals, screening)
    complete = cohort.filter(cohort.referral_date <= as_of - timedelta(days=screening.window_days))
    first = _first_episodes(complete, episodes, screening)

    def count(condition: ir.BooleanValue) -> ir.IntegerValue:
        return condition.fill_null(False).cast("int64").sum().fill_null(0)

    # Each category's count (over the screened referrals) and the count it is a share of.
    ineligible = first.eligibility == "ineligible"
    reason = first.ineligible_reason
    not_listed = ~reason.isin(screening.reasons).fill_null(False)
    *listed_categories, other = reason_categories(screening)
    counts: dict[str, ir.Value] = {
        "screened": first.count(),
        "eligible": count(first.eligibility == "eligible"),
        "ineligible": count(ineligible),
        **{
            f"_reason_{i}": count(ineligible & (reason == listed))
            for i, listed in enumerate(screening.reasons)
        },
        "_reason_other": count(ineligible & not_listed),
    }
    parts = [
        ("screened", "screened", "cohort"),
        ("eligible", "eligible", "screened"),
        ("ineligible", "ineligible", "screened"),
        *((c, f"_reason_{i}", "ineligible") for i, c in enumerate(listed_categories)),
        (other, "_reason_other", "ineligible"),
    ]

    totals = complete.aggregate(cohort=complete.count(), period_start=complete.referral_date.min())
    figures = totals.filter(totals.cohort > 0).cross_join(first.aggregate(**counts))
    rows = ibis.union(
        *(
            figures.select(
                group_by=ibis.literal("all"),
                group=ibis.literal("all"),
                category=ibis.literal(category),
                numerator=figures[numerator].cast("int64"),
                denominator=figures[denominator].cast("int64"),
                period_start=figures.period_start,
            )
            for category, numerator, denominator in parts
        )
    )
    return measure_rows(rows, MEASURE, None, as_of)
