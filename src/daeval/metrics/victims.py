"""Each victim's domestic abuse notifications, before and after one another: what the victims'
measures (``repeat_notification_rate``, ``risk_trajectory``, ``post_separation_share``) count.

:func:`notified` pairs each notification with the same victim's others within the window once, for
all three; :func:`victim_rows` counts the notifications once, by every grouping, and each measure
takes its rows from those sums.
"""

from __future__ import annotations

from collections.abc import Sequence

import ibis.expr.types as ir

from daeval.metrics.groupings import BY_RISK, RISK_LEVELS, Breakdown, Subject
from daeval.metrics.rates import NO_BREAKDOWN, SharedMeasure, shared_rows

VICTIM = Subject("police", "victim_id")
"""The victim's police record (``victim_id``; ``victim_key`` is the person key)."""
ON = "notification_date"


def risk_rank(level: ir.StringValue) -> ir.IntegerValue:
    """1, 2, 3 for a ``standard``, ``medium``, ``high`` risk level; missing otherwise."""
    return level.cases(*((name, i + 1) for i, name in enumerate(RISK_LEVELS)), else_=None)


def domestic_abuse(notifications: ir.Table) -> ir.Table:
    return notifications.filter(notifications.incident_type == "domestic_abuse")


def notified(da: ir.Table, window_days: int = 365) -> ir.Table:
    """``da`` (domestic abuse notifications: victim_key, notification_date, risk_level; other
    columns are kept), each on day d with, when it has a victim:

    - ``repeat`` (0/1): the victim has another notification dated in [d − W, d − 1];
    - ``later`` (0/1): the victim has another notification dated in (d, d + W];
    - ``highest``: the highest :func:`risk_rank` among those later ones (missing when none has a
      level).

    Without a victim: 0, 0 and missing. What came before and after depends on the victim and the
    day only.
    """
    known = da.filter(da.victim_key.notnull())
    days = known.select(_victim=known.victim_key, _day=known.notification_date)
    others = known.select(
        _other=known.victim_key,
        _other_day=known.notification_date,
        _other_rank=risk_rank(known.risk_level),
    )
    # Each pair of the victim's notifications within the window, both ways round: one join and
    # one count for what came before and after.
    gap = others._other_day.delta(days._day, unit="day")
    pairs = days.join(
        others, [days._victim == others._other, gap != 0, gap >= -window_days, gap <= window_days]
    ).select("_victim", "_day", "_other_rank", _gap=gap)
    after = pairs._gap > 0
    around = pairs.group_by("_victim", "_day").aggregate(
        repeat=(pairs._gap < 0).cast("int64").max(),
        later=after.cast("int64").max(),
        highest=pairs._other_rank.max(where=after),
    )
    joined = da.left_join(
        around, [da.victim_key == around._victim, da.notification_date == around._day]
    )
    return joined.mutate(repeat=joined.repeat.fill_null(0), later=joined.later.fill_null(0)).drop(
        "_victim", "_day"
    )


def victim_rows(
    events: ir.Table, measures: Sequence[SharedMeasure], breakdown: Breakdown = NO_BREAKDOWN
) -> ir.Table:
    """The rows of each of ``measures`` (as their modules give them) from the notifications of
    :func:`notified`: for all, by risk level (notifications without a level count only in all)
    and by the breakdown, counted once for all."""
    return shared_rows(events, measures, BY_RISK, ON, breakdown, VICTIM)
