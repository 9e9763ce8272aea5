"""Breaking a measure down: by its own groups, by period, by area and the equality plan's
subgroups, and by comparison arm.

A measure flags its events (one row per event, with 0/1 count columns). :func:`rollup` counts them
once at the finest level (every grouping column and the period together), then sums that small
table for each grouping, so each extra grouping costs little.

Subgroups are those of the person the event is about (the child referred, the victim notified,
the person referred to a service), read from their ``people`` record in the same source:

- ``area``: the postcode district (outward code) of the person's postcode sector;
- ``sex``: M / F / U as recorded;
- ``age_band``: age in completed years at the event, from the year-month of birth: ``unborn``,
  ``under_1``, ``1-4``, ``5-9``, ``10-15`` (the age groups of the DfE's Characteristics of children
  in need statistics), ``16-17``, then ``18-24``, ``25-34``, ``35-44``, ``45-54``, ``55+`` for adults;
- ``ethnicity_group``: the major group of the CIN ethnicity code (white, mixed, asian, black,
  other, unknown);
- ``disability``: Y / N.

A person without a record, or without the attribute, is counted in ``all`` but in no group of that
subgroup.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from functools import cache

import ibis
import ibis.expr.types as ir
import pandas as pd

from daeval.model.codes import ETHNICITY_GROUP
from daeval.study.comparison import Comparison
from daeval.study.equality import SUBGROUPS

PERIODS = {"month": ("M", 1), "quarter": ("Q", 3), "year": ("Y", 12)}
AGE_BANDS = (  # (upper bound in months, exclusive; band)
    (0, "unborn"),
    (12, "under_1"),
    (60, "1-4"),
    (120, "5-9"),
    (192, "10-15"),
    (216, "16-17"),
    (300, "18-24"),
    (420, "25-34"),
    (540, "35-44"),
    (660, "45-54"),
)
OLDEST_BAND = "55+"
ARMS = ("intervention", "comparator")
PHASES = ("intervention_before", "intervention_after", "comparator_before", "comparator_after")


@dataclass(frozen=True)
class Grouping:
    """A column whose values split the events (only ``groups`` when given)."""

    column: str
    groups: tuple[str, ...] | None = None


RISK_LEVELS = ("standard", "medium", "high")
BY_RISK = (Grouping("risk_level", RISK_LEVELS),)
"""By a notification's risk level (DASH); notifications without a level count only in all."""


@dataclass(frozen=True)
class Subject:
    """Whose attributes describe an event: the ``people`` record (``source``, ``person_id``)."""

    source: str | ir.StringValue
    person_id: str
    prefix: str | None = None
    """With ``source`` an expression: the prefix every such source starts with (``service:``)."""
    among: ir.Column | None = None
    """With ``source`` an expression: a column holding every such source (in a table that is
    cheap to read), so that only those sources' people are looked at."""


@dataclass(frozen=True)
class Breakdown:
    """The groupings every measure adds to its own, and the period it is split by."""

    attributes: ir.Table | None = None
    """One row per person record, as :func:`person_attributes` gives them."""
    subgroups: tuple[str, ...] = SUBGROUPS
    period: str | None = None
    comparison: Comparison | None = None
    described: bool = False
    """Whether the events already carry their subject's subgroup columns (see :meth:`describe`)."""

    def _looks_up(self, subject: Subject | None) -> bool:
        """Whether the events of ``subject`` need their subject's attributes."""
        by_area = self.comparison is not None and self.comparison.by == "area"
        return (
            subject is not None and self.attributes is not None and bool(self.subgroups or by_area)
        )

    def describe(
        self, events: ir.Table, subject: Subject | None, on: str
    ) -> tuple[ir.Table, Breakdown]:
        """``events`` with their subject's subgroup columns (age taken on the date column ``on``),
        and the breakdown that then applies to them, and to tables keeping their columns, without
        looking the subject up again: pass it the same ``subject`` and ``on``."""
        if not self._looks_up(subject) or self.described:
            return events, self
        assert subject is not None and self.attributes is not None
        return with_attributes(events, self.attributes, subject, on), replace(self, described=True)

    def apply(
        self, events: ir.Table, native: Sequence[Grouping], on: str, subject: Subject | None
    ) -> tuple[ir.Table, list[Grouping]]:
        """``events`` with the breakdown's columns, and every grouping to count them by."""
        groupings = list(native)
        if self._looks_up(subject):
            if not self.described:
                assert subject is not None and self.attributes is not None
                events = with_attributes(events, self.attributes, subject, on)
            groupings += [Grouping(s) for s in self.subgroups]
        if self.comparison is not None and self.comparison.by in events.columns:
            events = with_arms(events, self.comparison, on)
            groupings.append(Grouping("arm", ARMS))
            if self.comparison.service_start is not None:
                groupings.append(Grouping("arm_phase", PHASES))
        return events, groupings


def person_attributes(people: ir.Table) -> ir.Table:
    """One row per person record: _source, _person, the subgroup attributes and _birth_month.
    ``people`` holds one row per record: ingest keeps its key, (source, person_id), unique."""
    sector = people.postcode_sector
    space = sector.find(" ")
    return people.select(
        _source=people.source,
        _person=people.person_id,
        area=ibis.cases((space > 0, sector.substr(0, space)), else_=sector),
        sex=people.sex,
        ethnicity_group=people.ethnicity.cases(*ETHNICITY_GROUP.items(), else_=None),
        disability=people.disability,
        _birth_month=people.birth_month,
    )


def _of_subject(attributes: ir.Table, subject: Subject) -> ir.Table:
    """The attributes of the subject's source(s)."""
    if isinstance(subject.source, str):
        return attributes.filter(attributes._source == subject.source)
    if subject.prefix is not None:
        attributes = attributes.filter(attributes._source.startswith(subject.prefix))
    if subject.among is not None:
        attributes = attributes.filter(attributes._source.isin(subject.among))
    return attributes


def age_band(months: ir.IntegerValue) -> ir.StringValue:
    """The age band of an age in completed months (negative before birth)."""
    return ibis.cases(*((months < bound, band) for bound, band in AGE_BANDS), else_=OLDEST_BAND)


def with_attributes(events: ir.Table, attributes: ir.Table, subject: Subject, on: str) -> ir.Table:
    """``events`` with the subgroup columns of their subject, age taken on the date column ``on``."""
    source = subject.source
    attributes = _of_subject(attributes, subject)
    if isinstance(source, str):
        # The attributes are those of the one source already: the person is the whole key.
        joined = events.left_join(attributes, events[subject.person_id] == attributes._person)
    else:
        events = events.mutate(_event_source=source)
        joined = events.left_join(
            attributes,
            [
                events._event_source == attributes._source,
                events[subject.person_id] == attributes._person,
            ],
        ).drop("_event_source")
    when, born = joined[on], joined._birth_month
    months = (when.year() - born.year()) * 12 + when.month() - born.month()
    return joined.mutate(age_band=ibis.cases((born.isnull(), None), else_=age_band(months))).drop(
        "_source", "_person", "_birth_month"
    )


def with_arms(events: ir.Table, comparison: Comparison, on: str) -> ir.Table:
    """``events`` with ``arm`` (intervention / comparator, else missing) and, with a service start
    date, ``arm_phase`` (the arm, before or after the service started on date ``on``)."""
    where = events[comparison.by].cast("string")
    arm = ibis.cases(
        (where.isin(comparison.intervention), "intervention"),
        (where.isin(comparison.comparator), "comparator"),
        else_=None,
    )
    events = events.mutate(arm=arm)
    if comparison.service_start is None:
        return events
    phase = ibis.cases((events[on] < comparison.service_start, "_before"), else_="_after")
    return events.mutate(arm_phase=events.arm.concat(phase))


@cache
def _calendar(period: str) -> pd.DataFrame:
    """Every bucket of ``period`` from 1900 to 2099: _cal_start, _cal_end."""
    months = PERIODS[period][1]
    starts = pd.date_range("1900-01-01", "2099-12-01", freq=f"{months}MS")
    ends = starts + pd.DateOffset(months=months) - pd.Timedelta(days=1)
    return pd.DataFrame({"_cal_start": starts.date, "_cal_end": ends.date})


def rollup(
    events: ir.Table,
    counts: Sequence[str],
    groupings: Sequence[Grouping],
    on: str | None = None,
    period: str | None = None,
    within: Sequence[str] = (),
) -> ir.Table:
    """The sum of each ``counts`` column: for all events and each group of each grouping (columns
    group_by, group), over the whole period (bucket_start, bucket_end missing) and, with a
    ``period``, in each calendar month, quarter or year of the date column ``on``; separately for
    each value of the ``within`` columns (kept in the result)."""
    if period is not None and period not in PERIODS:
        raise ValueError(f"period must be one of {', '.join(PERIODS)} (got {period!r})")
    columns = list(dict.fromkeys(g.column for g in groupings))
    keys = list(dict.fromkeys([*columns, *within]))
    if period is not None:
        assert on is not None
        events = events.mutate(_bucket=events[on].truncate(PERIODS[period][0]).cast("date"))
        keys.append("_bucket")
    events = events.select(*keys, *counts)
    base = (
        events.group_by(keys).aggregate(**{c: events[c].sum() for c in counts})
        if keys
        else events.aggregate(**{c: events[c].sum() for c in counts})
    )
    parts = []
    for bucketed in (False, True) if period is not None else (False,):
        for grouping in (None, *groupings):
            parts.append(_sum_by(base, counts, grouping, bucketed, within))
    rows = ibis.union(*parts)
    if period is None:
        return rows.mutate(bucket_end=ibis.null("date"))
    calendar = ibis.memtable(_calendar(period))
    joined = rows.left_join(calendar, rows.bucket_start == calendar._cal_start)
    return joined.mutate(bucket_end=joined._cal_end).drop("_cal_start", "_cal_end")


def _sum_by(
    base: ir.Table,
    counts: Sequence[str],
    grouping: Grouping | None,
    bucketed: bool,
    within: Sequence[str] = (),
) -> ir.Table:
    t = base
    by = [*within, *(["_bucket"] if bucketed else [])]
    if grouping is not None:
        t = t.filter(t[grouping.column].notnull())
        if grouping.groups is not None:
            t = t.filter(t[grouping.column].cast("string").isin(grouping.groups))
        by.insert(0, grouping.column)
    # Counts stay whole numbers; sums of scores keep their fractions.
    sums = {
        c: t[c].sum().fill_null(0).cast("int64" if t[c].type().is_integer() else "float64")
        for c in counts
    }
    agg = t.group_by(by).aggregate(**sums) if by else t.aggregate(**sums)
    return agg.select(
        group_by=ibis.literal(grouping.column if grouping else "all"),
        group=agg[grouping.column].cast("string") if grouping else ibis.literal("all"),
        bucket_start=agg._bucket if bucketed else ibis.null("date"),
        **{c: agg[c] for c in (*within, *counts)},
    )


def clipped_period(
    rows: ir.Table, start: ir.DateValue, end: ir.DateValue
) -> tuple[ir.DateValue, ir.DateValue]:
    """period_start and period_end of each row: the measure's period, or the part of it in the
    row's bucket."""
    whole = rows.bucket_start.isnull()
    return (
        ibis.cases((whole, start), (rows.bucket_start < start, start), else_=rows.bucket_start),
        ibis.cases((whole, end), (rows.bucket_end > end, end), else_=rows.bucket_end),
    )


def as_date(value: date) -> ir.DateValue:
    return ibis.literal(value, type="date")
