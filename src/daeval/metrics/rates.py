"""Turning flagged events into rows of the tidy measures table: a rate overall and by group."""

from __future__ import annotations

from datetime import date

import ibis
import ibis.expr.types as ir

from daeval.model import MEASURES_COLUMNS


def rate_rows(
    events: ir.Table, flag: str, by: str, groups: tuple[str, ...] | None = None
) -> ir.Table:
    """numerator (events whose ``flag`` is true) and denominator (events): one row for all
    events (group_by = all) and one per value of ``by`` (only ``groups`` when given)."""

    def counts(t: ir.Table) -> dict[str, ir.Value]:
        return {"numerator": t[flag].cast("int64").sum().fill_null(0), "denominator": t.count()}

    overall = events.aggregate(**counts(events)).mutate(
        group_by=ibis.literal("all"), group=ibis.literal("all")
    )
    grouped = events if groups is None else events.filter(events[by].isin(groups))
    per_group = grouped.group_by(by).aggregate(**counts(grouped))
    per_group = per_group.mutate(
        group_by=ibis.literal(by), group=per_group[by].cast("string")
    ).drop(by)
    return overall.union(per_group.select(overall.columns))


def measure_rows(
    rows: ir.Table, measure: str, period_start: date | None, period_end: date
) -> ir.Table:
    """Counts as rows of the tidy measures table (before disclosure control); with no
    ``period_start``, ``rows`` carries its own, and a ``category`` column of ``rows`` is kept."""
    start = rows.period_start if period_start is None else ibis.literal(period_start)
    category = rows.category if "category" in rows.columns else ibis.null("string")
    return rows.mutate(
        measure=ibis.literal(measure),
        category=category,
        period_start=start,
        period_end=ibis.literal(period_end),
        value=(rows.numerator.cast("float64") / rows.denominator.nullif(0)),
    ).select(*(c for c in MEASURES_COLUMNS if c != "suppressed"))


def category_rows(
    events: ir.Table,
    reached: ir.Table,
    by: str,
    groups: tuple[str, ...],
    categories: tuple[str, ...],
) -> ir.Table:
    """One row per category, for all events and per group of ``by``: numerator = events that
    reached the category, denominator = events. ``events``: event_id and ``by``; ``reached``:
    event_id and category (each pair once). Every category has a row, zero when none reached it."""

    def expand(t: ir.Table) -> ir.Table:
        overall = t.mutate(group_by=ibis.literal("all"), group=ibis.literal("all"))
        grouped = t.filter(t[by].isin(groups))
        grouped = grouped.mutate(group_by=ibis.literal(by), group=grouped[by].cast("string"))
        return overall.union(grouped.select(overall.columns))

    everyone = expand(events.select("event_id", by))
    totals = everyone.group_by("group_by", "group").aggregate(denominator=ibis._.count())
    hits = reached.join(events.select("event_id", by), "event_id")
    hits = expand(hits.select("event_id", "category", by))
    counts = hits.group_by("group_by", "group", "category").aggregate(numerator=ibis._.count())
    grid = totals.cross_join(ibis.memtable({"category": list(categories)}))
    return grid.left_join(counts, ["group_by", "group", "category"]).select(
        grid["group_by"],
        grid["group"],
        grid["category"],
        grid["denominator"],
        numerator=counts["numerator"].fill_null(0),
    )
