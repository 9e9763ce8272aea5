"""A local authority's own export loads through the study file's mapping, unedited."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest
from openpyxl import Workbook
from tests.lib.keys import TEST_KEY

from daeval.ingest.load import ingest_folder
from daeval.ingest.mapping import StudyFileError, load_data_sources, parse_data_sources
from daeval.warehouse import Workspace

STUDY = """
data_sources:
  - file: LA referrals export.csv
    table: csc_referrals
    columns:
      Referral ID: referral_id
      Child ID: child_id
      Date of referral: referral_date
      Outcome: decision
      Closed: closure_date
    constants: {la_code: "990"}
    codes:
      decision: {"NFA - no further action": nfa, "Step down to EH": early_help}
    date_format: "%d/%m/%Y"
    date_formats: {closure_date: excel}
  - file: Plans.xlsx
    table: plans
    sheet: CP
    columns: {Plan: plan_id, Child: child_id, Type: plan_type, Start: start_date}
  - records: phq_records.csv
    dictionary: phq_dictionary.csv
    redcap:
      source: "service:fbs"
      events: {baseline_arm_1: baseline, end_arm_1: end}
      instruments:
        PHQ9: {prefix: phq9_, items: 2}
"""

EXPORT = """Referral ID,Child ID,Date of referral,Outcome,Closed
R-1,C-1,05/01/2020,NFA - no further action,43840
R-2,C-1,31/06/2020,Step down to EH,
R-3,C-2,01/07/2020,Something else,not a date
"""

DICTIONARY = (
    '"Variable / Field Name","Form Name","Section Header","Field Type","Field Label",'
    '"Choices, Calculations, OR Slider Labels"\n'
    "record_id,phq,,text,Record ID,\n"
    'phq9_1,phq,,radio,Interest,"0, Not at all | 1, Several days | 2, More than half | 3, Nearly every day"\n'
    'phq9_2,phq,,radio,Down,"0, Not at all | 1, Several days | 2, More than half | 3, Nearly every day"\n'
)
RECORDS = "record_id,redcap_event_name,phq9_1,phq9_2\nF1,baseline_arm_1,2,3\nF1,end_arm_1,1,7\n"


@pytest.fixture
def workspace(tmp_path):
    ws = Workspace(tmp_path / "ws")
    ws.root.mkdir()
    ws.study_file.write_text(STUDY)
    data = tmp_path / "data"
    data.mkdir()
    (data / "LA referrals export.csv").write_text(EXPORT)
    book = Workbook()
    book.active.title = "Notes"
    sheet = book.create_sheet("CP")
    sheet.append(["Plan", "Child", "Type", "Start"])
    sheet.append(["P1", "C-1", "cp", dt.date(2020, 2, 1)])
    book.save(data / "Plans.xlsx")
    (data / "phq_dictionary.csv").write_text(DICTIONARY)
    (data / "phq_records.csv").write_text(RECORDS)
    return ws, data


def test_mapped_columns_codes_dates_and_constants(workspace):
    ws, data = workspace
    report = ingest_folder(data, ws, TEST_KEY, sources=load_data_sources(ws.study_file))
    loads = {r.file_name: (r.rows_read, r.rows_loaded, r.rows_quarantined) for r in report.loads}
    assert loads == {
        "LA referrals export.csv": (3, 1, 2),
        "Plans.xlsx": (1, 1, 0),
        "phq_records.csv": (4, 3, 1),
    }
    con = duckdb.connect(str(ws.warehouse_path), read_only=True)
    # 43840 is 2020-01-10 in Excel's 1900 date system.
    assert con.sql(
        "SELECT la_code, referral_date, decision, closure_date FROM csc_referrals"
    ).fetchall() == [("990", dt.date(2020, 1, 5), "nfa", dt.date(2020, 1, 10))]
    assert con.sql(
        "SELECT line, column_name, rule, value FROM quarantine "
        "WHERE file_name = 'LA referrals export.csv' ORDER BY 1, 2"
    ).fetchall() == [
        (2, "referral_date", "type_date", "31/06/2020"),
        (3, "closure_date", "type_date", "not a date"),
        (3, "decision", "code_list", "Something else"),
    ]
    assert con.sql("SELECT plan_type, start_date FROM plans").fetchall() == [
        ("CP", dt.date(2020, 2, 1))
    ]
    answers = con.sql(
        "SELECT instrument, timepoint, item, value FROM measure_responses ORDER BY 2, 3"
    ).fetchall()
    assert answers == [
        ("PHQ9", "baseline", "1", 2.0),
        ("PHQ9", "baseline", "2", 3.0),
        ("PHQ9", "end", "1", 1.0),
    ]


def test_a_declared_file_that_is_missing_is_refused_by_name(workspace):
    ws, data = workspace
    (data / "Plans.xlsx").unlink()
    report = ingest_folder(data, ws, TEST_KEY, sources=load_data_sources(ws.study_file))
    assert [r.file_name for r in report.refused] == ["Plans.xlsx"]
    assert len(report.loads) == 2


@pytest.mark.parametrize(
    "entry, message",
    [
        ({"file": "x.csv", "table": "nope"}, "is not a table of the data contract"),
        ({"file": "x.csv", "table": "plans", "columns": {"A": "colour"}}, "colour not column"),
        ({"file": "x.csv", "table": "plans", "colour": 1}, "unknown key(s) colour"),
        ({"table": "plans"}, "give the file's name"),
    ],
)
def test_mistakes_in_the_study_file_are_named(entry, message):
    with pytest.raises(StudyFileError, match="data_sources\\[1\\]") as err:
        parse_data_sources([entry])
    assert message in str(err.value)


def test_describing_keys_are_allowed_and_sources_not_received_are_not_read(workspace):
    ws, data = workspace
    described = STUDY.replace(
        "  - file: Plans.xlsx\n",
        "  - id: plans\n    holder: Children's services\n    description: CP plans\n"
        "    status: received\n    file: Plans.xlsx\n",
    ) + (
        "  - {id: later, table: addresses, status: expected, holder: Housing}\n"
        "  - {id: never, table: costs, status: unavailable, file: costs.csv}\n"
    )
    ws.study_file.write_text(described)
    sources = load_data_sources(ws.study_file)
    assert [getattr(s, "file", None) or s.records for s in sources] == [
        "LA referrals export.csv", "Plans.xlsx", "phq_records.csv",
    ]  # fmt: skip
    report = ingest_folder(data, ws, TEST_KEY, sources=sources)
    assert report.refused == []  # costs.csv is not there, and is not looked for
    assert {r.file_name for r in report.loads} == {
        "LA referrals export.csv", "Plans.xlsx", "phq_records.csv",
    }  # fmt: skip
    with pytest.raises(StudyFileError, match=r"status 'sent'"):
        parse_data_sources([{"file": "x.csv", "table": "plans", "status": "sent"}])
