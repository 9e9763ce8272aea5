"""What comes through the front door: columns outside the contract are dropped and named unless
the study file keeps them (never an identifier), headers are matched normalised, names daeval
keeps for itself are refused, and a quote that swallows the rows after it refuses the file."""

from __future__ import annotations

import duckdb
import pytest
from tests.lib.keys import TEST_KEY
from tests.lib.tables import write_table

from daeval.errors import StudyFileError
from daeval.ingest.linkage_features import STAGING_FILE
from daeval.ingest.load import ingest_folder
from daeval.ingest.mapping import parse_data_sources
from daeval.warehouse import Workspace
from daeval.warehouse.store import LOADS_DDL

PEOPLE = """
source | person_id | sex | nhs_number | forename | surname | dob        | home_postcode | upn
csc    | c1        | F   | 9434765919 | Amelia   | Zanzibar | 2014-07-23 | FY1 2AB      | A801200005001
csc    | c2        | M   | 4010232137 | Oliver   | Quixote  | 2016-02-29 | FY3 9QT      | B801200005001
"""
CLEAR = ("9434765919", "4010232137", "Amelia", "Zanzibar", "Oliver", "Quixote", "2014-07-23")
CLEAR += ("FY1 2AB", "FY3 9QT", "A801200005001", "B801200005001")
UNKNOWN = ("nhs_number", "forename", "surname", "dob", "home_postcode", "upn")


def ingest(folder, ws, sources=None):
    return ingest_folder(folder, ws, TEST_KEY, sources=sources)


def warehouse_text(ws: Workspace) -> str:
    """Every value of every table of the warehouse, as one text."""
    con = duckdb.connect(str(ws.warehouse_path), read_only=True)
    parts = []
    for (table,) in con.sql("SELECT table_name FROM duckdb_tables()").fetchall():
        parts += map(str, con.sql(f'SELECT * FROM "{table}"').fetchall())
    con.close()
    return "\n".join(parts)


def test_identifying_columns_outside_the_contract_never_reach_the_warehouse(tmp_path):
    data = tmp_path / "data"
    write_table(data, "people", PEOPLE)
    ws = Workspace(tmp_path / "ws")
    [load] = ingest(data, ws).loads
    assert (load.rows_read, load.rows_loaded) == (2, 2)
    assert load.dropped_columns == tuple((c, "not in the data contract") for c in UNKNOWN)
    text = warehouse_text(ws)
    assert not [c for c in CLEAR if c in text]
    con = duckdb.connect(str(ws.warehouse_path), read_only=True)
    assert con.sql("SELECT dropped_columns FROM loads").fetchall() == [(",".join(UNKNOWN),)]


def test_headers_are_matched_after_normalising_nul_bytes_marks_spaces_and_case(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "people.csv").write_bytes(
        b"\xef\xbb\xbfSource ,PERSON_ID,first_name\x00,Last  Name,\xe2\x80\x8bsex\n"
        b"csc,c1,Amelia,Zanzibar,F\n"
    )
    ws = Workspace(tmp_path / "ws")
    [load] = ingest(data, ws).loads
    assert (load.rows_loaded, load.dropped_columns) == (1, ())
    con = duckdb.connect(str(ws.staging / STAGING_FILE), read_only=True)
    assert con.sql(
        "SELECT count(first_name), count(last_name), count(sex) FROM linkage_features"
    ).fetchall() == [(1, 1, 1)]
    assert "Amelia" not in warehouse_text(ws)


KEEP = """
data_sources:
  - file: csc_referrals.csv
    table: csc_referrals
    keep: {{{keep}}}
"""
REFERRALS = """
referral_id | child_id | la_code | referral_date | Team  | Worker ref
r1          | c1       | 900     | 2020-01-05    | North | 943 476 5919
r2          | c1       | 900     | 2020-02-05    | South | x
"""


def _sources(keep: str):
    import yaml

    return parse_data_sources(yaml.safe_load(KEEP.format(keep=keep))["data_sources"])


def test_a_column_the_study_keeps_sits_beside_the_table_unless_its_values_identify(tmp_path):
    data = tmp_path / "data"
    write_table(data, "people", "source | person_id\ncsc | c1")
    write_table(data, "csc_referrals", REFERRALS)
    ws = Workspace(tmp_path / "ws")
    sources = _sources("Team: referrals compared by team, Worker Ref: audit of workers")
    report = ingest(data, ws, sources)
    load = next(r for r in report.loads if r.table == "csc_referrals")
    assert load.extra_columns == ("team",)
    assert load.dropped_columns == (
        ("worker_ref", "kept by study.yaml, but its values hold NHS numbers"),
    )
    con = duckdb.connect(str(ws.warehouse_path), read_only=True)
    assert con.sql("SELECT _line, columns FROM extra__csc_referrals ORDER BY 1").fetchall() == [
        (1, {"team": "North"}),
        (2, {"team": "South"}),
    ]
    assert con.sql(
        "SELECT extra_columns, dropped_columns FROM loads WHERE table_name = 'csc_referrals'"
    ).fetchall() == [("team", "worker_ref")]
    assert "943 476 5919" not in warehouse_text(ws)


@pytest.mark.parametrize(
    ("keep", "message"),
    [
        ("Forename: for checking", r"keep: 'forename': looks like a name, .* never kept in clear"),
        ("DOB: ages", r"'dob': looks like a date of birth"),
        ("Home postcode: areas", r"'home_postcode': looks like a postcode"),
        ("NHS No: linking", r"'nhs_no': looks like an NHS number"),
        ("UPN: schools", r"'upn': looks like a UPN"),
        ("Team: ''", r"'team': say why it is kept"),
        ("_line: x", r"'_line': not a column name daeval can keep"),
        ("la_code: x", r"'la_code': is loaded into csc_referrals already"),
    ],
)
def test_the_study_file_cannot_keep_an_identifier_or_keep_without_a_reason(keep, message):
    with pytest.raises(StudyFileError, match=message):
        _sources(keep)


def test_a_warehouse_made_before_dropped_columns_opens_and_records_them(tmp_path):
    data = tmp_path / "data"
    write_table(data, "people", PEOPLE)
    ws = Workspace(tmp_path / "ws")
    ws.root.mkdir()
    con = duckdb.connect(str(ws.warehouse_path))
    con.execute(LOADS_DDL.replace(",\n  dropped_columns VARCHAR", ""))
    con.close()
    ingest(data, ws)
    con = duckdb.connect(str(ws.warehouse_path), read_only=True)
    assert con.sql("SELECT dropped_columns FROM loads").fetchall() == [(",".join(UNKNOWN),)]


@pytest.mark.parametrize("name", ["_line", "rowid", "_rid", "_problem", "_Line", "_m_person_id"])
def test_a_header_with_a_name_daeval_keeps_for_itself_is_refused(tmp_path, name):
    data = tmp_path / "data"
    write_table(data, "people", f"source | person_id | {name}\ncsc | c1 | x")
    write_table(data, "csc_referrals", "referral_id | child_id | la_code | referral_date")
    report = ingest(data, Workspace(tmp_path / "ws"))
    [refused] = report.refused
    assert refused.file_name == "people.csv"
    assert f"column {name.lower()!r} has a name daeval keeps for its own use" in refused.reason
    assert [r.table for r in report.loads] == ["csc_referrals"]


def _people_lines(n: int) -> list[str]:
    return [f"csc,c{i},Name{i},Smith,2010-01-{i:02d},FY1 2AB" for i in range(1, n + 1)]


@pytest.mark.parametrize("closed_later", [False, True])
def test_an_unbalanced_quote_refuses_the_file_instead_of_losing_rows(tmp_path, closed_later):
    data = tmp_path / "data"
    data.mkdir()
    lines = _people_lines(20)
    lines[5] = 'csc,c6,"Bob,Smith,2010-01-06,FY1 2AB'
    if closed_later:  # the quote closes at the next quoted value, rows between are swallowed
        lines[11] = 'csc,c12,"Quoted, name",Smith,2010-01-12,FY1 2AB'
    header = "source,person_id,first_name,last_name,date_of_birth,postcode"
    (data / "people.csv").write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
    write_table(data, "csc_referrals", "referral_id | child_id | la_code | referral_date")
    report = ingest(data, Workspace(tmp_path / "ws"))
    [refused] = report.refused
    assert refused.reason == (
        "people.csv: row 6 (line 7 of the file) opens a quoted value that runs on over lines "
        'that look like rows of their own: a " without its closing " swallows the rows after '
        "it; fix the quote and load the file again"
    )
    assert "Bob" not in refused.reason
    assert [r.table for r in report.loads] == ["csc_referrals"]


def test_quoted_line_breaks_and_quotes_inside_values_still_load(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "people.csv").write_text(
        "source,person_id,first_name,last_name,postcode\n"
        'csc,c1,"Ann\nMarie",O"Brien,FY1 2AB\n'
        'csc,c2,"Bob ""B""",Smith,"FY1\n2AB"\n'
        "\n"
        "csc,c3,Cy,Smith,\n",
        encoding="utf-8",
    )
    [load] = ingest(data, Workspace(tmp_path / "ws")).loads
    assert (load.rows_read, load.rows_loaded, load.rows_quarantined) == (3, 3, 0)
