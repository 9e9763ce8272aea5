"""The front door on a real DuckDB warehouse file: checks, quarantine, pseudonyms, replacement."""

from __future__ import annotations

import datetime as dt

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from tests.lib.keys import TEST_KEY
from tests.lib.tables import write_table

from daeval.errors import UnusableFileError
from daeval.ingest.linkage_features import STAGED, compared_features_sql
from daeval.ingest.load import ingest_folder
from daeval.privacy.pseudonyms import pseudonym
from daeval.warehouse import Workspace

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

CLEAR = ("Amelia", "Zanzibar", "Oliver", "Quixote", "2014-07-23", "2AB", "9QT")


def ingest(folder, ws, **kw):
    return ingest_folder(folder, ws, TEST_KEY, **kw)


def p(namespace, identifier):
    return pseudonym(TEST_KEY, namespace, identifier)


@pytest.fixture
def folder(tmp_path):
    data = tmp_path / "data"
    write_table(data, "people", PEOPLE)
    write_table(data, "csc_referrals", REFERRALS)
    return data


def contents(path) -> dict[str, list]:
    con = duckdb.connect(str(path), read_only=True)
    out = {}
    for (table,) in con.sql("SELECT table_name FROM duckdb_tables() ORDER BY 1").fetchall():
        out[table] = sorted(map(str, con.sql(f'SELECT * FROM "{table}"').fetchall()))
    con.close()
    return out


def test_a_folder_loads_with_canonical_codes_pseudonyms_and_minimised_identifiers(folder, tmp_path):
    ws = Workspace(tmp_path / "ws")
    report = ingest(folder, ws)
    assert {(r.table, r.rows_read, r.rows_loaded, r.rows_quarantined) for r in report.loads} == {
        ("people", 3, 3, 0),
        ("csc_referrals", 3, 3, 0),
    }
    con = duckdb.connect(str(ws.warehouse_path), read_only=True)
    people = con.sql(
        "SELECT person_id, birth_month, sex, ethnicity, postcode_sector FROM people"
    ).fetchall()
    assert sorted(people) == sorted(
        [
            (p("csc", "c1"), dt.date(2014, 7, 1), "F", "WBRI", "FY1 2"),
            (p("csc", "c2"), dt.date(2016, 2, 1), "M", "APKN", "FY3 9"),
            (p("police", "p1"), dt.date(2014, 7, 1), "F", None, None),
        ]
    )
    referrals = con.sql(
        "SELECT referral_id, child_id, decision, referral_source, reason_for_closure "
        "FROM csc_referrals"
    ).fetchall()
    assert sorted(referrals) == sorted(
        [
            (p("record:csc_referrals:900", "r1"), p("csc", "c1"), "nfa", "6", "RC8"),
            (p("record:csc_referrals:900", "r2"), p("csc", "c1"), "assessment", "2A", None),
            (p("record:csc_referrals:900", "r3"), p("csc", "c2"), "early_help", "10", None),
        ]
    )
    con.close()
    text = str(contents(ws.warehouse_path))
    for clear in CLEAR:
        assert clear not in text


def test_bad_rows_are_quarantined_with_reasons_and_good_rows_load(folder, tmp_path):
    write_table(
        folder,
        "csc_referrals",
        """
        referral_id | child_id | la_code | referral_date | decision | closure_date
        r9          | c1       | 900     | 2020-01-05    | nfa      | 2020-01-09
        r10         | c1       | 900     | 05/06/2020    | nfa      |
        r11         | c2       | 9000    | 2020-07-01    | maybe    |
        r12         | c2       | 900     | 2020-07-01    | nfa      | 2020-06-01
        r9          | c2       | 900     | 2020-08-01    | nfa      |
        r13         | c2       | 900     | 2999-01-01    | nfa      |
        """,
    )
    ws = Workspace(tmp_path / "ws")
    report = ingest(folder, ws)
    load = next(r for r in report.loads if r.table == "csc_referrals")
    assert (load.rows_read, load.rows_loaded, load.rows_quarantined) == (6, 1, 5)
    assert load.rows_read == load.rows_loaded + load.rows_quarantined
    con = duckdb.connect(str(ws.warehouse_path), read_only=True)
    rows = con.sql(
        "SELECT file_name, locator, line, column_name, rule, value FROM quarantine "
        "ORDER BY line, column_name"
    ).fetchall()
    assert rows == [
        ("csc_referrals.csv", "row", 2, "referral_date", "type_date", "05/06/2020"),
        ("csc_referrals.csv", "row", 3, "decision", "code_list", "maybe"),
        ("csc_referrals.csv", "row", 3, "la_code", "pattern", "9000"),
        ("csc_referrals.csv", "row", 4, "closure_date", "date_order", "2020-06-01"),
        ("csc_referrals.csv", "row", 5, "referral_id", "duplicate_key", None),
        ("csc_referrals.csv", "row", 6, "referral_date", "future_date", "2999-01-01"),
    ]
    assert con.sql("SELECT referral_id FROM csc_referrals").fetchall() == [
        (p("record:csc_referrals:900", "r9"),)
    ]
    assert con.sql(
        "SELECT rows_read, rows_loaded, rows_quarantined FROM loads WHERE table_name = 'csc_referrals'"
    ).fetchall() == [(6, 1, 5)]


def test_quarantine_never_keeps_an_identifying_value(folder, tmp_path):
    write_table(
        folder,
        "people",
        """
        source | person_id | last_name | date_of_birth | sex
        csc    | c1        | Zanzibar  | 23/07/2014    | F
        csc    | c1        | Zanzibar  | 2014-07-23    | X
        """,
    )
    ws = Workspace(tmp_path / "ws")
    ingest(folder, ws)
    con = duckdb.connect(str(ws.warehouse_path), read_only=True)
    rows = con.sql("SELECT line, column_name, rule, value FROM quarantine ORDER BY 1, 2").fetchall()
    assert rows == [
        (1, "date_of_birth", "type_date", None),
        (2, "person_id", "duplicate_key", None),
        (2, "sex", "code_list", "X"),
    ]


def test_references_must_point_at_something_that_exists(tmp_path):
    data = tmp_path / "data"
    write_table(
        data,
        "police_notifications",
        "notification_id | notification_date | incident_type\nn1 | 2020-01-01 | domestic_abuse",
    )
    write_table(data, "people", "source | person_id\npolice | k1\npolice | k2")
    write_table(
        data,
        "notification_children",
        """
        notification_id | child_id
        n1              | k1
        n2              | k2
        n1              | k9
        """,
    )
    write_table(
        data,
        "assessments",
        "assessment_id | referral_id | factors\na1 | r1 | 3B\na2 | r404 | 3a; 4B",
    )
    write_table(
        data,
        "csc_referrals",
        "referral_id | child_id | la_code | referral_date\nr1 | c1 | 900 | 2020-01-01",
    )
    ws = Workspace(tmp_path / "ws")
    report = ingest(data, ws)
    con = duckdb.connect(str(ws.warehouse_path), read_only=True)
    rows = con.sql(
        "SELECT table_name, line, column_name, rule FROM quarantine ORDER BY 1, 2"
    ).fetchall()
    assert rows == [
        ("assessments", 2, "referral_id", "reference"),
        ("notification_children", 2, "notification_id", "reference"),
        ("notification_children", 3, "child_id", "reference"),
    ]
    assert con.sql("SELECT factors FROM assessments").fetchall() == [("3B",)]
    assert report.unchecked_references == []


def test_a_reference_must_find_its_id_in_the_same_source(tmp_path):
    # Ids are unique only within their source: a police child id found only among the people of
    # children's social care, or an answer's person id found only in another source, points at
    # no one. The answer's source comes from its own row.
    data = tmp_path / "data"
    write_table(data, "people", "source | person_id\npolice | k1\ncsc | k3\nservice:fbs | k4")
    write_table(
        data,
        "police_notifications",
        "notification_id | notification_date | incident_type\nn1 | 2020-01-01 | domestic_abuse",
    )
    write_table(data, "notification_children", "notification_id | child_id\nn1 | k1\nn1 | k3")
    write_table(
        data,
        "measure_responses",
        """
        response_id | source      | person_id | instrument | timepoint | item | value
        a1          | service:fbs | k4        | PHQ9       | baseline  | 1    | 3
        a2          | service:fbs | k1        | PHQ9       | baseline  | 1    | 3
        a3          | csc         | k3        | PHQ9       | baseline  | 1    | 3
        a5          | csc         | k3        | PHQ9       | baseline  | 2    | 3
        a4          |             | k4        | PHQ9       | baseline  | 1    | 3
        """,
    )
    ws = Workspace(tmp_path / "ws")
    ingest(data, ws)
    con = duckdb.connect(str(ws.warehouse_path), read_only=True)
    assert con.sql(
        "SELECT table_name, line, column_name, rule FROM quarantine ORDER BY 1, 2, 3"
    ).fetchall() == [
        ("measure_responses", 2, "person_id", "reference"),
        # Without its source the row's person cannot be looked up; the source is required.
        ("measure_responses", 5, "source", "required"),
        ("notification_children", 2, "child_id", "reference"),
    ]


def test_references_to_a_table_never_loaded_are_reported_unchecked(tmp_path):
    data = tmp_path / "data"
    write_table(data, "assessments", "assessment_id | referral_id | factors\na1 | r1 | 3a; 4b")
    ws = Workspace(tmp_path / "ws")
    report = ingest(data, ws)
    assert report.unchecked_references == [
        "assessments.csv: referral_id not checked (csc_referrals not loaded)"
    ]
    con = duckdb.connect(str(ws.warehouse_path), read_only=True)
    assert con.sql("SELECT factors FROM assessments").fetchall() == [("3A;4B",)]


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
    write_table(data, "assessments", "assessment_id | referral_id | factors\na2 | r1 | 3B;99Z")
    ws = Workspace(tmp_path / "ws")
    ingest(data, ws)
    con = duckdb.connect(str(ws.warehouse_path), read_only=True)
    assert con.sql(
        "SELECT table_name, line, column_name, rule, value FROM quarantine ORDER BY 1, 2"
    ).fetchall() == [
        ("assessments", 1, "factors", "code_set", "99Z"),
        ("police_notifications", 1, "dash_yes_count", "maximum", "28"),
        ("police_notifications", 2, "dash_yes_count", "type_integer", "3.5"),
    ]
    assert con.sql("SELECT dash_yes_count FROM police_notifications").fetchall() == [(27,)]


def test_an_unusable_file_is_refused_and_the_others_still_load(folder, tmp_path):
    write_table(
        folder, "csc_referrals", "referral_id | child_id | referral_date\nr1 | c1 | 2020-01-01"
    )
    (folder / "addresses.csv").write_bytes(
        "source,person_id,postcode\ncsc,c1,Mü\n".encode("latin-1")
    )
    ws = Workspace(tmp_path / "ws")
    report = ingest(folder, ws)
    assert [(r.file_name, r.reason) for r in report.refused] == [
        ("addresses.csv", report.refused[0].reason),
        (
            "csc_referrals.csv",
            "csc_referrals.csv: required column(s) missing for csc_referrals: la_code",
        ),
    ]
    assert report.refused[0].reason == (
        "addresses.csv: cannot be read as a CSV table (the file is not UTF-8 text; save it as "
        "UTF-8 (CSV UTF-8 in Excel))"
    )
    assert [r.table for r in report.loads] == ["people"]


def test_unknown_columns_are_dropped_at_the_door_and_named(folder, tmp_path):
    write_table(
        folder,
        "csc_referrals",
        """
        referral_id | child_id | la_code | referral_date | Team
        r1          | c1       | 900     | 2020-01-05    | North
        """,
    )
    ws = Workspace(tmp_path / "ws")
    report = ingest(folder, ws)
    load = next(r for r in report.loads if r.table == "csc_referrals")
    assert load.extra_columns == ()
    assert load.dropped_columns == (("team", "not in the data contract"),)
    con = duckdb.connect(str(ws.warehouse_path), read_only=True)
    assert con.sql("SELECT count(*) FROM extra__csc_referrals").fetchall() == [(0,)]
    assert con.sql(
        "SELECT extra_columns, dropped_columns FROM loads WHERE table_name = 'csc_referrals'"
    ).fetchall() == [(None, "team")]


def test_the_same_files_twice_give_the_same_warehouse(folder, tmp_path):
    ws = Workspace(tmp_path / "ws")
    ingest(folder, ws)
    first = contents(ws.warehouse_path)
    ingest(folder, ws)
    second = contents(ws.warehouse_path)
    for run in (first, second):
        run.pop("loads"), run.pop("workspace_marks")  # the time of loading, the generation
    assert first == second


def test_a_newer_extract_replaces_the_rows_of_the_same_source(folder, tmp_path):
    ws = Workspace(tmp_path / "ws")
    ingest(folder, ws)
    (folder / "csc_referrals.csv").unlink()
    write_table(folder, "people", "source | person_id | sex\ncsc | c7 | F")
    ingest(folder, ws)
    con = duckdb.connect(str(ws.warehouse_path), read_only=True)
    assert sorted(con.sql("SELECT person_id FROM people").fetchall()) == sorted(
        [(p("csc", "c7"),), (p("police", "p1"),)]
    )
    assert con.sql("SELECT count(*) FROM csc_referrals").fetchall() == [(3,)]


def test_check_only_writes_nothing(folder, tmp_path):
    ws = Workspace(tmp_path / "ws")
    report = ingest(folder, ws, check_only=True)
    assert report.checked_only and len(report.loads) == 2
    assert not ws.warehouse_path.exists()
    ingest(folder, ws)
    before = contents(ws.warehouse_path)
    write_table(folder, "people", "source | person_id\ncsc | c99")
    ingest(folder, ws, check_only=True)
    assert contents(ws.warehouse_path) == before


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
    report = ingest(data, ws)
    assert report.ignored_files == ["notes.txt"]
    con = duckdb.connect(str(ws.warehouse_path), read_only=True)
    assert con.sql("SELECT referral_date, decision FROM csc_referrals ORDER BY 1").fetchall() == [
        (dt.date(2020, 1, 1), "nfa"),
        (dt.date(2020, 3, 1), "s47"),
    ]


def test_a_folder_with_no_inputs_is_refused(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(UnusableFileError, match="no input files found"):
        ingest(tmp_path / "empty", Workspace(tmp_path / "ws"))


def test_linkage_features_go_to_the_staging_file_not_the_warehouse(folder, tmp_path):
    ws = Workspace(tmp_path / "ws")
    ingest(folder, ws, check_only=True)
    assert not ws.staging.exists()
    ingest(folder, ws)
    con = duckdb.connect(str(ws.staging / "linkage.duckdb"), read_only=True)
    stored = con.sql("SELECT * FROM linkage_features ORDER BY 3, 4")
    assert tuple(stored.columns) == STAGED
    assert stored.fetchall() == [
        ("csc", p("csc", "c1"), "AMELIA", "ZANZIBAR", dt.date(2014, 7, 23), "F", "FY1 2AB"),
        ("police", p("police", "p1"), "AMELIA", "ZANZIBARR", dt.date(2014, 7, 23), "F", None),
        ("csc", p("csc", "c2"), "OLIVER", "QUIXOTE", dt.date(2016, 2, 29), "M", "FY3 9QT"),
    ]
    # What linkage compares is derived from them as it reads them.
    rows = con.sql(
        f"SELECT * FROM ({compared_features_sql('linkage_features', set(STAGED))}) ORDER BY 3, 4"
    ).fetchall()
    assert rows == [
        ("csc", p("csc", "c1"), "AMELIA", "ZANZIBAR", "A540", "Z521", "2014-07", 23, "F", "FY1 2",
         "FY1 2AB"),
        ("police", p("police", "p1"), "AMELIA", "ZANZIBARR", "A540", "Z521", "2014-07", 23, "F",
         None, None),
        ("csc", p("csc", "c2"), "OLIVER", "QUIXOTE", "O416", "Q230", "2016-02", 29, "M", "FY3 9",
         "FY3 9QT"),
    ]  # fmt: skip
    con.close()
    # A new extract of one source replaces that source's features only.
    write_table(folder, "people", "source | person_id | first_name\ncsc | c7 | Zoë")
    ingest(folder, ws)
    con = duckdb.connect(str(ws.staging / "linkage.duckdb"), read_only=True)
    assert sorted(con.sql("SELECT source, first_name FROM linkage_features").fetchall()) == [
        ("csc", "ZOE"),
        ("police", "AMELIA"),
    ]


def test_address_history_postcodes_go_to_the_staging_file_only(folder, tmp_path):
    write_table(
        folder,
        "addresses",
        """
        source | person_id | postcode | from_date  | to_date
        csc    | c1        | fy1 2ab  | 2019-01-01 | 2019-12-31
        csc    | c1        | FY8 1XY  | 2020-01-01 |
        police | p1        |          | 2018-01-01 |
        """,
    )
    ws = Workspace(tmp_path / "ws")
    ingest(folder, ws)
    with duckdb.connect(str(ws.staging / "linkage.duckdb"), read_only=True) as con:
        rows = con.sql("SELECT source, person_id, postcode FROM linkage_addresses ORDER BY 3")
        assert rows.fetchall() == [
            ("csc", p("csc", "c1"), "FY1 2AB"),
            ("csc", p("csc", "c1"), "FY8 1XY"),
        ]
    with duckdb.connect(str(ws.warehouse_path), read_only=True) as con:
        assert sorted(con.sql("SELECT postcode_sector FROM addresses").fetchall(), key=str) == [
            ("FY1 2",),
            ("FY8 1",),
            (None,),
        ]
    # A newer extract of a source's addresses replaces that source's postcodes.
    write_table(
        folder,
        "addresses",
        "source | person_id | postcode | from_date\ncsc | c1 | FY3 9QT | 2021-01-01",
    )
    ingest(folder, ws)
    with duckdb.connect(str(ws.staging / "linkage.duckdb"), read_only=True) as con:
        assert con.sql("SELECT postcode FROM linkage_addresses").fetchall() == [("FY3 9QT",)]


def test_a_staging_file_from_an_earlier_version_gains_the_date_of_birth_and_postcode(
    folder, tmp_path
):
    ws = Workspace(tmp_path / "ws")
    ws.staging.mkdir(parents=True)
    with duckdb.connect(str(ws.staging / "linkage.duckdb")) as con:
        # As an earlier version wrote it: derived features, no date of birth or full postcode.
        con.execute(
            "CREATE TABLE linkage_features (source VARCHAR NOT NULL, person_id UUID NOT NULL, "
            "first_name VARCHAR, last_name VARCHAR, first_name_soundex VARCHAR, "
            "last_name_soundex VARCHAR, birth_year_month VARCHAR, birth_day INTEGER, "
            "sex VARCHAR, postcode_sector VARCHAR)"
        )
    ingest(folder, ws)
    con = duckdb.connect(str(ws.staging / "linkage.duckdb"), read_only=True)
    assert sorted(
        con.sql("SELECT date_of_birth, postcode FROM linkage_features").fetchall(), key=str
    ) == [
        (dt.date(2014, 7, 23), "FY1 2AB"),
        (dt.date(2014, 7, 23), None),
        (dt.date(2016, 2, 29), "FY3 9QT"),
    ]


def test_answers_an_instrument_cannot_take_are_quarantined(tmp_path):
    data = tmp_path / "data"
    write_table(data, "people", "source | person_id\nservice:fbs | s1")
    write_table(
        data,
        "measure_responses",
        """
        response_id | source      | person_id | instrument | timepoint | item  | value
        a1          | service:fbs | s1        | PHQ9       | baseline  | 1     | 3
        a2          | service:fbs | s1        | phq9       | baseline  | 2     | 4
        a3          | service:fbs | s1        | PHQ9       | baseline  | 10    | 1
        a4          | service:fbs | s1        | CRIES8     | baseline  | 1     | 2
        a5          | service:fbs | s1        | CRIES8     | baseline  | 2     | 5
        a6          | service:fbs | s1        | SDQ        | baseline  | total | 41
        a7          | service:fbs | s1        | SDQ        | baseline  | peer  | 10
        a8          | service:fbs | s1        | DASH       | baseline  | professional_judgement | 1
        """,
    )
    ws = Workspace(tmp_path / "ws")
    ingest(data, ws)
    con = duckdb.connect(str(ws.warehouse_path), read_only=True)
    assert con.sql(
        "SELECT line, column_name, rule, value FROM quarantine ORDER BY 1"
    ).fetchall() == [
        (2, "value", "instrument_answer", "4"),  # PHQ-9 answers run 0-3 (a lower-case code too)
        (3, "item", "instrument_answer", "10"),  # PHQ-9 has nine items
        (4, "value", "instrument_answer", "2"),  # CRIES answers are 0, 1, 3 or 5
        (6, "value", "instrument_answer", "41"),  # an SDQ total runs 0-40
    ]
    assert sorted(con.sql("SELECT instrument, item, value FROM measure_responses").fetchall()) == [
        ("CRIES8", "2", 5), ("DASH", "professional_judgement", 1), ("PHQ9", "1", 3), ("SDQ", "peer", 10)
    ]  # fmt: skip


def test_a_key_repeated_in_a_second_file_of_the_same_table_is_quarantined(tmp_path):
    from daeval.ingest.mapping import load_data_sources

    data = tmp_path / "data"
    header = "referral_id | child_id | la_code | referral_date"
    write_table(data, "first", f"{header}\nr1 | c1 | 900 | 2020-01-01\nr2 | c2 | 900 | 2020-02-01")
    write_table(data, "second", f"{header}\nr2 | c2 | 900 | 2020-02-01\nr3 | c3 | 900 | 2020-03-01")
    study = tmp_path / "study.yaml"
    study.write_text(
        "data_sources:\n"
        "  - {file: first.csv, table: csc_referrals}\n"
        "  - {file: second.csv, table: csc_referrals}\n",
        encoding="utf-8",
    )
    ws = Workspace(tmp_path / "ws")
    report = ingest(data, ws, sources=load_data_sources(study))
    loads = {r.file_name: (r.rows_read, r.rows_loaded, r.rows_quarantined) for r in report.loads}
    assert loads == {"first.csv": (2, 2, 0), "second.csv": (2, 1, 1)}
    con = duckdb.connect(str(ws.warehouse_path), read_only=True)
    assert con.sql(
        "SELECT count(*), count(DISTINCT referral_id) FROM csc_referrals"
    ).fetchall() == [(3, 3)]
    assert con.sql("SELECT file_name, line, rule, reason FROM quarantine").fetchall() == [
        (
            "second.csv",
            1,
            "duplicate_key",
            "repeats the key (la_code, referral_id) of a row in first.csv",
        )
    ]


@pytest.mark.parametrize("parallel_reader", [True, False])
def test_a_row_with_many_more_values_than_the_header_is_quarantined(tmp_path, parallel_reader):
    data = tmp_path / "data"
    data.mkdir()
    extra = ",".join(f"x{i}" for i in range(30))
    # A quoted line break makes DuckDB's parallel reader give up; the one-thread reader follows.
    first = "r1,c1,900,2020-01-05" if parallel_reader else '"r\n1",c1,900,2020-01-05'
    (data / "csc_referrals.csv").write_text(
        "referral_id,child_id,la_code,referral_date\n"
        f"{first}\nr2,c1,900,2020-02-05,{extra}\nr3,c2,900,2020-03-05,y\n",
        encoding="utf-8",
    )
    report = ingest(data, Workspace(tmp_path / "ws"))
    [load] = report.loads
    assert (load.rows_read, load.rows_loaded, load.rows_quarantined) == (3, 1, 2)
    con = duckdb.connect(str(tmp_path / "ws" / "warehouse.duckdb"), read_only=True)
    assert con.sql("SELECT line, rule, reason FROM quarantine ORDER BY 1").fetchall() == [
        (2, "reader", "the row has more values than the header has columns"),
        (3, "reader", "the row has more values than the header has columns"),
    ]


def test_a_warehouse_another_process_is_writing_to_is_named_and_left_alone(folder, tmp_path):
    import subprocess
    import sys

    from daeval.errors import WorkspaceError

    ws = Workspace(tmp_path / "ws")
    ingest(folder, ws)
    before = contents(ws.warehouse_path)
    hold = (
        "import duckdb, sys, time\n"
        "con = duckdb.connect(sys.argv[1])\n"
        "print('holding', flush=True)\n"
        "time.sleep(60)\n"
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", hold, str(ws.warehouse_path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
        with pytest.raises(WorkspaceError, match=rf"in use by .* \(process {holder.pid}\)"):
            ingest(folder, ws)
    finally:
        holder.kill()
        holder.communicate()
    assert contents(ws.warehouse_path) == before
