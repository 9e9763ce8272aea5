"""A site's observed referrals and funnel, read from the workspace, for recruitment projection.

Monthly referrals: the site's service episodes by calendar month of ``referral_date``, every month
from the first referral's to the last's (months with none count as 0).

Each stage counts the episodes that reached it and every stage before, among those whose outcome
at that stage is known, so that episodes still under way do not count as failures:

- ``eligible``: ``eligibility = eligible``, among episodes with a decision (not pending or empty);
- ``contacted``: a ``first_contact_date``, among the eligible;
- ``accepted``: ``offer = accepted``, among the contacted with an offer outcome;
- ``consented``: ``evaluation_consent = Y``, among the accepted with a consent answer;
- ``completed``: ``end_reason = completed``, among the consented whose episode has ended;
- ``followed_up``: an ``end`` or ``followup_*`` questionnaire from the person (their
  ``service:<site>`` record), among the completed; left out when no answers are loaded.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir
import pandas as pd

from daeval.design.recruitment import Funnel, Stage
from daeval.errors import MissingDataError
from daeval.warehouse import Workspace


def stage_conditions(
    episodes: ir.Table, followed: ir.Table | None
) -> list[tuple[str, ir.Value, ir.Value]]:
    """(stage, reached, outcome known), each among the episodes that reached the stage before."""
    e = episodes
    stages: list[tuple[str, ir.Value, ir.Value]] = [
        (
            "eligible",
            e.eligibility == "eligible",
            e.eligibility.isin(["eligible", "ineligible"]),
        ),
        ("contacted", e.first_contact_date.notnull(), ibis.literal(True)),
        ("accepted", e.offer == "accepted", e.offer.notnull()),
        ("consented", e.evaluation_consent == "Y", e.evaluation_consent.notnull()),
        ("completed", e.end_reason == "completed", e.end_date.notnull()),
    ]
    if followed is not None:
        stages.append(("followed_up", e._followed, ibis.literal(True)))
    return stages


def site_funnel(workspace: Workspace, site: str) -> tuple[Funnel, dict[str, tuple[int, int]]]:
    """The site's ``Funnel`` and its stage counts {stage: (reached, of)}."""
    warehouse = workspace.open()
    loaded = warehouse.loaded_tables()
    if "service_episodes" not in loaded:
        raise MissingDataError(
            f"recruitment needs service_episodes, which has not been loaded into {workspace.root}; "
            "add service_episodes.csv to the data folder and run daeval ingest, or give "
            "--referrals-per-month or --monthly-referrals"
        )
    con = ibis.duckdb.connect(str(warehouse.path), read_only=True)
    try:
        episodes = con.table("service_episodes")
        sites = sorted(episodes.select("site_id").distinct().execute().site_id.dropna())
        if site not in sites:
            raise MissingDataError(
                f"no service episodes for site {site!r} (sites: {', '.join(sites) or 'none'})"
            )
        episodes = episodes.filter(episodes.site_id == site)
        followed = None
        if "measure_responses" in loaded:
            r = con.table("measure_responses")
            later = (r.timepoint == "end") | r.timepoint.startswith("followup_")
            followed = (
                r.filter(later & (r.source == f"service:{site}"))
                .select(_person=r.person_id)
                .distinct()
            )
            episodes = episodes.left_join(followed, episodes.person_id == followed._person)
            episodes = episodes.mutate(_followed=episodes._person.notnull()).drop("_person")
        flags = {}
        reached_so_far: ir.BooleanValue = ibis.literal(True)
        for name, reached, known in stage_conditions(episodes, followed):
            flags[f"{name}_of"] = (reached_so_far & known).cast("int64").sum()
            reached_so_far = reached_so_far & reached.fill_null(False)
            flags[f"{name}_reached"] = (reached_so_far & known).cast("int64").sum()
        counts = episodes.aggregate(**flags).execute().iloc[0]
        months = (
            episodes.group_by(month=episodes.referral_date.truncate("M"))
            .aggregate(n=lambda t: t.count())
            .execute()
        )
    finally:
        con.disconnect()
    stage_counts = {
        name: (int(counts[f"{name}_reached"]), int(counts[f"{name}_of"]))
        for name, _, _ in stage_conditions(episodes, followed)
    }
    span = pd.period_range(
        pd.Timestamp(months.month.min()), pd.Timestamp(months.month.max()), freq="M"
    )
    by_month = {
        pd.Timestamp(m).to_period("M"): int(n) for m, n in zip(months.month, months.n, strict=True)
    }
    monthly = tuple(by_month.get(p, 0) for p in span)
    stages = tuple(
        Stage(name, reached, of) for name, (reached, of) in stage_counts.items() if of > 0
    )
    return Funnel(monthly_referrals=monthly, stages=stages), stage_counts
