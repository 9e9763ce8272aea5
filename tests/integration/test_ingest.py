"""Loading data-contract folders into a real DuckDB warehouse file."""

from __future__ import annotations

import datetime as dt

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from tests.lib.tables import write_table

from daeval.errors import InvalidValuesError, UnusableFileError
from daeval.warehouse import Workspace
from daeval.warehouse.load import ingest_folder

PEOPLE = """
source | person_id | first_name | last_name | date_of_birth | sex | ethnicity | disability | postcode
csc    | c1        | Amelia     | Zanzibar  | 2014-07-23    | f   | wbri      | N          | fy1 2ab
csc    | c2        | Oliver     | Quixote   | 2016-02-29    | M   | APKN      |            | FY39QT
police | p1        | Amelia     | Zanzibarr | 2014-07-23    | F   |           | N          |
"""

REFERRALS = """
referral_id | child_id | la_code | referral_date | decision   | referral_source | reason_for_closure
r1          | c1       | 900     | 2020-01-05    | NFA        | 6               | rc8
r2          | c1       | 900     | 2020-06-05    | assessment | 2a              |
r3          | c2       | 900     | 2020-07-01    | Early_Help | 10              |
"""


@pytest.fixture
def folder(tmp_path):
    data = tmp_path / "data"
    write_table(data, "people", PEOPLE)
    write_table(data, "csc_referrals", REFERRALS)
    return data


def _all_text(path) -> str:
    con = duckdb.connect(str(path), read_only=True)
    chunks = []
    for (table,) in con.sql("SELECT table_name FROM duckdb_tables()").fetchall():
        chunks.append(str(con.sql(f'SELECT * FROM "{table}"').fetchall()))
    return " ".join(chunks)


def test_a_folder_loads_with_canonical_codes_and_minimised_identifiers(folder, tmp_path):
    ws = Workspace(tmp_path / "ws")
    report = ingest_folder(folder, ws)
    assert {(r.table, r.rows_read, r.rows_loaded) for r in report.loads} == {
        ("people", 3, 3),
        ("csc_referrals", 3, 3),
    }
    con = duckdb.connect(str(ws.warehouse_path), read_only=True)
    people = con.sql(
        "SELECT person_id, birth_month, sex, ethnicity, postcode_sector FROM people ORDER BY 1"
    ).fetchall()
    assert people == [
        ("c1", dt.date(2014, 7, 1), "F", "WBRI", "FY1 2"),
        ("c2", dt.date(2016, 2, 1), "M", "APKN", "FY3 9"),
        ("p1", dt.date(2014, 7, 1), "F", None, None),
    ]
    referrals = con.sql(
        "SELECT referral_id, decision, referral_source, reason_for_closure FROM csc_referrals "
        "ORDER BY 1"
    ).fetchall()
    assert referrals == [
        ("r1", "nfa", "6", "RC8"),
        ("r2", "assessment", "2A", None),
        ("r3", "early_help", "10", None),
    ]
    con.close()
    text = _all_text(ws.warehouse_path)
    for identifier in ("Amelia", "Zanzibar", "Oliver", "Quixote", "2014-07-23", "2AB", "9QT"):
        assert identifier not in text


def test_a_bad_value_names_file_row_column_and_reason_and_loads_nothing(folder, tmp_path):
    ws = Workspace(tmp_path / "ws")
    ingest_folder(folder, ws)
    write_table(
        folder,
        "csc_referrals",
        """
        referral_id | child_id | la_code | referral_date | decision
        r9          | c1       | 900     | 2020-01-05    | nfa
        r10         | c1       | 900     | 05/06/2020    | nfa
        r11         | c2       | 9000    | 2020-07-01    | maybe
        """,
    )
    with pytest.raises(InvalidValuesError) as err:
        ingest_folder(folder, ws)
    message = str(err.value)
    assert "csc_referrals.csv row 2, column referral_date: '05/06/2020' not a date" in message
    assert "csc_referrals.csv row 3, column decision: 'maybe' not a code of decision" in message
    assert "csc_referrals.csv row 3, column la_code: '9000' does not match" in message
    assert message.startswith("csc_referrals.csv: 3 value(s)")
    con = duckdb.connect(str(ws.warehouse_path), read_only=True)
    assert sorted(r[0] for r in con.sql("SELECT referral_id FROM csc_referrals").fetchall()) == [
        "r1",
        "r2",
        "r3",
    ]


def test_a_bad_date_of_birth_is_reported_without_showing_it(folder, tmp_path):
    write_table(
        folder,
        "people",
        """
        source | person_id | date_of_birth
        csc    | c1        | 23/07/2014
        """,
    )
    with pytest.raises(InvalidValuesError) as err:
        ingest_folder(folder, Workspace(tmp_path / "ws"))
    assert "people.csv row 1, column date_of_birth: (value withheld" in str(err.value)
    assert "23/07/2014" not in str(err.value)


def test_ranges_whole_numbers_and_code_sets_are_checked(tmp_path):
    data = tmp_path / "data"
    write_table(
        data,
        "police_notifications",
        """
        notification_id | notification_date | dash_yes_count
        n1              | 2020-01-01        | 28
        n2              | 2020-01-01        | 3.5
        n3              | 2020-01-01        | 27
        """,
    )
    write_table(
        data,
        "assessments",
        """
        assessment_id | referral_id | factors
        a1            | r1          | 3a; 4B
        a2            | r1          | 3B;99Z
        """,
    )
    with pytest.raises(InvalidValuesError) as err:
        ingest_folder(data, Workspace(tmp_path / "ws"))
    message = str(err.value)
    # Files are checked in name order: assessments first.
    assert "assessments.csv row 2, column factors: '99Z' not a code of assessment_factor" in message
    write_table(
        data,
        "assessments",
        """
        assessment_id | referral_id | factors
        a1            | r1          | 3a; 4B
        """,
    )
    with pytest.raises(InvalidValuesError) as err:
        ingest_folder(data, Workspace(tmp_path / "ws"))
    message = str(err.value)
    assert "row 1, column dash_yes_count: '28' above the maximum of 27" in message
    assert "row 2, column dash_yes_count: '3.5' not a whole number" in message
    assert "row 3" not in message


def test_factors_are_stored_in_canonical_form(tmp_path):
    data = tmp_path / "data"
    write_table(data, "assessments", "assessment_id | referral_id | factors\na1 | r1 | 3a; 4b")
    ws = Workspace(tmp_path / "ws")
    ingest_folder(data, ws)
    con = duckdb.connect(str(ws.warehouse_path), read_only=True)
    assert con.sql("SELECT factors FROM assessments").fetchall() == [("3A;4B",)]


def test_a_missing_required_column_refuses_the_file(folder, tmp_path):
    write_table(
        folder, "csc_referrals", "referral_id | child_id | referral_date\nr1 | c1 | 2020-01-01"
    )
    with pytest.raises(
        UnusableFileError, match=r"csc_referrals.csv: required column\(s\) missing: la_code"
    ):
        ingest_folder(folder, Workspace(tmp_path / "ws"))


def test_a_file_that_is_not_utf8_is_refused(folder, tmp_path):
    (folder / "people.csv").write_bytes("source,person_id,last_name\ncsc,c1,Mü\n".encode("latin-1"))
    with pytest.raises(UnusableFileError, match="people.csv: cannot be read as a UTF-8 CSV"):
        ingest_folder(folder, Workspace(tmp_path / "ws"))


def test_unknown_columns_are_kept_beside_the_table_and_reported(folder, tmp_path):
    write_table(
        folder,
        "csc_referrals",
        """
        referral_id | child_id | la_code | referral_date | Team
        r1          | c1       | 900     | 2020-01-05    | North
        """,
    )
    ws = Workspace(tmp_path / "ws")
    report = ingest_folder(folder, ws)
    load = next(r for r in report.loads if r.table == "csc_referrals")
    assert load.extra_columns == ("team",)
    con = duckdb.connect(str(ws.warehouse_path), read_only=True)
    assert con.sql("SELECT _row, team FROM extra__csc_referrals").fetchall() == [(1, "North")]


def test_loading_again_replaces_a_table_and_leaves_others(folder, tmp_path):
    ws = Workspace(tmp_path / "ws")
    ingest_folder(folder, ws)
    (folder / "people.csv").unlink()
    write_table(
        folder,
        "csc_referrals",
        "referral_id | child_id | la_code | referral_date\nr7 | c1 | 900 | 2021-01-01",
    )
    ingest_folder(folder, ws)
    con = duckdb.connect(str(ws.warehouse_path), read_only=True)
    assert con.sql("SELECT referral_id FROM csc_referrals").fetchall() == [("r7",)]
    assert con.sql("SELECT count(*) FROM people").fetchall() == [(3,)]
    assert con.sql(
        "SELECT table_name, rows_loaded FROM loads ORDER BY load_id, table_name"
    ).fetchall() == [
        ("csc_referrals", 3),
        ("people", 3),
        ("csc_referrals", 1),
    ]


def test_parquet_files_load_like_csv(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    table = pa.table(
        {
            "referral_id": ["r1", "r2"],
            "child_id": ["c1", "c1"],
            "la_code": ["900", "900"],
            "referral_date": pa.array([dt.date(2020, 1, 1), dt.date(2020, 3, 1)], pa.date32()),
            "decision": ["NFA", "s47"],
        }
    )
    pq.write_table(table, data / "csc_referrals.parquet")
    (data / "notes.txt").write_text("not a table")
    ws = Workspace(tmp_path / "ws")
    report = ingest_folder(data, ws)
    assert report.ignored_files == ["notes.txt"]
    con = duckdb.connect(str(ws.warehouse_path), read_only=True)
    assert con.sql("SELECT referral_date, decision FROM csc_referrals ORDER BY 1").fetchall() == [
        (dt.date(2020, 1, 1), "nfa"),
        (dt.date(2020, 3, 1), "s47"),
    ]


def test_a_folder_with_no_tables_is_refused(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(UnusableFileError, match="no table files found"):
        ingest_folder(tmp_path / "empty", Workspace(tmp_path / "ws"))
