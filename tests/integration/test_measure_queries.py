"""measure_queries on a DuckDB warehouse file: queries run in order on a connection of their own,
give what Ibis gives for the same expression, and a failed query says so."""

from __future__ import annotations

from concurrent.futures import CancelledError
from datetime import date

import duckdb
import ibis
import pandas as pd
import pytest

from daeval.metrics.engines import measure_backend
from daeval.metrics.queries import measure_queries


@pytest.fixture
def warehouse(tmp_path):
    path = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute(
            "CREATE TABLE csc_referrals AS SELECT 'r' || i AS referral_id, 'c' || (i % 7) AS"
            " child_id, DATE '2020-01-01' + i::INTEGER AS referral_date, CASE WHEN i % 5 = 0 THEN NULL"
            " ELSE i % 3 END AS level FROM range(200) t(i)"
        )
    return path


def test_kept_tables_frames_and_values_are_what_ibis_gives(warehouse):
    with measure_backend("duckdb", warehouse, ["csc_referrals"]) as con:
        referrals = con.table("csc_referrals")
        recent = referrals.filter(referrals.referral_date >= date(2020, 4, 1))
        per_child = recent.group_by("child_id").aggregate(
            n=recent.count(), first=recent.referral_date.min(), levels=recent.level.sum()
        )
        names = ibis.memtable({"child_id": ["c1", "c2"], "name": ["one", "two"]})
        named = per_child.join(names, "child_id")
        expected = (
            per_child.order_by("child_id").execute(),
            named.order_by("child_id").execute(),
            recent.referral_date.max().execute(),
        )
        with measure_queries(con) as queries:
            kept = queries.keep(recent)
            counted = kept.group_by("child_id").aggregate(
                n=kept.count(), first=kept.referral_date.min(), levels=kept.level.sum()
            )
            first = queries.frame(counted.order_by("child_id"))
            second = queries.frame(counted.join(names, "child_id").order_by("child_id"))
            last = queries.value(kept.referral_date.max())
            got = (first.result(), second.result(), last)
    assert got[0].equals(expected[0])
    assert got[1].equals(expected[1])
    assert got[2] == expected[2]
    assert pd.Timestamp(got[2]).date() == date(2020, 7, 18)
    # Referrals 91 to 199 (from 1 April 2020): fifteen of each child c0 to c6 (91 to 195), and
    # one more of c0 to c3 (196 to 199).
    assert list(got[0].n) == [16, 16, 16, 16, 15, 15, 15]


def test_a_failed_query_is_raised_and_so_is_every_query_after_it(warehouse):
    with measure_backend("duckdb", warehouse, ["csc_referrals"]) as con:
        referrals = con.table("csc_referrals")
        with measure_queries(con) as queries:
            broken = queries.frame(referrals.select(n=referrals.child_id.cast("int64")))
            after = queries.frame(referrals.count().as_table())
            with pytest.raises(duckdb.ConversionException, match="c0"):
                broken.result()
            with pytest.raises(RuntimeError, match="an earlier query failed"):
                after.result()


def test_the_finish_step_gets_the_frame(warehouse):
    with measure_backend("duckdb", warehouse, ["csc_referrals"]) as con:
        referrals = con.table("csc_referrals")
        missing = {"missing": lambda frame: frame.level.isna().sum()}
        with measure_queries(con, missing) as queries:
            pending = queries.frame(referrals, "missing")
            assert pending.result() == 40  # every fifth referral has no level


def test_a_released_table_is_dropped_after_the_queries_given_before(warehouse):
    with measure_backend("duckdb", warehouse, ["csc_referrals"]) as con:
        referrals = con.table("csc_referrals")
        with measure_queries(con) as queries:
            kept = queries.keep(referrals.filter(referrals.level == 1))
            before = queries.value(kept.count())
            counted = queries.frame(kept.count().as_table())
            queries.release(kept)
            # i % 3 = 1 for 67 of 0 to 199, 13 of them (10, 25, ..., 190) with no level.
            assert counted.result().iat[0, 0] == before == 54
            with pytest.raises(duckdb.CatalogException, match=kept.op().name):
                queries.value(kept.count())


def test_leaving_on_an_error_stops_the_query_running(warehouse):
    with measure_backend("duckdb", warehouse, ["csc_referrals"]) as con:
        with pytest.raises(ValueError, match="stop here"):
            with measure_queries(con) as queries:
                # Hours of work, were it not stopped: 200 ** 5 rows.
                r = con.table("csc_referrals")
                rows = r.select(a=r.referral_id)
                for i in range(4):
                    rows = rows.cross_join(r.select(**{f"b{i}": r.referral_id}))
                total = rows.a.concat(rows.b0, rows.b1, rows.b2, rows.b3).length().sum()
                pending = queries.frame(total.as_table())
                raise ValueError("stop here")
        with pytest.raises((duckdb.InterruptException, RuntimeError, CancelledError)):
            pending.result()
