"""CIN census XML and XLSX files through the whole front door into a DuckDB warehouse."""

from __future__ import annotations

import datetime as dt

import duckdb
from openpyxl import Workbook
from tests.lib.cin_xml import write_cin_census_file
from tests.lib.keys import TEST_KEY

from daeval.ingest.load import ingest_folder
from daeval.privacy.pseudonyms import pseudonym
from daeval.warehouse import Workspace

CHILDREN = [
    {
        "LAchildID": "C1",
        "PersonBirthDate": "2015-03-27",
        "Sex": "F",
        "Ethnicity": "WBRI",
        "Disabilities": ["NONE"],
        "CINdetails": [
            {
                "CINreferralDate": "2024-05-01",
                "ReferralSource": "6",
                "ReferralNFA": "false",
                "Assessments": [
                    {"AssessmentActualStartDate": "2024-05-02", "AssessmentFactors": ["3B", "4B"]}
                ],
            },
            {"CINreferralDate": "2024-09-01", "ReferralSource": "2A", "ReferralNFA": "true"},
        ],
    },
    {
        "LAchildID": "C2",
        "PersonBirthDate": "2019-11-02",
        "Sex": "X",  # not a sex code: this child's people row is quarantined
        "CINdetails": [
            {"CINreferralDate": "2024-06-10", "ReferralSource": "99", "ReferralNFA": "true"}
        ],
    },
]


def test_a_cin_census_file_loads_people_referrals_and_assessments(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    write_cin_census_file(data / "cin_2025.xml", CHILDREN, la_code="901")
    ws = Workspace(tmp_path / "ws")
    report = ingest_folder(data, ws, TEST_KEY)
    got = {(r.table, r.rows_read, r.rows_loaded, r.rows_quarantined) for r in report.loads}
    assert got == {
        ("people", 2, 1, 1),
        ("csc_referrals", 3, 2, 1),
        ("assessments", 1, 1, 0),
        ("plans", 0, 0, 0),
    }
    con = duckdb.connect(str(ws.warehouse_path), read_only=True)
    referrals = con.sql(
        "SELECT child_id, la_code, referral_date, decision, domestic_abuse FROM csc_referrals "
        "ORDER BY referral_date"
    ).fetchall()
    c1 = pseudonym(TEST_KEY, "csc", "C1")
    assert referrals == [
        (c1, "901", dt.date(2024, 5, 1), "assessment", "Y"),
        (c1, "901", dt.date(2024, 9, 1), "nfa", None),
    ]
    assert con.sql("SELECT factors FROM assessments").fetchall() == [("3B;4B",)]
    quarantined = con.sql(
        "SELECT file_name, locator, column_name, rule, value FROM quarantine ORDER BY 3"
    ).fetchall()
    assert quarantined == [
        ("cin_2025.xml", "line", "referral_source", "code_list", "99"),
        ("cin_2025.xml", "line", "sex", "code_list", "X"),
    ]


def test_an_xlsx_table_loads_like_csv(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    book = Workbook()
    sheet = book.active
    sheet.append(["Referral_ID", "child_id", "la_code", "referral_date", "decision"])
    sheet.append(["r1", "c1", "900", dt.date(2020, 1, 5), "NFA"])
    sheet.append([None, None, None, None, None])
    sheet.append(["r2", "c1", 900, dt.date(2020, 6, 5), "maybe"])
    book.save(data / "csc_referrals.xlsx")
    ws = Workspace(tmp_path / "ws")
    report = ingest_folder(data, ws, TEST_KEY)
    [load] = report.loads
    assert (load.rows_read, load.rows_loaded, load.rows_quarantined) == (2, 1, 1)
    con = duckdb.connect(str(ws.warehouse_path), read_only=True)
    assert con.sql("SELECT la_code, referral_date, decision FROM csc_referrals").fetchall() == [
        ("900", dt.date(2020, 1, 5), "nfa")
    ]
    assert con.sql("SELECT line, column_name, rule FROM quarantine").fetchall() == [
        (3, "decision", "code_list")
    ]
