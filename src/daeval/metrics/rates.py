"""Turning flagged events into rows of the tidy measures table: a rate, or a share per category,
for all events and for each group of each grouping (see :mod:`daeval.metrics.groupings`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import ibis
import ibis.expr.types as ir

from daeval.metrics.groupings import Breakdown, Grouping, Subject, as_date, clipped_period, rollup
from daeval.model import MEASURES_COLUMNS

NO_BREAKDOWN = Breakdown()


def counted_sums(
    events: ir.Table,
    counts: Mapping[str, ir.Value],
    native: Sequence[Grouping],
    on: str,
    breakdown: Breakdown = NO_BREAKDOWN,
    subject: Subject | None = None,
) -> ir.Table:
    """The sums of the ``counts`` columns (expressions over ``events``), for all events and by
    each grouping: the measure's own (``native``) and the breakdown's. ``on`` is the event's date."""
    counted = events.mutate(**counts)
    counted, groupings = breakdown.apply(counted, native, on, subject)
    return rollup(counted, list(counts), groupings, on, breakdown.period)


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
    counts = {
        "numerator": events[flag].cast("int64").fill_null(0),
        "denominator": ibis.literal(1, "int64"),
    }
    return counted_sums(events, counts, native, on, breakdown, subject)


def category_split(
    sums: ir.Table, columns: Mapping[str, str], denominator: str = "denominator"
) -> ir.Table:
    """Each row of ``sums`` (group_by, group, bucket_start, bucket_end and count columns) as one
    row per category: numerator = the sum in the category's column (named by ``columns``),
    denominator = the sum in ``denominator``."""
    keys = ("group_by", "group", "bucket_start", "bucket_end")
    return ibis.union(
        *(
            sums.select(
                *keys,
                category=ibis.literal(category),
                numerator=sums[column],
                denominator=sums[denominator],
            )
            for category, column in columns.items()
        )
    )


@dataclass(frozen=True)
class SharedMeasure:
    """A measure counted together with others over the same events: its count columns
    (expressions over the events; columns of the same name must be the same expression), and its
    rows of the tidy measures table from their sums and the events (see :func:`shared_rows`)."""

    counts: Callable[[ir.Table], Mapping[str, ir.Value]]
    rows: Callable[[ir.Table, ir.Table], ir.Table]


def present(sums: ir.Table, denominator: str) -> ir.Table:
    """The rows of ``sums`` where the measure has events (``denominator`` above zero), and its
    row for all over the whole period always, as if it had been counted alone."""
    whole = (sums.group_by == "all") & sums.bucket_start.isnull()
    return sums.filter((sums[denominator] > 0) | whole)


def rate_of_sums(
    sums: ir.Table,
    numerator: str,
    denominator: str,
    measure: str,
    period_start: date,
    period_end: date,
) -> ir.Table:
    """A rate's rows of the tidy measures table, from the sums of :func:`shared_rows`: its
    ``numerator`` and ``denominator`` columns, where it has events (see :func:`present`)."""
    sums = present(sums, denominator)
    rates = sums.select(
        "group_by", "group", "bucket_start", "bucket_end",
        numerator=sums[numerator], denominator=sums[denominator],
    )  # fmt: skip
    return measure_rows(rates, measure, period_start, period_end)


def shared_rows(
    events: ir.Table,
    measures: Sequence[SharedMeasure],
    native: Sequence[Grouping],
    on: str,
    breakdown: Breakdown = NO_BREAKDOWN,
    subject: Subject | None = None,
) -> ir.Table:
    """The rows of every one of ``measures``, from one count of ``events`` by every grouping (the
    measures' own, ``native``, and the breakdown's): the events are grouped once for all."""
    counts: dict[str, ir.Value] = {}
    for measure in measures:
        counts.update(measure.counts(events))
    sums = counted_sums(events, counts, native, on, breakdown, subject)
    return ibis.union(*(measure.rows(sums, events) for measure in measures))


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
