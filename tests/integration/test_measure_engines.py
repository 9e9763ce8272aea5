"""measure_backend: the same measure on the DuckDB warehouse and on Spark gives the same rows."""

from __future__ import annotations

from datetime import date

import duckdb
import pandas as pd
import pytest
from tests.lib import spark

from daeval.errors import DaevalError, MissingDataError
from daeval.metrics.engines import measure_backend
from daeval.metrics.re_referral import re_referral_rate

pytestmark = spark.ON_SPARK

START, END = date(2020, 1, 1), date(2020, 12, 31)


@pytest.fixture
def warehouse(tmp_path):
    """A tiny warehouse: c1 referred three times in 900 (re-referred twice), c2 once in 900 and
    once in 901 (not a re-referral), c3 in 901 before the period and again 366 days later."""
    path = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute(
            "CREATE TABLE csc_referrals (referral_id VARCHAR, child_id VARCHAR, la_code VARCHAR,"
            " referral_date DATE)"
        )
        con.execute(
            """INSERT INTO csc_referrals VALUES
            ('r1', 'c1', '900', DATE '2020-01-10'), ('r2', 'c1', '900', DATE '2020-06-10'),
            ('r3', 'c1', '900', DATE '2020-12-31'), ('r4', 'c2', '900', DATE '2020-03-01'),
            ('r5', 'c2', '901', DATE '2020-04-01'), ('r6', 'c3', '901', DATE '2019-03-01'),
            ('r7', 'c3', '901', DATE '2020-03-01')"""
        )
        con.execute("CREATE TABLE unrelated (x INTEGER)")
    return path


def _rates(engine: str, path) -> list[tuple]:
    with measure_backend(engine, path, ["csc_referrals"]) as con:
        frame = re_referral_rate(con.table("csc_referrals"), START, END).execute()
    return sorted(
        (r.group_by, r.group, int(r.numerator), int(r.denominator),
         pd.Timestamp(r.period_start).date().isoformat(),
         pd.Timestamp(r.period_end).date().isoformat())
        for r in frame.itertuples()
    )  # fmt: skip


def test_re_referral_rate_is_the_same_on_duckdb_and_spark(spark_session, warehouse):
    on_duckdb = _rates("duckdb", warehouse)
    assert on_duckdb == [
        ("all", "all", 2, 6, "2020-01-01", "2020-12-31"),
        ("la_code", "900", 2, 4, "2020-01-01", "2020-12-31"),
        ("la_code", "901", 0, 2, "2020-01-01", "2020-12-31"),
    ]
    assert _rates("spark", warehouse) == on_duckdb


def test_the_shared_session_keeps_running_without_the_tables(spark_session, warehouse):
    running = spark.session()
    _rates("spark", warehouse)
    assert running.getActiveSession() is running
    assert not running.catalog.tableExists("csc_referrals")


def test_without_a_running_session_spark_starts_one_and_stops_it(
    spark_session, warehouse, tmp_path, monkeypatch
):
    from pyspark.sql import SparkSession

    spark.session().stop()
    monkeypatch.chdir(tmp_path)
    assert _rates("spark", warehouse) == _rates("duckdb", warehouse)
    assert SparkSession.getActiveSession() is None
    assert not (
        tmp_path / "spark-warehouse"
    ).exists()  # Spark's own folder went to the temporary one


def test_a_table_the_warehouse_lacks_is_named(spark_session, warehouse):
    with pytest.raises(MissingDataError, match="no table 'csc_assessments'"):
        with measure_backend("spark", warehouse, ["csc_referrals", "csc_assessments"]):
            pass


def test_spark_without_java_says_so(spark_session, warehouse, tmp_path, monkeypatch):
    monkeypatch.setenv("JAVA_HOME", str(tmp_path / "no-java"))
    with pytest.raises(DaevalError, match="Java 17 or newer"):
        with measure_backend("spark", warehouse, ["csc_referrals"]):
            pass


def test_an_unknown_engine_is_refused(warehouse):
    with pytest.raises(DaevalError, match="choose one of duckdb, spark"):
        with measure_backend("polars", warehouse, ["csc_referrals"]):
            pass
