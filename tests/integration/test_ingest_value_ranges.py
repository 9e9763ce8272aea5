"""Values of the right type but out of range are quarantined, each with its reason.

The ranges come from the model: every date is written YYYY-MM-DD exactly and is not before
1900-01-01, a date of birth is not in the future, a number is finite, and counts and amounts stay
below their maximum.
"""

from __future__ import annotations

import datetime as dt

import duckdb
from tests.lib.keys import TEST_KEY
from tests.lib.tables import write_table

from daeval.ingest.load import ingest_folder
from daeval.warehouse import Workspace

LONG = "9" * 30
"""A whole number too long for BIGINT: quarantined by its maximum, not a failed load."""


def _quarantine(ws: Workspace) -> list[tuple]:
    con = duckdb.connect(str(ws.warehouse_path), read_only=True)
    try:
        return con.sql(
            "SELECT table_name, line, column_name, rule, reason, value FROM quarantine "
            "ORDER BY table_name, line, column_name"
        ).fetchall()
    finally:
        con.close()


def test_dates_numbers_and_counts_out_of_range_are_quarantined(tmp_path):
    data = tmp_path / "data"
    in_two_days = (dt.date.today() + dt.timedelta(days=2)).isoformat()
    write_table(
        data,
        "people",
        f"""
        source | person_id | date_of_birth
        csc    | c1        | {in_two_days}
        csc    | c2        | 1899-12-30
        csc    | c3        | 2010-1-5
        csc    | c4        | 1900-01-01
        csc    | c5        | 2010-01-05
        """,
    )
    write_table(
        data,
        "costs",
        """
        site_id | intervention_id | period_start | period_end | category | amount_gbp
        s1      | i1              | 2020-01-01   | 2020-12-31 | staff    | NaN
        s1      | i1              | 2020-01-01   | 2020-12-31 | training | inf
        s1      | i1              | 2020-01-01   | 2020-12-31 | other    | 1e308
        s1      | i1              | 1850-04-01   | 2020-12-31 | materials | -Infinity
        s1      | i1              | 2020-01-01   | 2020-12-31 | overheads | 1250000.50
        """,
    )
    write_table(
        data,
        "service_episodes",
        f"""
        episode_id | site_id | intervention_id | person_id | referral_date | sessions_attended
        e1         | s1      | i1              | a1        | 2020-02-01    | 1000000000000
        e2         | s1      | i1              | a2        | 2020-02-01    | 1000
        e3         | s1      | i1              | a3        | 2020-2-01     | 12
        e4         | s1      | i1              | a4        | 2020-02-01    | {LONG}
        """,
    )
    ws = Workspace(tmp_path / "ws")
    report = ingest_folder(data, ws, TEST_KEY)
    date_form = "not a date in the form YYYY-MM-DD"
    earliest = "before 1900-01-01, the earliest date accepted"
    assert _quarantine(ws) == [
        ("costs", 1, "amount_gbp", "type_number", "not a finite number", "NaN"),
        ("costs", 2, "amount_gbp", "type_number", "not a finite number", "inf"),
        ("costs", 3, "amount_gbp", "maximum", "above the maximum of 1,000,000,000", "1e308"),
        ("costs", 4, "amount_gbp", "type_number", "not a finite number", "-Infinity"),
        ("costs", 4, "period_start", "earliest_date", earliest, "1850-04-01"),
        # A date of birth is an identifier: its value is never kept.
        ("people", 1, "date_of_birth", "future_date", "in the future", None),
        ("people", 2, "date_of_birth", "earliest_date", earliest, None),
        ("people", 3, "date_of_birth", "type_date", date_form, None),
        (
            "service_episodes",
            1,
            "sessions_attended",
            "maximum",
            "above the maximum of 1,000",
            "1000000000000",
        ),
        ("service_episodes", 3, "referral_date", "type_date", date_form, "2020-2-01"),
        ("service_episodes", 4, "sessions_attended", "maximum", "above the maximum of 1,000", LONG),
    ]
    loaded = {(r.table, r.rows_loaded, r.rows_quarantined) for r in report.loads}
    assert loaded == {("people", 2, 3), ("costs", 1, 4), ("service_episodes", 1, 3)}
