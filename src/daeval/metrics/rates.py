"""Turning flagged events into rows of the tidy measures table: a rate, or a share per category,
for all events and for each group of each grouping (see :mod:`daeval.metrics.groupings`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import ibis
import ibis.expr.types as ir

from daeval.metrics.groupings import Breakdown, Grouping, Subject, as_date, clipped_period, rollup
from daeval.model import MEASURES_COLUMNS

NO_BREAKDOWN = Breakdown()


def rate_rows(
    events: ir.Table,
    flag: str,
    native: Sequence[Grouping],
    on: str,
    breakdown: Breakdown = NO_BREAKDOWN,
    subject: Subject | None = None,
) -> ir.Table:
    """numerator (events whose ``flag`` is true) and denominator (events), for all events and by
    each grouping: the measure's own (``native``) and the breakdown's. ``on`` is the event's date."""
    events, groupings = breakdown.apply(events, native, on, subject)
    counted = events.mutate(
        numerator=events[flag].cast("int64").fill_null(0), denominator=ibis.literal(1, "int64")
    )
    return rollup(counted, ["numerator", "denominator"], groupings, on, breakdown.period)


def category_rows(
    events: ir.Table,
    reached: ir.Table,
    key: Sequence[str],
    native: Sequence[Grouping],
    categories: tuple[str, ...],
    on: str,
    breakdown: Breakdown = NO_BREAKDOWN,
    subject: Subject | None = None,
) -> ir.Table:
    """One row per category, for all events and by each grouping: numerator = events that
    reached the category, denominator = events; an event can reach several. ``events``: the
    ``key`` columns, the grouping columns and the date ``on``; ``reached``: the ``key`` columns
    and category, naming what the events of that key reached (events sharing a key reach the
    same, and each counts). Every category has a row, zero when none reached it."""
    flags = _flags(reached.category, categories)
    by = {f"_reached_{k}": reached[k] for k in key}
    pivot = reached.group_by(**by).aggregate(**{n: f.max() for n, f in flags.items()})
    joined = events.left_join(pivot, [events[k] == pivot[f"_reached_{k}"] for k in key])
    counted = joined.mutate(**{name: joined[name].fill_null(0) for name in flags}).drop(*by)
    return _category_sums(counted, flags, native, categories, on, breakdown, subject)


def class_rows(
    events: ir.Table,
    native: Sequence[Grouping],
    categories: tuple[str, ...],
    on: str,
    breakdown: Breakdown = NO_BREAKDOWN,
    subject: Subject | None = None,
) -> ir.Table:
    """As :func:`category_rows`, for events each in one category at most: their ``category``
    column."""
    flags = _flags(events.category, categories)
    counted = events.mutate(**{n: f.fill_null(0) for n, f in flags.items()})
    return _category_sums(counted, flags, native, categories, on, breakdown, subject)


def _flags(category: ir.StringValue, categories: tuple[str, ...]) -> dict[str, ir.IntegerValue]:
    return {f"_reached_{i}": (category == c).cast("int64") for i, c in enumerate(categories)}


def _category_sums(
    counted: ir.Table,
    flags: dict,
    native: Sequence[Grouping],
    categories: tuple[str, ...],
    on: str,
    breakdown: Breakdown,
    subject: Subject | None,
) -> ir.Table:
    counted = counted.mutate(denominator=ibis.literal(1, "int64"))
    counted, groupings = breakdown.apply(counted, native, on, subject)
    sums = rollup(counted, [*flags, "denominator"], groupings, on, breakdown.period)
    keys = ("group_by", "group", "bucket_start", "bucket_end")
    return ibis.union(
        *(
            sums.select(
                *keys, category=ibis.literal(c), numerator=sums[name], denominator=sums.denominator
            )
            for name, c in zip(flags, categories, strict=True)
        )
    )


def measure_rows(
    rows: ir.Table, measure: str, period_start: date | None, period_end: date
) -> ir.Table:
    """Counts as rows of the tidy measures table (before disclosure control); with no
    ``period_start``, ``rows`` carries its own, and a ``category`` column of ``rows`` is kept.
    Rows of one calendar bucket cover the part of the period in it."""
    start = rows.period_start if period_start is None else as_date(period_start)
    category = rows.category if "category" in rows.columns else ibis.null("string")
    if "bucket_start" in rows.columns:
        first, last = clipped_period(rows, start, as_date(period_end))
    else:
        first, last = start, as_date(period_end)
    return rows.mutate(
        measure=ibis.literal(measure),
        category=category,
        period_start=first,
        period_end=last,
        value=(rows.numerator.cast("float64") / rows.denominator.nullif(0)),
    ).select(*(c for c in MEASURES_COLUMNS if c not in ("suppressed", "ci_lower", "ci_upper")))
