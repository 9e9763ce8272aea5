"""Local authority codes at the door: DfE three-digit codes beside ONS nine-character codes
(decision 0016), and the shipped code lists themselves.

The counts per prefix are those of the lists' release, April 2023 (see
src/daeval/model/areas/README.md): in England 21 county councils, 164 district councils, 62
unitary authorities and the Council of the Isles of Scilly (both E06), 36 metropolitan districts,
32 London boroughs and the City of London (DLUHC, "Local government structure and elections",
April 2023); 32 Scottish council areas (Local Government etc. (Scotland) Act 1994, sch. 1); 22 Welsh
principal councils (Local Government (Wales) Act 1994). The 153 children's services authorities
are the unitary, metropolitan, London and county councils: 63 + 36 + 33 + 21.
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from datetime import date
from importlib import resources

import duckdb
import pytest
from tests.lib.keys import TEST_KEY
from tests.lib.tables import write_table

from daeval.errors import StudyFileError
from daeval.ingest.load import ingest_folder
from daeval.metrics.measures_table import compute_measures
from daeval.model import TABLES, la_codes
from daeval.privacy.disclosure_control import DisclosurePolicy
from daeval.privacy.pseudonyms import pseudonym
from daeval.study.screening import parse_screening
from daeval.warehouse import Workspace

ONS_COUNTS = {"E06": 63, "E07": 164, "E08": 36, "E09": 33, "E10": 21, "S12": 32, "W06": 22}
DFE_COUNT = 153


def _rows(ws: Workspace, sql: str) -> list[tuple]:
    con = duckdb.connect(str(ws.warehouse_path), read_only=True)
    try:
        return sorted(con.sql(sql).fetchall())
    finally:
        con.close()


def _loaded(report, table="csc_referrals"):
    return [
        (r.file_name, r.rows_loaded, r.rows_quarantined) for r in report.loads if r.table == table
    ]


def _shipped(name: str) -> list[dict[str, str]]:
    text = resources.files("daeval.model").joinpath("areas", name).read_text("utf-8")
    return list(csv.DictReader(text.splitlines()))


# --- at the door ----------------------------------------------------------------------------


def test_a_scottish_councils_referrals_load_under_its_ons_code(tmp_path):
    data, ws = tmp_path / "data", Workspace(tmp_path / "ws")
    write_table(data, "csc_referrals", """
        referral_id | child_id | la_code   | referral_date
        R1          | K1       | S12000030 | 2023-05-02
        R2          | K2       | s12000030 | 2023-06-12
        """)  # fmt: skip
    report = ingest_folder(data, ws, TEST_KEY)
    assert _loaded(report) == [("csc_referrals.csv", 2, 0)]
    # Stirling (S12000030) has no DfE code: kept as given, in capitals, and scopes its ids.
    assert _rows(ws, "SELECT referral_id, la_code FROM csc_referrals") == sorted([
        (pseudonym(TEST_KEY, "record:csc_referrals:S12000030", "R1"), "S12000030"),
        (pseudonym(TEST_KEY, "record:csc_referrals:S12000030", "R2"), "S12000030"),
    ])  # fmt: skip


def test_a_welsh_unitary_authoritys_plans_load(tmp_path):
    data, ws = tmp_path / "data", Workspace(tmp_path / "ws")
    write_table(data, "plans", """
        plan_id | child_id | plan_type | start_date | la_code
        P1      | K1       | CP        | 2023-03-01 | W06000015
        """)  # fmt: skip
    report = ingest_folder(data, ws, TEST_KEY)
    assert _loaded(report, "plans") == [("plans.csv", 1, 0)]
    assert _rows(ws, "SELECT la_code FROM plans") == [("W06000015",)]


@pytest.fixture(scope="module")
def two_forms(tmp_path_factory):
    """The City of London's referrals in two files a year apart: the first gives its DfE code
    (201), the second its ONS code (E09000001) and re-sends referral R1."""
    tmp = tmp_path_factory.mktemp("two_forms")
    ws = Workspace(tmp / "ws")
    write_table(tmp / "first", "csc_referrals", """
        referral_id | child_id | la_code | referral_date | decision
        R1          | K1       | 201     | 2019-02-01    | nfa
        R2          | K2       | 201     | 2019-03-01    | nfa
        """)  # fmt: skip
    first = ingest_folder(tmp / "first", ws, TEST_KEY)
    write_table(tmp / "second", "csc_referrals", """
        referral_id | child_id | la_code   | referral_date | decision
        R1          | K1       | E09000001 | 2019-02-01    | s47
        R3          | K1       | e09000001 | 2019-06-01    | nfa
        R4          | K1       | E09000001 | 2019-08-01    | nfa
        """)  # fmt: skip
    second = ingest_folder(tmp / "second", ws, TEST_KEY)
    return ws, first, second


def test_an_authority_given_by_ons_code_is_stored_under_its_dfe_code(two_forms):
    ws, first, second = two_forms
    assert _loaded(first) == [("csc_referrals.csv", 2, 0)]
    assert _loaded(second) == [("csc_referrals.csv", 3, 0)]
    assert _rows(ws, "SELECT DISTINCT la_code FROM csc_referrals") == [("201",)]


def test_the_second_file_replaces_the_first_as_the_same_authority(two_forms):
    """Replacement by la_code: the ONS-coded extract replaces the DfE-coded one (R2 is gone),
    and R1 has the same pseudonym whichever form named its authority."""
    ws, _, _ = two_forms
    r1 = pseudonym(TEST_KEY, "record:csc_referrals:201", "R1")
    r3 = pseudonym(TEST_KEY, "record:csc_referrals:201", "R3")
    r4 = pseudonym(TEST_KEY, "record:csc_referrals:201", "R4")
    assert _rows(ws, "SELECT referral_id, decision FROM csc_referrals") == sorted(
        [(r1, "s47"), (r3, "nfa"), (r4, "nfa")]
    )


def test_the_two_forms_make_one_breakdown_group(two_forms):
    """Window 100 days, as of 2019-12-31: the period starts 2019-05-12 (R1 + 100 days). In it,
    K1's R3 (120 days after R1) is no re-referral and R4 (61 days after R3) is one: 1 of 2, in
    the one la_code group of the City of London."""
    ws, _, _ = two_forms
    run = compute_measures(
        ws, date(2019, 12, 31), 100, DisclosurePolicy(enabled=False), "year", "duckdb"
    )
    groups = {
        (r.group, r.numerator, r.denominator)
        for r in run.rows
        if r.measure == "re_referral_rate" and r.group_by == "la_code"
        and r.period_start == date(2019, 5, 12) and r.period_end == date(2019, 12, 31)
    }  # fmt: skip
    assert groups == {("201", 1, 2)}


@pytest.mark.parametrize(
    "given",
    ["S12999999", "W06000007", "E07999999", "E10000006", "X12000030", "20", "E0900001"],
    ids=["unknown-scottish", "unused-welsh", "unknown-district", "former-county", "other-prefix",
         "two-digits", "eight-characters"],
)  # fmt: skip
def test_no_local_authority_code_is_quarantined_naming_both_forms(tmp_path, given):
    """W06000007 was never issued; E10000006 was Cumbria County Council until March 2023."""
    data, ws = tmp_path / "data", Workspace(tmp_path / "ws")
    write_table(data, "csc_referrals", f"""
        referral_id | child_id | la_code | referral_date
        R1          | K1       | {given} | 2023-05-02
        R2          | K1       | 201     | 2023-05-03
        """)  # fmt: skip
    report = ingest_folder(data, ws, TEST_KEY)
    assert _loaded(report) == [("csc_referrals.csv", 1, 1)]
    (line, column, rule, reason, value), = _rows(
        ws, "SELECT line, column_name, rule, reason, value FROM quarantine"
    )  # fmt: skip
    assert (line, column, rule, value) == (1, "la_code", "pattern", given)
    assert "DfE three-digit code" in reason and "ONS nine-character code" in reason


def test_an_assessment_finds_its_referral_whichever_form_names_the_authority(tmp_path):
    data, ws = tmp_path / "data", Workspace(tmp_path / "ws")
    write_table(data, "csc_referrals", """
        referral_id | child_id | la_code | referral_date
        R1          | K1       | 805     | 2023-05-02
        """)  # fmt: skip
    write_table(data, "assessments", """
        assessment_id | referral_id | la_code   | factors
        A1            | R1          | E06000001 | 3A
        """)  # fmt: skip
    report = ingest_folder(data, ws, TEST_KEY)
    assert _loaded(report, "assessments") == [("assessments.csv", 1, 0)]
    joined = (
        "SELECT a.la_code, r.la_code FROM assessments a JOIN csc_referrals r USING (referral_id)"
    )
    assert _rows(ws, joined) == [("805", "805")]


def test_a_screening_cohort_names_an_authority_in_either_form():
    """The cohort's la_code values are matched against stored codes, so an ONS code of an
    authority with a DfE code is read as the DfE code."""
    given = {"cohort": {"la_code": ["E09000001", "s12000030", "805"]}}
    assert parse_screening(given).cohort == {"la_code": ("201", "S12000030", "805")}
    with pytest.raises(StudyFileError, match="ONS 9-character code"):
        parse_screening({"cohort": {"la_code": "S12999999"}})


# --- the shipped lists ----------------------------------------------------------------------


def test_every_ons_code_has_its_shape_and_appears_once():
    rows = _shipped("ons_local_authorities.csv")
    codes = [r["code"] for r in rows]
    assert len(codes) == len(set(codes))
    assert all(re.fullmatch(la_codes.LA_CODE_PATTERN, c) and len(c) == 9 for c in codes)
    assert all(r["name"].strip() == r["name"] and r["name"] for r in rows)


def test_the_ons_lists_hold_as_many_authorities_of_each_kind_as_were_published():
    counts = Counter(r["code"][:3] for r in _shipped("ons_local_authorities.csv"))
    assert counts == ONS_COUNTS
    assert set(counts) == set(la_codes.ONS_PREFIXES)


def test_each_dfe_code_names_one_current_ons_authority_of_the_same_name():
    dfe = _shipped("dfe_local_authorities.csv")
    ons = {r["code"]: r["name"] for r in _shipped("ons_local_authorities.csv")}
    assert len(dfe) == DFE_COUNT
    assert len({r["dfe_code"] for r in dfe}) == DFE_COUNT
    assert len({r["ons_code"] for r in dfe}) == DFE_COUNT
    assert all(re.fullmatch("[0-9]{3}", r["dfe_code"]) for r in dfe)
    assert all(ons.get(r["ons_code"]) == r["name"] for r in dfe)


def test_children_services_authorities_are_exactly_the_upper_tier_and_unitary_councils():
    """Every E06, E08, E09 and E10 authority has a DfE code; no district, Scottish or Welsh
    council has one."""
    with_dfe = {r["ons_code"] for r in _shipped("dfe_local_authorities.csv")}
    upper = {
        r["code"]
        for r in _shipped("ons_local_authorities.csv")
        if r["code"][:3] in {"E06", "E08", "E09", "E10"}
    }
    assert with_dfe == upper


@pytest.mark.parametrize(
    "given, stored",
    [("201", "201"), ("E09000001", "201"), ("e09000001", "201"), ("E10000017", "888"),
     ("E06000063", "942"), ("S12000030", "S12000030"), ("w06000015", "W06000015"),
     ("E07000223", "E07000223"), ("990", "990"),
     ("E08000016", "370"), ("E08000038", "370"), ("e08000039", "373"), ("S12999999", None), ("E0900001", None)],
)  # fmt: skip
def test_the_stored_form_of_a_code(given, stored):
    """Worked examples from DfE's and ONS's lists: the City of London is 201 and E09000001,
    Lancashire 888 and E10000017, Cumberland 942 and E06000063."""
    assert la_codes.canonical(given) == stored


def test_every_la_code_column_is_checked_against_the_lists():
    declared = {
        (t.name, c.name): c.pattern
        for t in TABLES.values()
        for c in t.columns
        if c.name == "la_code"
    }
    assert set(declared) == {("csc_referrals", "la_code"), ("assessments", "la_code"),
                             ("plans", "la_code")}  # fmt: skip
    assert set(declared.values()) == {la_codes.LA_CODE_PATTERN}
