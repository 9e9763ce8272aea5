"""referrals_per_month and recruitment_funnel: a site's observed throughput, for recruitment
projections and readiness, as controlled figures (reports read nothing else).

Episodes referred after ``as_of`` are left out; rows are per site (``group_by = site_id``); the
period runs from the site's first referral to ``as_of``.

``referrals_per_month``: numerator = the site's episodes; denominator = the calendar months from
its first referral's month to its last referral's month, both counted (months with none count);
value = numerator / months. The denominator counts months, not people: disclosure control
releases it as it is and recomputes the value from the rounded numerator.

``recruitment_funnel``: one row per stage in ``category``, as ``daeval design recruitment``
counts them (``daeval.design.site_funnel``): each stage counts the episodes that reached it and
every stage before, among those whose outcome at that stage is known: ``eligible`` (among
episodes with a decision), ``contacted`` (among the eligible), ``accepted`` (among the contacted
with an offer outcome), ``consented`` (``evaluation_consent = Y``, among the accepted with an
answer), ``completed`` (among the consented whose episode has ended), ``followed_up`` (an ``end``
or ``followup_*`` questionnaire from the person's ``service:<site_id>`` record, administered by
``as_of``, among the completed; only when answers are loaded). numerator = reached, denominator =
the stage's episodes with a known outcome. Stages with no such episode have no row.
"""

from __future__ import annotations

from datetime import date

import ibis
import ibis.expr.types as ir

from daeval.design.site_funnel import stage_conditions
from daeval.metrics.rates import measure_rows

PER_MONTH = "referrals_per_month"
FUNNEL = "recruitment_funnel"
STAGES = ("eligible", "contacted", "accepted", "consented", "completed", "followed_up")


def _followed(episodes: ir.Table, responses: ir.Table, as_of: date) -> ir.Table:
    """The episodes with ``_followed``: whether the person answered a later questionnaire."""
    later = (responses.timepoint == "end") | responses.timepoint.startswith("followup_")
    answered = responses.filter(later & (responses.administered_date <= as_of))
    people = answered.select(_source=answered.source, _person=answered.person_id).distinct()
    source = ibis.literal("service:").concat(episodes.site_id)
    joined = episodes.left_join(
        people, [source == people._source, episodes.person_id == people._person]
    )
    return joined.mutate(_followed=joined._person.notnull()).drop("_source", "_person")


def recruitment_rows(episodes: ir.Table, responses: ir.Table | None, as_of: date) -> ir.Table:
    """Rows of the tidy measures table (before disclosure control)."""
    episodes = episodes.filter(episodes.referral_date <= as_of)
    if responses is not None:
        episodes = _followed(episodes, responses, as_of)
    stages = stage_conditions(episodes, responses)
    counts: dict[str, ir.Value] = {}
    reached_so_far: ir.BooleanValue = ibis.literal(True)
    for name, reached, known in stages:
        counts[f"{name}_of"] = (reached_so_far & known).cast("int64").sum().fill_null(0)
        reached_so_far = reached_so_far & reached.fill_null(False)
        counts[f"{name}_reached"] = (reached_so_far & known).cast("int64").sum().fill_null(0)
    first, last = episodes.referral_date.min(), episodes.referral_date.max()
    sites = episodes.group_by("site_id").aggregate(
        referrals=episodes.count(),
        months=(last.year() * 12 + last.month()) - (first.year() * 12 + first.month()) + 1,
        period_start=first,
        **counts,
    )

    def rows(category: ir.Value, numerator: ir.Value, denominator: ir.Value) -> ir.Table:
        return sites.select(
            group_by=ibis.literal("site_id"),
            group=sites.site_id,
            category=category,
            numerator=numerator.cast("int64"),
            denominator=denominator.cast("int64"),
            period_start=sites.period_start,
        )

    per_month = measure_rows(
        rows(ibis.null("string"), sites.referrals, sites.months), PER_MONTH, None, as_of
    )
    funnel = ibis.union(
        *(rows(ibis.literal(name), sites[f"{name}_reached"], sites[f"{name}_of"])
          for name, _, _ in stages)
    )  # fmt: skip
    funnel = measure_rows(funnel.filter(funnel.denominator > 0), FUNNEL, None, as_of)
    return per_month.union(funnel)
