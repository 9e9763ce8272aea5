"""On random small tables, Ibis on DuckDB, Ibis on Spark and the plain-Python reference engine give
the same counts for re_referral_rate, repeat_notification_rate and csc_referral_within_window.

DuckDB is checked against the reference on many examples; Spark, whose query costs seconds, against
DuckDB on fewer (what only Spark can show: that it counts as DuckDB does), with one query each."""

from __future__ import annotations

from datetime import date, timedelta

import ibis
import ibis.expr.types as ir
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.lib import reference_engine, spark

from daeval.metrics.csc_referral import csc_referral_within_window
from daeval.metrics.follow_up import index_events
from daeval.metrics.re_referral import re_referral_rate
from daeval.metrics.repeat_notification import repeat_notification_rate

BASE = date(2019, 1, 1)
DAYS = 730  # dates over two years
CHILDREN = ["c0", "c1", "c2"]

SCHEMAS = {
    "referrals": ibis.schema(
        {"referral_id": "string", "child_id": "string", "child_key": "string",
         "la_code": "string", "referral_date": "date"}
    ),
    "notifications": ibis.schema(
        {"notification_id": "string", "notification_date": "date", "incident_type": "string",
         "victim_key": "string", "risk_level": "string"}
    ),
    "children": ibis.schema(
        {"notification_id": "string", "child_id": "string", "child_key": "string"}
    ),
}  # fmt: skip

# Days a window's length apart (30, 365 and either side) are common, and so are exact edges.
EDGES = [0, 1, 29, 30, 31, 200, 364, 365, 366, 395, 396, 565, 566, 730]
day = st.one_of(st.sampled_from(EDGES), st.integers(0, DAYS))
referral = st.tuples(st.sampled_from(["900", "900", "901"]), st.sampled_from(CHILDREN), day)
notification = st.tuples(
    day,
    st.sampled_from(["domestic_abuse", "domestic_abuse", "domestic_abuse", "other"]),
    st.sampled_from(["v0", "v0", "v1", None]),
    st.sampled_from(["standard", "medium", "high", None]),
    st.lists(st.sampled_from(CHILDREN), min_size=1, max_size=2, unique=True),
)


def _tables(referrals: list, notifications: list) -> dict[str, list[dict]]:
    refs = [
        {"referral_id": f"r{i}", "child_id": child, "child_key": child, "la_code": la,
         "referral_date": BASE + timedelta(days=day)}
        for i, (la, child, day) in enumerate(referrals)
    ]  # fmt: skip
    notes = [
        {"notification_id": f"n{i}", "notification_date": BASE + timedelta(days=day),
         "incident_type": kind, "victim_key": victim, "risk_level": level}
        for i, (day, kind, victim, level, _) in enumerate(notifications)
    ]  # fmt: skip
    children = [
        {"notification_id": f"n{i}", "child_id": f"p{child}", "child_key": child}
        for i, (*_, kids) in enumerate(notifications)
        for child in kids
    ]
    return {"referrals": refs, "notifications": notes, "children": children}


def _measures(
    tables: dict[str, ir.Table], start: date, end: date, as_of: date, window: int
) -> ir.Table:
    """The three measures' rows, as one table (one query per engine)."""
    events = index_events(tables["notifications"], tables["children"])
    return ibis.union(
        re_referral_rate(tables["referrals"], start, end, window),
        repeat_notification_rate(tables["notifications"], start, end, window),
        csc_referral_within_window(events, tables["referrals"], as_of, window),
    )


def _rows(con: ibis.BaseBackend, data: dict[str, list[dict]], *args) -> list[tuple]:
    tables = {
        name: ibis.memtable(pd.DataFrame(rows, columns=list(SCHEMAS[name])), schema=SCHEMAS[name])
        for name, rows in data.items()
    }
    frame = con.execute(_measures(tables, *args))
    return sorted(
        (r.measure, r.group_by, str(r.group), int(r.numerator), int(r.denominator),
         _day(r.period_start), _day(r.period_end))
        for r in frame.itertuples()
    )  # fmt: skip


def _day(value) -> str | None:
    return None if pd.isna(value) else pd.Timestamp(value).date().isoformat()


def _reference(data: dict[str, list[dict]], start, end, as_of, window) -> list[tuple]:
    da = {n["notification_id"]: n for n in data["notifications"]}
    events = [
        {"notification_id": c["notification_id"], "child_key": c["child_key"],
         "notification_date": da[c["notification_id"]]["notification_date"],
         "risk_level": da[c["notification_id"]]["risk_level"]}
        for c in data["children"]
        if da[c["notification_id"]]["incident_type"] == "domestic_abuse"
    ]  # fmt: skip
    counts = {
        "re_referral_rate": reference_engine.re_referral_counts(
            data["referrals"], start, end, window
        ),
        "repeat_notification_rate": reference_engine.repeat_notification_counts(
            data["notifications"], start, end, window
        ),
        "csc_referral_within_window": reference_engine.csc_referral_within_window_counts(
            events, data["referrals"], as_of, window
        ),
    }
    return sorted(
        (measure, group_by, group, n, d)
        for measure, found in counts.items()
        for (group_by, group), (n, d) in found.items()
    )


DRAWN = {
    "referrals": st.lists(referral, min_size=6, max_size=16),
    "notifications": st.lists(notification, min_size=6, max_size=14),
    "window": st.sampled_from([30, 365]),
    "start": st.sampled_from([0, 30, 365, 366]) | st.integers(0, DAYS),
    "length": st.integers(0, DAYS),
    "as_of": st.sampled_from([395, 396, 730]) | st.integers(0, DAYS + 400),
}
SETTINGS = {
    "deadline": None,
    "derandomize": True,
    "database": None,
    "suppress_health_check": [HealthCheck.too_slow],
}


def _drawn(referrals, notifications, window, start, length, as_of) -> tuple[dict, tuple]:
    """The tables and the measures' arguments (period start and end, as_of, window)."""
    period_start = BASE + timedelta(days=start)
    args = (
        period_start,
        period_start + timedelta(days=length),
        BASE + timedelta(days=as_of),
        window,
    )
    return _tables(referrals, notifications), args


@pytest.mark.slow
@settings(max_examples=25, **SETTINGS)
@given(**DRAWN)
def test_duckdb_and_the_reference_give_the_same_counts(**drawn):
    data, args = _drawn(**drawn)
    on_duckdb = _rows(ibis.duckdb.connect(), data, *args)
    counted = [row[:5] for row in on_duckdb if row[4] > 0]
    assert counted == _reference(data, *args)


# A Spark query of the three measures takes seconds: eight examples (their first ones the same as
# the DuckDB test's, derandomized) show Spark's dates, windows and groups are DuckDB's.
@pytest.mark.spark
@pytest.mark.xdist_group("spark")
@settings(max_examples=8, **SETTINGS)
@given(**DRAWN)
def test_spark_gives_the_same_counts_groups_and_periods_as_duckdb(spark_session, **drawn):
    data, args = _drawn(**drawn)
    on_duckdb = _rows(ibis.duckdb.connect(), data, *args)
    on_spark = _rows(ibis.pyspark.connect(spark.session()), data, *args)
    assert on_spark == on_duckdb  # counts, groups and periods alike
