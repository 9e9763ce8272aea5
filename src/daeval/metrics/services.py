"""service_funnel and dropout_rate: what happens to the people referred to each service.

``service_funnel``: per site (and for all sites), one row per stage in ``category``: ``referred``
(every episode) → ``eligible`` (``eligibility = eligible``) → ``contacted`` (``first_contact_date``
set) → ``accepted`` (``offer = accepted``) → ``started`` (``start_date`` set) → ``completed``
(``end_reason = completed``). Each stage counts the episodes that reached it and every stage
before it; numerator = the stage's count, denominator = the previous stage's (for ``referred``,
its own).

``dropout_rate``: per site (and for all sites), among episodes with both ``start_date`` and
``end_date``, the share whose ``end_reason`` is ``disengaged``, ``declined``, ``moved_away`` or
``unable_to_contact``.

Episodes referred after ``as_of`` are left out; the period runs from the first referral to ``as_of``.
"""

from __future__ import annotations

from datetime import date

import ibis
import ibis.expr.types as ir

from daeval.metrics.rates import measure_rows, rate_rows

FUNNEL = "service_funnel"
DROPOUT = "dropout_rate"
STAGES = ("referred", "eligible", "contacted", "accepted", "started", "completed")
DROPPED_OUT = ("disengaged", "declined", "moved_away", "unable_to_contact")


def _stages(episodes: ir.Table) -> ir.Table:
    """Each episode with one 0/1 column per stage, each stage requiring the ones before."""
    reached: ir.BooleanValue = ibis.literal(True)
    conditions = {
        "referred": ibis.literal(True),
        "eligible": episodes.eligibility == "eligible",
        "contacted": episodes.first_contact_date.notnull(),
        "accepted": episodes.offer == "accepted",
        "started": episodes.start_date.notnull(),
        "completed": episodes.end_reason == "completed",
    }
    flags = {}
    for stage in STAGES:
        reached = reached & conditions[stage].fill_null(False)
        flags[stage] = reached.cast("int64")
    return episodes.mutate(**flags)


def service_funnel(episodes: ir.Table, as_of: date) -> ir.Table:
    """Rows of the tidy measures table (before disclosure control)."""
    episodes = episodes.filter(episodes.referral_date <= as_of)
    staged = _stages(episodes)
    sums = {stage: staged[stage].sum().fill_null(0) for stage in STAGES}
    overall = staged.aggregate(**sums).mutate(
        group_by=ibis.literal("all"), group=ibis.literal("all")
    )
    per_site = staged.group_by("site_id").aggregate(**sums)
    per_site = per_site.mutate(
        group_by=ibis.literal("site_id"), group=per_site.site_id.cast("string")
    ).drop("site_id")
    counts = overall.union(per_site.select(overall.columns))
    parts = []
    for i, stage in enumerate(STAGES):
        before = STAGES[max(i - 1, 0)]
        parts.append(
            counts.select(
                "group_by",
                "group",
                category=ibis.literal(stage),
                numerator=counts[stage],
                denominator=counts[before],
            )
        )
    rows = ibis.union(*parts)
    first = episodes.aggregate(period_start=episodes.referral_date.min())
    rows = rows.cross_join(first)
    return measure_rows(rows, FUNNEL, None, as_of)


def dropout_rate(episodes: ir.Table, as_of: date) -> ir.Table:
    """Rows of the tidy measures table (before disclosure control)."""
    episodes = episodes.filter(episodes.referral_date <= as_of)
    ended = episodes.filter(episodes.start_date.notnull() & episodes.end_date.notnull())
    ended = ended.mutate(dropped_out=ended.end_reason.isin(DROPPED_OUT).fill_null(False))
    rows = rate_rows(ended, "dropped_out", "site_id")
    rows = rows.cross_join(episodes.aggregate(period_start=episodes.referral_date.min()))
    return measure_rows(rows, DROPOUT, None, as_of)
