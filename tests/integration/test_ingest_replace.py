"""What a newer extract replaces: only its own scope's rows, only from rows that load, never most
of a table unasked; record ids pseudonymised within their local authority."""

from __future__ import annotations

import duckdb
import pytest
from tests.lib.cin_xml import write_cin_census_file
from tests.lib.keys import TEST_KEY
from tests.lib.tables import write_table

from daeval.errors import ReplacementRefusedError, WorkspaceError
from daeval.ingest.load import ingest_folder
from daeval.privacy.pseudonyms import pseudonym
from daeval.warehouse import Workspace

PEOPLE = """
source | person_id | sex
csc    | c1        | F
csc    | c2        | M
csc    | c3        | F
csc    | c4        | M
police | p1        | F
"""


def ingest(folder, ws, **kw):
    return ingest_folder(folder, ws, TEST_KEY, **kw)


def p(namespace, identifier):
    return pseudonym(TEST_KEY, namespace, identifier)


def rows(ws, sql):
    con = duckdb.connect(str(ws.warehouse_path), read_only=True)
    try:
        return sorted(con.sql(sql).fetchall())
    finally:
        con.close()


def contents(ws) -> dict[str, list]:
    con = duckdb.connect(str(ws.warehouse_path), read_only=True)
    out = {}
    for (table,) in con.sql("SELECT table_name FROM duckdb_tables() ORDER BY 1").fetchall():
        out[table] = sorted(map(str, con.sql(f'SELECT * FROM "{table}"').fetchall()))
    con.close()
    return out


def test_a_file_none_of_whose_rows_load_leaves_its_sources_rows(tmp_path):
    data, ws = tmp_path / "data", Workspace(tmp_path / "ws")
    write_table(data, "people", PEOPLE)
    ingest(data, ws)
    write_table(data, "people", "source | person_id | sex\ncsc | c5 | X\ncsc | c6 | X")
    report = ingest(data, ws)
    assert [(r.rows_loaded, r.rows_quarantined) for r in report.loads] == [(0, 2)]
    assert rows(ws, "SELECT person_id FROM people") == sorted(
        [(p("csc", f"c{n}"),) for n in range(1, 5)] + [(p("police", "p1"),)]
    )


def test_a_sourceless_table_is_kept_when_none_of_a_new_files_rows_load(tmp_path):
    data, ws = tmp_path / "data", Workspace(tmp_path / "ws")
    notifications = "notification_id | notification_date\nn1 | 2020-01-01\nn2 | 2020-02-01"
    write_table(data, "police_notifications", notifications)
    ingest(data, ws)
    write_table(data, "police_notifications", "notification_id | notification_date\nn3 | 1/2/20")
    ingest(data, ws)
    assert len(rows(ws, "SELECT * FROM police_notifications")) == 2


def test_losing_most_of_a_table_is_refused_and_leaves_the_warehouse_as_it_was(tmp_path):
    data, ws = tmp_path / "data", Workspace(tmp_path / "ws")
    write_table(data, "people", PEOPLE)
    write_table(data, "csc_referrals", "referral_id | child_id | la_code | referral_date\n"
                "r1 | c1 | 900 | 2020-01-05")  # fmt: skip
    ingest(data, ws)
    before = contents(ws)
    staged = sorted(p.name for p in ws.staging.iterdir()) if ws.staging.exists() else []
    # One good row for csc; three rows quarantined (sex not a code): 5 rows would become 2.
    bad = "source | person_id | sex\ncsc | c1 | F\ncsc | c2 | X\ncsc | c3 | X\ncsc | c4 | X"
    write_table(data, "people", bad)
    with pytest.raises(ReplacementRefusedError) as refused:
        ingest(data, ws)
    message = str(refused.value)
    assert "people.csv" in message and "people from 5 rows to 2" in message
    assert "--replace-all" in message and "nothing was changed" in message
    assert "c2" not in message
    assert contents(ws) == before
    assert (sorted(p.name for p in ws.staging.iterdir()) if ws.staging.exists() else []) == staged

    report = ingest(data, ws, replace_all=True)
    assert {(r.table, r.rows_loaded) for r in report.loads} == {("people", 1), ("csc_referrals", 1)}
    assert rows(ws, "SELECT person_id FROM people") == sorted(
        [(p("csc", "c1"),), (p("police", "p1"),)]
    )


def test_losing_half_of_a_table_is_allowed(tmp_path):
    data, ws = tmp_path / "data", Workspace(tmp_path / "ws")
    write_table(data, "people", "source | person_id\ncsc | c1\ncsc | c2\npolice | p1\npolice | p2")
    ingest(data, ws)
    write_table(data, "people", "source | person_id\ncsc | c1")
    ingest(data, ws)
    assert len(rows(ws, "SELECT * FROM people")) == 3


CHILDREN = [
    {
        "LAchildID": "C1",
        "PersonBirthDate": "2015-03-27",
        "Sex": "F",
        "CINdetails": [
            {
                "CINreferralDate": "2024-05-01",
                "ReferralSource": "6",
                "Assessments": [{"AssessmentActualStartDate": "2024-05-02"}],
                "CINPlanDates": [{"CINPlanStartDate": "2024-05-20"}],
                "ChildProtectionPlans": [{"CPPstartDate": "2024-06-01"}],
            }
        ],
    }
]


def _other_sources(folder):
    """Another authority's referrals and assessments, and the census authority's children looked
    after (from its SSDA903 return, not the CIN census)."""
    write_table(folder, "csc_referrals", "referral_id | child_id | la_code | referral_date\n"
                "R100 | K1 | 901 | 2024-01-10")  # fmt: skip
    write_table(folder, "assessments", "assessment_id | referral_id | start_date\n"
                "A1 | R100 | 2024-01-11")  # fmt: skip
    write_table(folder, "plans", "plan_id | child_id | plan_type | start_date | la_code\n"
                "L1 | C1 | CLA | 2024-07-01 | 900")  # fmt: skip


@pytest.mark.parametrize("census_first", [True, False], ids=["census-first", "census-last"])
def test_a_cin_census_replaces_only_its_own_authoritys_assessments_and_plans(
    tmp_path, census_first
):
    census, others, ws = tmp_path / "census", tmp_path / "others", Workspace(tmp_path / "ws")
    census.mkdir()
    write_cin_census_file(census / "cin.xml", CHILDREN, la_code="900")
    _other_sources(others)
    for folder in [census, others] if census_first else [others, census]:
        report = ingest(folder, ws)
        assert all(r.rows_quarantined == 0 for r in report.loads)
    assert rows(ws, "SELECT la_code, plan_type FROM plans") == [
        ("900", "CIN"), ("900", "CLA"), ("900", "CP"),
    ]  # fmt: skip
    assert rows(ws, "SELECT la_code FROM assessments") == [("900",), ("901",)]
    assert rows(ws, "SELECT la_code FROM csc_referrals") == [("900",), ("901",)]
    # Each assessment points at its own authority's referral.
    joined = (
        "SELECT a.la_code, r.la_code FROM assessments a JOIN csc_referrals r USING (referral_id)"
    )
    assert rows(ws, joined) == [("900", "900"), ("901", "901")]


def test_a_newer_census_replaces_the_plans_of_its_authority(tmp_path):
    data, ws = tmp_path / "data", Workspace(tmp_path / "ws")
    data.mkdir()
    write_cin_census_file(data / "cin.xml", CHILDREN, la_code="900")
    ingest(data, ws)
    child = {**CHILDREN[0], "CINdetails": [{"CINreferralDate": "2024-05-01",
             "CINPlanDates": [{"CINPlanStartDate": "2024-05-21"}],
             "ChildProtectionPlans": [{"CPPstartDate": "2024-06-02"}]}]}  # fmt: skip
    write_cin_census_file(data / "cin.xml", [child], la_code="900")
    ingest(data, ws)
    assert rows(ws, "SELECT plan_type, start_date::VARCHAR FROM plans") == [
        ("CIN", "2024-05-21"), ("CP", "2024-06-02"),
    ]  # fmt: skip


def test_two_authorities_records_with_the_same_id_both_load_and_join_their_own(tmp_path):
    data, ws = tmp_path / "data", Workspace(tmp_path / "ws")
    write_table(data, "csc_referrals", """
        referral_id | child_id | la_code | referral_date | decision
        R100        | K1       | 900     | 2024-01-10    | nfa
        R100        | K1       | 901     | 2024-02-10    | s47
        """)  # fmt: skip
    write_table(data, "assessments", """
        assessment_id | referral_id | la_code | factors
        A1            | R100        | 900     | 3A
        A1            | R100        | 901     | 4B
        """)  # fmt: skip
    write_table(data, "plans", """
        plan_id | child_id | plan_type | start_date | la_code
        P1      | K1       | CP        | 2024-03-01 | 900
        P1      | K1       | CIN       | 2024-03-01 | 901
        """)  # fmt: skip
    report = ingest(data, ws)
    assert {(r.table, r.rows_loaded, r.rows_quarantined) for r in report.loads} == {
        ("csc_referrals", 2, 0), ("assessments", 2, 0), ("plans", 2, 0),
    }  # fmt: skip
    assert rows(ws, "SELECT referral_id, la_code FROM csc_referrals") == sorted(
        [(p("record:csc_referrals:900", "R100"), "900"),
         (p("record:csc_referrals:901", "R100"), "901")]
    )  # fmt: skip
    joined = (
        "SELECT a.factors, r.la_code, r.decision FROM assessments a "
        "JOIN csc_referrals r USING (referral_id)"
    )
    assert rows(ws, joined) == [("3A", "900", "nfa"), ("4B", "901", "s47")]
    assert len(rows(ws, "SELECT DISTINCT plan_id FROM plans")) == 2


@pytest.mark.parametrize("same_run", [True, False], ids=["same-run", "later-run"])
def test_an_assessment_without_la_code_takes_its_referrals_when_only_one_has_it(tmp_path, same_run):
    data, ws = tmp_path / "data", Workspace(tmp_path / "ws")
    write_table(data, "csc_referrals", """
        referral_id | child_id | la_code | referral_date
        R100        | K1       | 900     | 2024-01-10
        R100        | K2       | 901     | 2024-02-10
        R200        | K2       | 901     | 2024-03-10
        """)  # fmt: skip
    if not same_run:
        ingest(data, ws)
        (data / "csc_referrals.csv").unlink()
    write_table(data, "assessments", """
        assessment_id | referral_id | factors
        A1            | R200        | 3A
        A2            | R100        | 4B
        """)  # fmt: skip
    report = ingest(data, ws)
    load = next(r for r in report.loads if r.table == "assessments")
    assert (load.rows_loaded, load.rows_quarantined) == (1, 1)
    assert rows(ws, "SELECT assessment_id, la_code FROM assessments") == [
        (p("record:assessments:901", "A1"), "901")
    ]
    quarantined = rows(
        ws, "SELECT line, column_name, reason FROM quarantine WHERE rule = 'reference'"
    )
    assert (2, "la_code", "not given, and more than one local authority has a referral of this "
            "referral_id") in quarantined  # fmt: skip


def _old_warehouse(ws, referrals: bool) -> None:
    """A warehouse as daeval made it before assessments and plans had la_code."""
    data = ws.root.parent / "first"
    write_table(data, "people", "source | person_id\ncsc | c1")
    ingest(data, ws)
    con = duckdb.connect(str(ws.warehouse_path))
    con.execute("ALTER TABLE assessments DROP COLUMN IF EXISTS la_code")
    con.execute("ALTER TABLE plans DROP COLUMN IF EXISTS la_code")
    if referrals:
        con.execute(
            "INSERT INTO csc_referrals (referral_id, child_id, la_code, referral_date) VALUES "
            "(uuid(), uuid(), '900', DATE '2020-01-01')"
        )
    con.close()


def test_a_warehouse_holding_records_pseudonymised_without_their_authority_is_refused(tmp_path):
    data, ws = tmp_path / "data", Workspace(tmp_path / "ws")
    _old_warehouse(ws, referrals=True)
    before = contents(ws)
    write_table(data, "assessments", "assessment_id | referral_id\nA1 | R1")
    with pytest.raises(WorkspaceError, match="csc_referrals without their local authority"):
        ingest(data, ws)
    assert contents(ws) == before


def test_a_warehouse_from_before_without_records_is_brought_up_to_date(tmp_path):
    data, ws = tmp_path / "data", Workspace(tmp_path / "ws")
    _old_warehouse(ws, referrals=False)
    write_table(
        data, "plans", "plan_id | child_id | plan_type | start_date\nP1 | c1 | CLA | 2024-01-01"
    )
    ingest(data, ws)
    assert rows(ws, "SELECT la_code FROM plans") == [(None,)]
