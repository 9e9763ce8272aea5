"""What followed each index event: a child of a domestic abuse police notification, on day d (see
:mod:`daeval.metrics.csc_referral`), followed into CSC and across addresses.

:func:`followed` looks at what came after each index event once, for every measure of the child's
window: the days to the child's first CSC referral, the CSC outcomes reached and the moves made.
:func:`window_measures` counts the index events with their whole window (d + W <= as_of) once, by
every grouping, and each measure takes its rows from those sums: ``csc_referral_within_window``,
``csc_outcome_within_window`` and ``address_moves`` share one query.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import ibis
import ibis.expr.types as ir

from daeval.metrics.groupings import BY_RISK, Breakdown, Subject
from daeval.metrics.rates import NO_BREAKDOWN, SharedMeasure, measure_rows, shared_rows

REFERRAL = "referral"
MOVE = "move"
LATER = ("child_key", "later_date", "kind")
"""The columns of what can follow an index event: the person key, the day and its kind
(``referral``, ``move``, or another CSC outcome)."""
CHILD = Subject("police", "child_id")
"""The child's police record (``child_id``; ``child_key`` is the person key)."""
ON = "notification_date"


def index_events(notifications: ir.Table, children: ir.Table) -> ir.Table:
    """One row per child of each domestic abuse notification: notification_id, child_id,
    child_key, notification_date, risk_level (``children`` carries the child's person key as
    child_key)."""
    da = notifications.filter(notifications.incident_type == "domestic_abuse")
    return da.join(children, "notification_id").select(
        "notification_id", "child_id", "child_key", "notification_date", "risk_level"
    )


def later_referrals(referrals: ir.Table) -> ir.Table:
    """CSC referrals (child_key, referral_date) as what can follow an index event."""
    return referrals.select(
        child_key=referrals.child_key,
        later_date=referrals.referral_date,
        kind=ibis.literal(REFERRAL),
    )


def reached(kind: str) -> str:
    """The column of :func:`followed` flagging an outcome of this kind in the window."""
    return f"reached_{kind}"


def followed(
    events: ir.Table,
    later: ir.Table,
    as_of: date,
    window_days: int = 365,
    outcomes: Sequence[str] = (),
) -> ir.Table:
    """The index events of ``events`` (notification_date d < as_of), each with:

    - ``first_day``: days from d to the child's first ``referral`` in (d, as_of], missing when none;
    - ``reached_referral`` (0/1): a ``referral`` in (d, d + W];
    - ``moves``: distinct days of the child's ``move`` rows in (d, d + W];
    - ``reached_<kind>`` (0/1) for each other kind in ``outcomes``: a row of that kind in
      (d, d + W].

    ``events``: child_key and notification_date (other columns are kept); ``later``: the
    :data:`LATER` columns. What followed depends on the child and the day only, so events sharing
    both (two records of one child in one notification) are followed alike.
    """
    kinds = list(dict.fromkeys([REFERRAL, *outcomes]))
    index = events.filter(events.notification_date < as_of)
    after = later.select(_key=later.child_key, _date=later.later_date, _kind=later.kind)
    days = after._date.delta(index.notification_date, unit="day")
    pairs = index.join(
        after,
        [
            index.child_key == after._key,
            after._date > index.notification_date,
            after._date <= as_of,
            (after._kind == REFERRAL) | (days <= window_days),
        ],
    ).select(_fkey=index.child_key, _fday=index.notification_date, _kind=after._kind,
             _date=after._date, _days=days)  # fmt: skip
    inside = pairs._days <= window_days
    found = pairs.group_by("_fkey", "_fday").aggregate(
        first_day=pairs._days.min(where=pairs._kind == REFERRAL),
        moves=pairs._date.nunique(where=(pairs._kind == MOVE) & inside),
        **{reached(k): ((pairs._kind == k) & inside).cast("int64").max() for k in kinds},
    )
    joined = index.left_join(
        found, [index.child_key == found._fkey, index.notification_date == found._fday]
    )
    zero = {c: joined[c].fill_null(0) for c in ("moves", *map(reached, kinds))}
    return joined.mutate(**zero).drop("_fkey", "_fday")


@dataclass(frozen=True)
class WindowMeasure:
    """A measure of the index events with their whole window: its count columns (0/1 or counts
    per event, from the columns of :func:`followed`), and its rows (group_by, group,
    bucket_start, bucket_end, category when it has categories, numerator, denominator) from their
    sums and ``denominator`` (index events)."""

    name: str
    counts: Callable[[ir.Table], Mapping[str, ir.Value]]
    rows: Callable[[ir.Table], ir.Table]


def window_measures(
    flagged: ir.Table,
    as_of: date,
    window_days: int,
    measures: Sequence[WindowMeasure],
    breakdown: Breakdown = NO_BREAKDOWN,
) -> ir.Table:
    """Rows of the tidy measures table (before disclosure control) of each of ``measures``, from
    the index events of :func:`followed` with d + W <= as_of: for all, by risk level (events without
    a level count only in all) and by the breakdown, counted once for all. The period runs from
    the first index event counted to as_of − W."""
    last_index = as_of - timedelta(days=window_days)
    complete = flagged.filter(flagged.notification_date <= last_index)
    period = complete.aggregate(period_start=complete.notification_date.min())

    def shared(measure: WindowMeasure) -> SharedMeasure:
        return SharedMeasure(
            counts=lambda t: {**measure.counts(t), "denominator": ibis.literal(1, "int64")},
            rows=lambda sums, _: measure_rows(
                measure.rows(sums).cross_join(period), measure.name, None, last_index
            ),
        )

    return shared_rows(complete, [shared(m) for m in measures], BY_RISK, ON, breakdown, CHILD)
