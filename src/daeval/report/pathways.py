"""Report sections on children's pathways across the local authority (re-referral, risk
trajectories, routes into children's social care, time to referral, screening) and on equality
(headline figures by subgroup)."""

from __future__ import annotations

from daeval.model.measure_row import MeasureRow
from daeval.report import charts, curves
from daeval.report.blocks import (
    NO_MEASURES,
    Block,
    Section,
    Text,
    count,
    frac,
    label,
    n,
    percent,
    share,
)
from daeval.report.figures import by_category
from daeval.report.inputs import Inputs
from daeval.report.sankey_chart import sankey_chart
from daeval.report.tables import Table

ROUTES = ("referral", "assessment", "cin_plan", "cp_plan", "cla")
SUBGROUPS = ("area", "sex", "age_band", "ethnicity_group", "disability")


def pathways(inputs: Inputs, site: str | None) -> Section:
    title = "Children's pathways"
    figures = inputs.figures
    if figures is None:
        return Section("pathways", title, missing=NO_MEASURES)
    if site is not None:
        return Section("pathways", title, (Text(
            "Pathways are measured across the local authority, not per service: see the "
            "cross-site report."),))  # fmt: skip
    blocks: list[Block] = []
    headline = figures.one("re_referral_rate")
    if headline is not None:
        blocks.append(Text(f"Re-referral rate: {percent(headline.value)} of "
                           f"{count(headline.denominator)} referrals were re-referrals within "
                           "12 months of an earlier referral.", "lede"))  # fmt: skip
    flows = []
    for level in ("standard", "medium", "high"):
        for r in figures.select("risk_trajectory", "risk_level", level):
            flows.append((f"{label(level)} risk", label(r.category or ""), r.numerator))
    if flows:
        blocks.append(sankey_chart("trajectory", "Risk at the next notification, by "
                                          "risk at the first", flows))  # fmt: skip
    trajectory = by_category(figures.select("risk_trajectory"))
    if trajectory:
        blocks.append(_category_table(
            "risk_trajectory", "Risk trajectories after a graded notification",
            ("Trajectory", "Victims"), trajectory,
            "risk_trajectory: the victim's notifications in the year after one graded standard, "
            "medium or high."))  # fmt: skip
    routes = by_category(figures.select("csc_outcome_within_window"))
    if routes:
        flows = route_flows(inputs)
        if flows:
            blocks.append(sankey_chart(
                "routes", "The furthest step into children's social care within a year, by risk "
                "at the notification", flows, columns=("Risk at the notification",
                                                       "Furthest step")))  # fmt: skip
        blocks.append(_category_table(
            "routes", "How far into children's social care, within a year of a notification",
            ("Step reached", "Children"), routes,
            "csc_outcome_within_window: each step counts the children who reached it."))  # fmt: skip
    km = figures.select("km_csc_referral")
    if km:
        points = [(float(r.category or 0), r.value, r.ci_lower, r.ci_upper) for r in km]
        blocks.append(curves.survival_chart(
            "km", "Time to a first referral after a notification", {"All children": points},
            "Cumulative share referred"))  # fmt: skip
    screening = by_category(figures.select("screening_funnel"))
    if screening:
        blocks.append(_category_table(
            "screening", "After a no-further-action decision: screening for early help",
            ("Stage", "Referrals"), screening,
            "screening_funnel: the study's cohort of referrals closed with no further action."))  # fmt: skip
    if not blocks:
        return Section("pathways", title, missing="No police or CSC measures were computed.")
    return Section("pathways", title, tuple(blocks))


def _category_table(
    key: str, title: str, columns: tuple[str, str], rows: dict[str, MeasureRow], note: str
) -> Table:
    """A table of one measure's categories: each with its count and share."""
    return Table(
        key, title, (*columns, "Share"),
        rows=tuple((label(k), n(r.numerator), frac(r.value)) for k, r in rows.items()),
        percent_columns=("Share",), note=note,
    )  # fmt: skip


def route_flows(inputs: Inputs) -> list[tuple[str, str, int | None]]:
    """Children by risk level at the notification and the furthest step they reached: the
    difference of the controlled counts of one step and the next (a difference of 7 or fewer,
    or one that rests on a suppressed count, is shown as suppressed)."""
    assert inputs.figures is not None
    flows: list[tuple[str, str, int | None]] = []
    for level in ("standard", "medium", "high"):
        reached = by_category(inputs.figures.select("csc_outcome_within_window", "risk_level",
                                                    level))  # fmt: skip
        if not reached:
            continue
        index = next(iter(reached.values())).denominator
        chain = [index, *(reached[s].numerator if s in reached else None for s in ROUTES), 0]
        names = ["No referral", *(label(s) for s in ROUTES)]
        for i, name in enumerate(names):
            high, low = chain[i], chain[i + 1]
            flow = None if high is None or low is None or high - low <= 7 else high - low
            flows.append((f"{label(level)} risk", name, flow))
    return flows


HEADLINES: tuple[tuple[str, str | None, str], ...] = (
    ("re_referral_rate", None, "Re-referral rate"),
    ("dropout_rate", None, "Drop-out"),
    ("service_funnel", "completed", "Completed the service, of those who started"),
    ("csc_referral_within_window", None, "Referred to CSC within a year of a notification"),
)
"""Headline figures (measure, category) shown by every subgroup of the equality plan; reliable
improvement on each questionnaire is added by instrument."""


def _headlines(inputs: Inputs) -> list[tuple[str, str | None, str]]:
    assert inputs.figures is not None
    codes = sorted({
        (r.category or "").partition(":")[0] for r in inputs.figures.select("reliable_change")
        if (r.category or "").endswith(":reliably_improved")
    })  # fmt: skip
    return [*HEADLINES, *(("reliable_change", f"{c}:reliably_improved",
                           f"Reliably improved on {c}") for c in codes)]  # fmt: skip


def equality(inputs: Inputs, site: str | None) -> Section:
    title = "Equality: headline figures by subgroup"
    figures = inputs.figures
    if figures is None:
        return Section("equality", title, missing=NO_MEASURES)
    if site is not None:
        return Section("equality", title, (Text("Subgroup figures for one site are mostly too "
                       "small to publish: see the cross-site report."),))  # fmt: skip
    subgroups = [s for s in figures.meta.get("subgroups", SUBGROUPS) if s in SUBGROUPS]
    blocks: list[Block] = []
    for measure, category, name in _headlines(inputs):
        found = [
            (subgroup, r)
            for subgroup in subgroups
            for r in figures.select(measure, subgroup)
            if r.category == category
        ]
        if not found:
            continue
        key = f"{measure}-{category or 'all'}".replace(":", "-").replace("_", "-")
        if any(share(r) is not None for _, r in found):
            blocks.append(charts.bar_chart(
                f"equality-{key}", f"{name} by subgroup",
                [(f"{label(g)}: {r.group}", share(r), None, None) for g, r in found], name))  # fmt: skip
        blocks.append(Table(
            f"equality_{key}", f"{name} by subgroup",
            ("Subgroup", "Group", "Numerator", "Denominator", "Rate"),
            rows=tuple((label(g), r.group, n(r.numerator), n(r.denominator), frac(r.value))
                  for g, r in found),
            percent_columns=("Rate",),
            note="Groups whose counts would identify a child are suppressed.",
        ))  # fmt: skip
    if not blocks:
        return Section("equality", title, missing="No measure was broken down by subgroup.")
    return Section("equality", title, tuple(blocks))
