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

from collections.abc import Mapping
from datetime import date

import ibis
import ibis.expr.types as ir

from daeval.metrics.follow_up import MOVE, WindowMeasure, followed, window_measures
from daeval.metrics.groupings import Breakdown
from daeval.metrics.rates import NO_BREAKDOWN, category_split

MEASURE = "address_moves"
MOVE_COUNTS = ("0", "1", "2_or_more")
MEAN = "moves_per_child"
CATEGORIES = (*MOVE_COUNTS, MEAN)


def moves(addresses: ir.Table) -> ir.Table:
    """child_key, later_date, kind (``move``): each from_date of a child after the child's
    earliest one (a day twice when two records start on it: moves count distinct days). ``addresses``: child_key (the person key of the record's source and
    person_id) and from_date."""
    starts = addresses.filter(addresses.from_date.notnull() & addresses.child_key.notnull())
    starts = starts.select(move_key=starts.child_key, move_date=starts.from_date)
    first = starts.group_by("move_key").aggregate(first_date=starts.move_date.min())
    joined = starts.join(first, "move_key")
    moved = joined.filter(joined.move_date > joined.first_date)
    return moved.select(
        child_key=moved.move_key, later_date=moved.move_date, kind=ibis.literal(MOVE)
    )


def _counts(complete: ir.Table) -> Mapping[str, ir.Value]:
    # Per event: one 0/1 column per number of moves, and the moves themselves for the mean.
    n = complete.moves
    counts = (n == 0, n == 1, n >= 2, n)
    return {f"_moves_{i}": c.cast("int64") for i, c in enumerate(counts)}


def _rows(sums: ir.Table) -> ir.Table:
    return category_split(
        sums.filter(sums.denominator > 0), {c: f"_moves_{i}" for i, c in enumerate(CATEGORIES)}
    )


MOVES = WindowMeasure(MEASURE, _counts, _rows)


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
    :func:`daeval.metrics.follow_up.index_events` gives them; ``addresses``: as for
    :func:`moves`.
    """
    flagged = followed(events, moves(addresses), as_of, window_days)
    return window_measures(flagged, as_of, window_days, [MOVES], breakdown)
