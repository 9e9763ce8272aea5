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
