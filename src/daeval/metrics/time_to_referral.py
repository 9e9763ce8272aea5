"""km_csc_referral and time_to_first_referral: how soon children reach CSC after a notification.

Index events are those of ``csc_referral_within_window`` (one per child of each ``domestic_abuse``
police notification, on day d), here every one with d < as_of (at least a day of follow-up). For
index event (child c, day d) the time t is the number of days from d to c's first CSC referral
dated in (d, as_of], an event; or as_of - d, censored, when there is none. A referral on day d
itself, or before it, is not an event; one dated as_of is. A child in two notifications has two
index events, each timed from its own day.

- ``km_csc_referral``: the Kaplan-Meier estimate of the cumulative probability of a first
  referral, value = 1 - S(t), with S(t) = product over event days u <= t of (1 - e(u) / n(u)),
  e(u) = index events with time u that are events, n(u) = index events with time >= u (at risk;
  censorings at u count as at risk at u). One row per time point t (``category`` = t as text) in
  30, 91, 182, 273, 365 and W (``window_days``) when different, reported only while at least
  ``SURVIVAL_THRESHOLD`` = 10 index events remain at risk at t, so no estimate rests on a handful
  of children and no point lies beyond the longest follow-up. The threshold is ACRO's
  ``SURVIVAL_THRESHOLD`` for survival tables (https://github.com/AI-SDC/ACRO, acro/acro_tables.py);
  ACRO applies it to the drop in the number at risk between rows, here to the number at risk.
  numerator = index events with an event at or before t, denominator = index events.
  ``ci_lower``, ``ci_upper``: the 95% log(-log) ("exponential Greenwood") interval of S(t)
  (Kalbfleisch & Prentice 2002, The Statistical Analysis of Failure Time Data, 2nd ed.),
  as 1 - S: with Greenwood's variance (Greenwood 1926, "The natural duration of cancer", Reports
  on Public Health and Medical Subjects 33) var(t) = sum over event days u <= t of
  e(u) / (n(u) (n(u) - e(u))) (a day with n(u) = e(u) adds nothing), v = var(t) / (log S(t))^2
  and z = 1.959963984540054 (the 0.975 normal quantile), S's bounds are S(t)^exp(+z sqrt(v))
  (lower) and S(t)^exp(-z sqrt(v)) (upper), and the interval of 1 - S(t) is
  [1 - upper, 1 - lower]. It is [0, 0] when S(t) = 1 (no event yet) and [1, 1] when S(t) = 0,
  as lifelines' ``KaplanMeierFitter(alpha=0.05).confidence_interval_`` gives. Disclosure control
  keeps the bounds, like the value, to ``STATISTIC_DECIMALS`` places.
- ``time_to_first_referral``: ``kaplan_meier_median`` = the smallest t with S(t) <= 0.5 (blank when
  the curve never falls that far), numerator = events, denominator = index events; and
  ``median_among_referred``: among index events with complete follow-up (d + W <= as_of) that have a
  referral in (d, d + W], the median of t (the mean of the two middle values for an even count),
  numerator = those referred, denominator = index events with complete follow-up.

Both: rows for ``group_by = all`` and ``group_by = risk_level`` (``standard``, ``medium``, ``high``;
events without a level only in all); period_start = the first index event's date, period_end =
as_of. Ibis does the join and the counts per (group_by, group, day); the life table and the
medians, a few hundred numbers per group, are done here in Python.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, timedelta

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from daeval.metrics.follow_up import CHILD, followed, later_referrals
from daeval.metrics.groupings import BY_RISK, Breakdown, rollup
from daeval.metrics.rates import NO_BREAKDOWN

KM_MEASURE = "km_csc_referral"
MEDIAN_MEASURE = "time_to_first_referral"
TIME_POINTS = (30, 91, 182, 273, 365)
SURVIVAL_THRESHOLD = 10
"""Fewest index events at risk at t for the estimate at t to be reported (ACRO's value)."""
Z = 1.959963984540054
"""The 0.975 quantile of the standard normal distribution (``scipy.stats.norm.ppf(0.975)``): a 95%
two-sided interval."""
COLUMNS = [
    "measure", "group_by", "group", "category", "period_start", "period_end",
    "numerator", "denominator", "value", "ci_lower", "ci_upper",
]  # fmt: skip
"""The tidy measures table's columns before disclosure control: those ``rates.measure_rows`` gives,
and the 95% confidence interval (blank on the rows of ``time_to_first_referral``)."""


def survival_counts(
    flagged: ir.Table,
    as_of: date,
    breakdown: Breakdown = NO_BREAKDOWN,
    complete_by: date | None = None,
) -> ir.Table:
    """Per (group_by, group, day): ``events`` (index events whose first referral came ``day`` days
    after d) and ``censored`` (index events with no referral in (d, as_of], as_of - d = ``day``),
    for all index events, by risk level and by the breakdown's groupings (not by period: a curve
    is drawn over the whole follow-up). With ``complete_by``, also ``complete_events`` and
    ``complete_censored``: the same counts of the index events with d <= ``complete_by`` alone.

    ``flagged``: the index events with their ``first_day``, as
    :func:`daeval.metrics.follow_up.followed` gives them (and child_id for subgroups).
    """
    referred = flagged.first_day.notnull().cast("int64")
    timed = flagged.mutate(
        day=flagged.first_day.fill_null(
            ibis.literal(as_of).delta(flagged.notification_date, unit="day")
        ).cast("int64"),
        events=referred,
        censored=1 - referred,
    )
    sums = ["events", "censored"]
    if complete_by is not None:
        complete = (timed.notification_date <= complete_by).cast("int64")
        timed = timed.mutate(
            complete_events=timed.events * complete, complete_censored=timed.censored * complete
        )
        sums += ["complete_events", "complete_censored"]
    timed, groupings = replace(breakdown, period=None).apply(
        timed, BY_RISK, "notification_date", CHILD
    )
    counts = rollup(timed, sums, groupings, within=["day"])
    return counts.drop("bucket_start", "bucket_end")


def _first_referrals(events: ir.Table, referrals: ir.Table, as_of: date) -> ir.Table:
    """The index events of ``events`` (notification_id, child_key, notification_date, risk_level,
    and child_id for subgroups, as from :func:`daeval.metrics.follow_up.index_events`) with their
    first_day, from ``referrals`` (child_key, referral_date)."""
    return followed(events, later_referrals(referrals), as_of)


def _in_order(counts: pd.DataFrame) -> pd.DataFrame:
    """The rows of ``counts`` that have a group, by group_by, group and day."""
    counts = counts[counts.group_by.notna() & counts.group.notna()]
    return counts.sort_values(["group_by", "group", "day"], kind="stable")


def _groups(
    counts: pd.DataFrame, ordered: bool = False
) -> Iterator[tuple[str, str, np.ndarray, np.ndarray, np.ndarray]]:
    """(group_by, group, day, events, at risk) per group, days ascending; at risk at a day u is
    the index events with time >= u. ``ordered``: ``counts`` is already as :func:`_in_order`
    gives it."""
    # Sorted once, then cut where the group changes (a groupby and a sort per group took a
    # third of a second at the scale of most local authorities' data).
    counts = counts if ordered else _in_order(counts)
    by, group = counts["group_by"].to_numpy(), counts["group"].to_numpy()
    days = counts["day"].to_numpy(dtype=np.int64)
    hits = counts["events"].to_numpy(dtype=np.int64)
    left = hits + counts["censored"].to_numpy(dtype=np.int64)
    cuts = np.flatnonzero((by[1:] != by[:-1]) | (group[1:] != group[:-1])) + 1
    for first, end in zip([0, *cuts], [*cuts, len(days)], strict=True):
        if first == end:
            continue  # no rows at all
        leaving = left[first:end]
        at_risk = leaving.sum() - np.cumsum(leaving) + leaving
        yield str(by[first]), str(group[first]), days[first:end], hits[first:end], at_risk


_Count = int | np.integer


def _row(
    measure: str,
    group_by: str,
    group: str,
    category: str,
    n: _Count,
    d: _Count,
    value: float | None,
    ci: tuple[float, float] | None = None,
) -> dict[str, object]:
    low, high = (None, None) if ci is None else ci
    return {
        "measure": measure, "group_by": group_by, "group": group, "category": category,
        "numerator": int(n), "denominator": int(d), "value": None if value is None else float(value),
        "ci_lower": low, "ci_upper": high,
    }  # fmt: skip


def _frame(rows: list[dict[str, object]], period: tuple[date, date]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=[c for c in COLUMNS if not c.startswith("period")])
    frame["period_start"], frame["period_end"] = period
    types = {"numerator": "int64", "denominator": "int64", "value": "float64",
             "ci_lower": "float64", "ci_upper": "float64"}  # fmt: skip
    return frame.astype(types)[COLUMNS]


def _with_start(counts: ir.Table, flagged: ir.Table) -> ir.Table:
    """``counts`` with ``_first``: the first index event's date, on every row."""
    return counts.mutate(_first=flagged.notification_date.min().as_scalar())


def _period(counts: pd.DataFrame, as_of: date) -> tuple[date, date]:
    """From the first index event (as_of when there is none) to as_of."""
    first = counts._first.iloc[0] if len(counts) else None
    first = as_of if first is None or pd.isna(first) else first
    return pd.Timestamp(first).date(), as_of


def km_csc_referral(
    events: ir.Table,
    referrals: ir.Table,
    as_of: date,
    window_days: int = 365,
    breakdown: Breakdown = NO_BREAKDOWN,
) -> pd.DataFrame:
    """Rows of the tidy measures table (before disclosure control): 1 - S(t), with its 95%
    log(-log) interval, at each time point with at least ``SURVIVAL_THRESHOLD`` at risk. Inputs as
    for :func:`_first_referrals`."""
    flagged = _first_referrals(events, referrals, as_of)
    counts = _with_start(survival_counts(flagged, as_of, breakdown), flagged).execute()
    return _frame(_km_rows(counts, window_days), _period(counts, as_of))


def _km_rows(
    counts: pd.DataFrame, window_days: int, ordered: bool = False
) -> list[dict[str, object]]:
    points = sorted({*TIME_POINTS, window_days})
    rows = []
    for group_by, group, day, hits, at_risk in _groups(counts, ordered):
        survival = np.cumprod(1 - hits / at_risk)
        variance = _greenwood(hits, at_risk)
        for t in points:
            before = np.searchsorted(day, t, side="left")  # days < t
            if (at_risk[before] if before < len(day) else 0) < SURVIVAL_THRESHOLD:
                break  # the number at risk only falls
            upto = np.searchsorted(day, t, side="right")  # days <= t
            s, var = (float(survival[upto - 1]), float(variance[upto - 1])) if upto else (1.0, 0.0)
            n, d = hits[:upto].sum(), at_risk[0]
            ci = _log_log_interval(s, var)
            rows.append(_row(KM_MEASURE, group_by, group, str(t), n, d, 1 - s, ci))
    return rows


def _greenwood(events: np.ndarray, at_risk: np.ndarray) -> np.ndarray:
    """Greenwood's sum to each day: e(u) / (n(u) (n(u) - e(u))) over days u up to it, a day with
    n(u) = e(u) (where S falls to 0) adding nothing, as in lifelines."""
    e, n = events.astype(np.float64), at_risk.astype(np.float64)
    terms = np.divide(e, n * (n - e), out=np.zeros_like(e), where=n > e)
    return np.cumsum(terms)


def _log_log_interval(s: float, var: float) -> tuple[float, float]:
    """The 95% log(-log) interval of 1 - S from S and Greenwood's sum ``var``: S's bounds are
    S^exp(+-z sqrt(var) / |log S|); [0, 0] when S = 1 and [1, 1] when S = 0."""
    if s >= 1.0:
        return 0.0, 0.0
    if s <= 0.0:
        return 1.0, 1.0
    half = Z * math.sqrt(var) / -math.log(s)
    lower, upper = s ** math.exp(half), s ** math.exp(-half)  # of S
    return 1 - upper, 1 - lower


def _km_median(day: np.ndarray, events: np.ndarray, at_risk: np.ndarray) -> float | None:
    """The smallest day with S <= 0.5, in exact integer arithmetic (an S of exactly 0.5 counts)."""
    kept, seen = 1, 1
    for u, e, n in zip(day.tolist(), events.tolist(), at_risk.tolist(), strict=True):
        if e:
            kept, seen = kept * (n - e), seen * n
            if 2 * kept <= seen:
                return float(u)
    return None


def time_to_first_referral(
    events: ir.Table,
    referrals: ir.Table,
    as_of: date,
    window_days: int = 365,
    breakdown: Breakdown = NO_BREAKDOWN,
) -> pd.DataFrame:
    """Rows of the tidy measures table (before disclosure control): ``kaplan_meier_median`` and
    ``median_among_referred`` per group. Inputs as for :func:`_first_referrals`."""
    last_index = as_of - timedelta(days=window_days)
    flagged = _first_referrals(events, referrals, as_of)
    counts = _with_start(survival_counts(flagged, as_of, breakdown, last_index), flagged)
    counts = counts.execute()
    return _frame(_median_rows(counts, window_days), _period(counts, as_of))


def survival_measures(
    events: ir.Table,
    referrals: ir.Table,
    as_of: date,
    window_days: int = 365,
    breakdown: Breakdown = NO_BREAKDOWN,
) -> pd.DataFrame:
    """The rows of both :func:`km_csc_referral` and :func:`time_to_first_referral`, counting the
    index events' times once for both, in one query."""
    flagged = _first_referrals(events, referrals, as_of)
    query = survival_query(flagged, as_of, window_days, breakdown)
    return survival_rows(query.execute(), as_of, window_days)


def survival_query(
    flagged: ir.Table, as_of: date, window_days: int = 365, breakdown: Breakdown = NO_BREAKDOWN
) -> ir.Table:
    """The counts both survival measures are computed from (see :func:`survival_rows`), from
    index events with their ``first_day``, as :func:`daeval.metrics.follow_up.followed` gives
    them."""
    last_index = as_of - timedelta(days=window_days)
    return _with_start(survival_counts(flagged, as_of, breakdown, last_index), flagged)


def survival_rows(counts: pd.DataFrame, as_of: date, window_days: int = 365) -> pd.DataFrame:
    """The rows of both :func:`km_csc_referral` and :func:`time_to_first_referral`, from the
    result of :func:`survival_query`."""
    ordered = _in_order(counts)
    rows = _km_rows(ordered, window_days, True) + _median_rows(ordered, window_days, True)
    return _frame(rows, _period(counts, as_of))


def _median_rows(
    counts: pd.DataFrame, window_days: int, ordered: bool = False
) -> list[dict[str, object]]:
    """Both medians per group, from :func:`survival_counts` with ``complete_by`` = as_of - W
    (``ordered`` as for :func:`_groups`)."""
    complete = counts.complete_events + counts.complete_censored > 0
    window = counts[complete].drop(columns=["events", "censored"])
    window = window.rename(columns={"complete_events": "events", "complete_censored": "censored"})
    rows = []
    for group_by, group, day, hits, at_risk in _groups(counts, ordered):
        median = _km_median(day, hits, at_risk)
        rows.append(_row(MEDIAN_MEASURE, group_by, group, "kaplan_meier_median", hits.sum(),
                         at_risk[0], median))  # fmt: skip
    for group_by, group, day, hits, at_risk in _groups(window, ordered):
        inside = day <= window_days
        referred = np.repeat(day[inside], hits[inside])  # the days, each as often as it occurs
        median = np.median(referred) if len(referred) else None
        rows.append(_row(MEDIAN_MEASURE, group_by, group, "median_among_referred", len(referred),
                         at_risk[0], median))  # fmt: skip
    return rows
