"""address_moves: how often children move home after a domestic abuse notification (transience).

Index events are those of ``csc_referral_within_window`` (a child of a ``domestic_abuse`` police
notification on day d), counting only those with d + W <= as_of. A move of the child in (d, d + W]
is a distinct ``from_date`` of the child's address records (any source, same person key) that lies
in the window and is not the child's earliest known ``from_date`` (the first known address is where
the records begin, not a move); two records of the child starting on the same day are one move. A
child with no address records makes no moves. Rows, for all and by risk level (``standard``,
``medium``, ``high``; events without a level count only in all): ``category`` = ``0``, ``1``,
``2_or_more``: numerator = index events whose child made that many moves in the window; and
``moves_per_child``: numerator = moves summed over the index events, value = mean moves per index
event; denominator = index events. The period runs from the first index event counted to as_of − W.
"""

from __future__ import annotations

from datetime import date, timedelta

import ibis
import ibis.expr.types as ir

from daeval.metrics.csc_referral import BY_RISK, CHILD
from daeval.metrics.groupings import Breakdown, rollup
from daeval.metrics.rates import NO_BREAKDOWN, measure_rows

MEASURE = "address_moves"
MOVE_COUNTS = ("0", "1", "2_or_more")
MEAN = "moves_per_child"
CATEGORIES = (*MOVE_COUNTS, MEAN)


def _moves(addresses: ir.Table) -> ir.Table:
    """move_key, move_date: each distinct from_date of a child after the child's earliest one."""
    starts = addresses.filter(addresses.from_date.notnull() & addresses.child_key.notnull())
    starts = starts.select(move_key=starts.child_key, move_date=starts.from_date).distinct()
    first = starts.group_by("move_key").aggregate(first_date=starts.move_date.min())
    joined = starts.join(first, "move_key")
    return joined.filter(joined.move_date > joined.first_date).select("move_key", "move_date")


def address_moves(
    events: ir.Table,
    addresses: ir.Table,
    as_of: date,
    window_days: int = 365,
    breakdown: Breakdown = NO_BREAKDOWN,
) -> ir.Table:
    """Rows of the tidy measures table (before disclosure control).

    ``events``: notification_id, child_key, notification_date, risk_level (and child_id, the
    child's police id, when ``breakdown`` has people's attributes), as
    :func:`daeval.metrics.csc_referral.index_events` gives them; ``addresses``: child_key (the
    person key of the record's source and person_id) and from_date.
    """
    last_index = as_of - timedelta(days=window_days)
    complete = events.filter(events.notification_date <= last_index)
    moves = _moves(addresses)
    gap = moves.move_date.delta(complete.notification_date, unit="day")
    in_window = complete.join(
        moves, [complete.child_key == moves.move_key, gap >= 1, gap <= window_days]
    ).select(
        moved_key=complete.child_key, moved_on=complete.notification_date, move_date=moves.move_date
    )
    # A child's moves after day d depend on the child and the day only. Distinct days: a
    # notification listing two records of one child (one person key) joins each move once per
    # record, and each of its index events made the move once.
    counted = in_window.group_by("moved_key", "moved_on").aggregate(
        moves=in_window.move_date.nunique()
    )
    per_event = complete.left_join(
        counted,
        [
            complete.child_key == counted.moved_key,
            complete.notification_date == counted.moved_on,
        ],
    )
    per_event = per_event.mutate(moves=per_event.moves.fill_null(0)).drop("moved_key", "moved_on")

    n = per_event.moves
    # Per event: one 0/1 column per number of moves, and the moves themselves for the mean.
    counts = (n == 0, n == 1, n >= 2, n)
    counted_as = dict(zip(CATEGORIES, (c.cast("int64") for c in counts), strict=True))
    flags = {f"_count_{i}": flag for i, flag in enumerate(counted_as.values())}
    flagged = per_event.mutate(**flags, denominator=ibis.literal(1, "int64"))
    on = "notification_date"
    flagged, groupings = breakdown.apply(flagged, BY_RISK, on, CHILD)
    sums = rollup(flagged, [*flags, "denominator"], groupings, on, breakdown.period)
    sums = sums.filter(sums.denominator > 0)
    rows = ibis.union(
        *(
            sums.select(
                "group_by",
                "group",
                "bucket_start",
                "bucket_end",
                category=ibis.literal(category),
                numerator=sums[name],
                denominator=sums.denominator,
            )
            for name, category in zip(flags, counted_as, strict=True)
        )
    )
    rows = rows.cross_join(complete.aggregate(period_start=complete.notification_date.min()))
    return measure_rows(rows, MEASURE, None, last_index)
