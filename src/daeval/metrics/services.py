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

from daeval.metrics.groupings import Breakdown, Grouping, Subject, rollup
from daeval.metrics.rates import NO_BREAKDOWN, measure_rows, rate_rows

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


SITE = (Grouping("site_id"),)


def _person(episodes: ir.Table) -> Subject:
    """The person's record in the service's own source, ``service:<site_id>``."""
    return Subject(ibis.literal("service:").concat(episodes.site_id), "person_id", "service:")


def service_funnel(
    episodes: ir.Table, as_of: date, breakdown: Breakdown = NO_BREAKDOWN
) -> ir.Table:
    """Rows of the tidy measures table (before disclosure control)."""
    episodes = episodes.filter(episodes.referral_date <= as_of)
    staged, groupings = breakdown.apply(_stages(episodes), SITE, "referral_date", _person(episodes))
    counts = rollup(staged, STAGES, groupings, "referral_date", breakdown.period)
    parts = []
    for i, stage in enumerate(STAGES):
        before = STAGES[max(i - 1, 0)]
        parts.append(
            counts.select(
                "group_by",
                "group",
                "bucket_start",
                "bucket_end",
                category=ibis.literal(stage),
                numerator=counts[stage],
                denominator=counts[before],
            )
        )
    rows = ibis.union(*parts)
    first = episodes.aggregate(period_start=episodes.referral_date.min())
    rows = rows.cross_join(first)
    return measure_rows(rows, FUNNEL, None, as_of)


def dropout_rate(episodes: ir.Table, as_of: date, breakdown: Breakdown = NO_BREAKDOWN) -> ir.Table:
    """Rows of the tidy measures table (before disclosure control)."""
    episodes = episodes.filter(episodes.referral_date <= as_of)
    ended = episodes.filter(episodes.start_date.notnull() & episodes.end_date.notnull())
    ended = ended.mutate(dropped_out=ended.end_reason.isin(DROPPED_OUT).fill_null(False))
    rows = rate_rows(ended, "dropped_out", SITE, "referral_date", breakdown, _person(ended))
    rows = rows.cross_join(episodes.aggregate(period_start=episodes.referral_date.min()))
    return measure_rows(rows, DROPOUT, None, as_of)
