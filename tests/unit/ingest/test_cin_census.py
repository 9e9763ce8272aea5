"""The CIN census XML reader: exact rows, source lines, refusals and bounded memory."""

from __future__ import annotations

import json
import random
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from defusedxml.ElementTree import fromstring
from tests.lib.cin_xml import cin_census_xml, write_cin_census_file
from tests.lib.tables import records

from daeval.errors import UnusableFileError
from daeval.ingest.cin_census import read_cin_census
from daeval.ingest.staged import StagedTable
from daeval.model.tables import TABLES

# Three children, written by hand in the published 2025 layout (Sex). Line numbers below are the
# lines of this text; _PRE_2025 swaps Sex for GenderCurrent on the same lines.
SAMPLE_2025 = """<?xml version="1.0" encoding="UTF-8"?>
<Message>
    <Header>
        <CollectionDetails>
            <Collection>CIN</Collection>
            <Year>2025</Year>
            <ReferenceDate>2025-03-31</ReferenceDate>
        </CollectionDetails>
        <Source>
            <SourceLevel>L</SourceLevel>
            <LEA> 888 </LEA>
            <SoftwareCode>Case system</SoftwareCode>
            <Release>4.2</Release>
            <SerialNo>001</SerialNo>
            <DateTime>2025-05-20T10:00:00</DateTime>
        </Source>
    </Header>
    <Children>
        <Child>
            <ChildIdentifiers>
                <LAchildID>DA001</LAchildID>
                <UPN>A123456789012</UPN>
                <PersonBirthDate>2015-03-27</PersonBirthDate>
                <Sex>F</Sex>
            </ChildIdentifiers>
            <ChildCharacteristics>
                <Ethnicity>WBRI</Ethnicity>
                <Disabilities>
                    <Disability>NONE</Disability>
                </Disabilities>
            </ChildCharacteristics>
            <CINdetails>
                <CINreferralDate>2024-06-01</CINreferralDate>
                <ReferralSource>6</ReferralSource>
                <CINclosureDate>2024-06-01</CINclosureDate>
                <ReasonForClosure>RC7</ReasonForClosure>
                <ReferralNFA>true</ReferralNFA>
            </CINdetails>
            <CINdetails>
                <CINreferralDate>2024-09-14</CINreferralDate>
                <ReferralSource>2A</ReferralSource>
                <PrimaryNeedCode>N1</PrimaryNeedCode>
                <CINclosureDate>2025-02-01</CINclosureDate>
                <ReasonForClosure>RC7</ReasonForClosure>
                <Assessments>
                    <AssessmentActualStartDate>2024-09-16</AssessmentActualStartDate>
                    <AssessmentAuthorisationDate>2024-10-20</AssessmentAuthorisationDate>
                    <FactorsIdentifiedAtAssessment>
                        <AssessmentFactors>3B</AssessmentFactors>
                        <AssessmentFactors>4B</AssessmentFactors>
                    </FactorsIdentifiedAtAssessment>
                </Assessments>
                <CINPlanDates>
                    <CINPlanStartDate>2024-10-25</CINPlanStartDate>
                    <CINPlanEndDate>2025-02-01</CINPlanEndDate>
                </CINPlanDates>
                <ReferralNFA>false</ReferralNFA>
            </CINdetails>
        </Child>
        <Child>
            <ChildIdentifiers>
                <LAchildID>DA002</LAchildID>
                <UPN>B123456789012</UPN>
                <PersonBirthDate>2019-11-30</PersonBirthDate>
                <Sex>U</Sex>
            </ChildIdentifiers>
            <ChildCharacteristics>
                <Ethnicity>MWBC</Ethnicity>
            </ChildCharacteristics>
            <CINdetails>
                <CINreferralDate>2024-11-02</CINreferralDate>
                <ReferralSource>1A</ReferralSource>
                <PrimaryNeedCode>N1</PrimaryNeedCode>
                <Assessments>
                    <AssessmentActualStartDate>2024-11-04</AssessmentActualStartDate>
                    <AssessmentAuthorisationDate>2024-11-29</AssessmentAuthorisationDate>
                    <FactorsIdentifiedAtAssessment>
                        <AssessmentFactors>4B</AssessmentFactors>
                        <AssessmentFactors>16A</AssessmentFactors>
                    </FactorsIdentifiedAtAssessment>
                </Assessments>
                <Assessments>
                    <AssessmentActualStartDate>2025-01-06</AssessmentActualStartDate>
                </Assessments>
                <Section47>
                    <S47ActualStartDate>2024-11-05</S47ActualStartDate>
                    <InitialCPCtarget>2024-11-26</InitialCPCtarget>
                    <DateOfInitialCPC>2024-11-25</DateOfInitialCPC>
                    <ICPCnotRequired>false</ICPCnotRequired>
                </Section47>
                <ReferralNFA>0</ReferralNFA>
                <ChildProtectionPlans>
                    <CPPstartDate>2024-11-25</CPPstartDate>
                    <InitialCategoryOfAbuse>EMO</InitialCategoryOfAbuse>
                    <LatestCategoryOfAbuse>NEG</LatestCategoryOfAbuse>
                    <NumberOfPreviousCPP>0</NumberOfPreviousCPP>
                    <Reviews>
                        <CPPreviewDate>2025-02-10</CPPreviewDate>
                    </Reviews>
                </ChildProtectionPlans>
            </CINdetails>
            <CINdetails>
                <CINreferralDate>2024-11-02</CINreferralDate>
                <ReferralSource>9</ReferralSource>
                <ReferralNFA>1</ReferralNFA>
            </CINdetails>
        </Child>
        <Child>
            <ChildIdentifiers>
                <LAchildID>DA003</LAchildID>
                <UPNunknown>UN1</UPNunknown>
                <PersonBirthDate>2022-01-15</PersonBirthDate>
                <Sex>M</Sex>
            </ChildIdentifiers>
            <ChildCharacteristics>
                <Ethnicity>AIND</Ethnicity>
                <Disabilities>
                    <Disability>MOB</Disability>
                    <Disability>HAND</Disability>
                </Disabilities>
            </ChildCharacteristics>
            <CINdetails>
                <CINreferralDate>2025-03-03</CINreferralDate>
                <ReferralSource>3B</ReferralSource>
                <PrimaryNeedCode>N2</PrimaryNeedCode>
                <ReferralNFA>false</ReferralNFA>
                <PreProceedingsandFGDM>
                    <PPStartDate>2025-03-10</PPStartDate>
                </PreProceedingsandFGDM>
            </CINdetails>
        </Child>
    </Children>
</Message>
"""
_PRE_2025 = {
    "<Sex>F</Sex>": "<GenderCurrent>2</GenderCurrent>",
    "<Sex>U</Sex>": "<GenderCurrent>9</GenderCurrent>",
    "<Sex>M</Sex>": "<GenderCurrent>1</GenderCurrent>",
}


def _pre_2025(text: str) -> str:
    for new, old in _PRE_2025.items():
        assert text.count(new) == 1
        text = text.replace(new, old)
    return text


def _expected(text: str) -> list[dict[str, Any]]:
    return [{**row, "_line": int(row["_line"] or 0)} for row in records(text)]


PEOPLE = _expected("""
source | person_id | date_of_birth | sex | ethnicity | disability | _line
csc    | DA001     | 2015-03-27    | F   | WBRI      | N          | 19
csc    | DA002     | 2019-11-30    | U   | MWBC      |            | 60
csc    | DA003     | 2022-01-15    | M   | AIND      | Y          | 108
""")
REFERRALS = _expected("""
referral_id        | child_id | la_code | referral_date | referral_source | decision   | domestic_abuse | closure_date | reason_for_closure | _line
DA001/2024-06-01/1 | DA001    | 888     | 2024-06-01    | 6               | nfa        |                | 2024-06-01   | RC7                | 32
DA001/2024-09-14/1 | DA001    | 888     | 2024-09-14    | 2A              | assessment | Y              | 2025-02-01   | RC7                | 39
DA002/2024-11-02/1 | DA002    | 888     | 2024-11-02    | 1A              | s47        |                |              |                    | 70
DA002/2024-11-02/2 | DA002    | 888     | 2024-11-02    | 9               | nfa        |                |              |                    | 102
DA003/2025-03-03/1 | DA003    | 888     | 2025-03-03    | 3B              |            |                |              |                    | 122
""")
ASSESSMENTS = _expected("""
assessment_id         | referral_id        | start_date | authorised_date | factors | la_code | _line
DA001/2024-09-14/1/A1 | DA001/2024-09-14/1 | 2024-09-16 | 2024-10-20      | 3B;4B   | 888     | 45
DA002/2024-11-02/1/A1 | DA002/2024-11-02/1 | 2024-11-04 | 2024-11-29      | 4B;16A  | 888     | 74
DA002/2024-11-02/1/A2 | DA002/2024-11-02/1 | 2025-01-06 |                 |         | 888     | 82
""")
PLANS = _expected("""
plan_id                 | child_id | plan_type | start_date | end_date   | category_of_abuse | la_code | _line
DA001/2024-09-14/1/CIN1 | DA001    | CIN       | 2024-10-25 | 2025-02-01 |                   | 888     | 53
DA002/2024-11-02/1/CP1  | DA002    | CP        | 2024-11-25 |            | EMO               | 888     | 92
""")
EXPECTED = {
    "people": PEOPLE,
    "csc_referrals": REFERRALS,
    "assessments": ASSESSMENTS,
    "plans": PLANS,
}
# The element each table's _line must point at.
ELEMENT = {
    "people": ("<Child>",),
    "csc_referrals": ("<CINdetails>",),
    "assessments": ("<Assessments>",),
    "plans": ("<CINPlanDates>", "<ChildProtectionPlans>"),
}


def _write(tmp_path: Path, text: str, name: str = "cin.xml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _read(tmp_path: Path, text: str) -> dict[str, StagedTable]:
    return {staged.table: staged for staged in read_cin_census(_write(tmp_path, text))}


def _rows(tmp_path: Path, children: list[dict[str, Any]], **options: Any) -> dict[str, list]:
    tables = _read(tmp_path, cin_census_xml(children, **options))
    return {name: staged.data.to_pylist() for name, staged in tables.items()}


# --- the hand-written file ---------------------------------------------------------------------


@pytest.mark.parametrize("form", ["2025 (Sex)", "pre-2025 (GenderCurrent)"])
def test_the_hand_written_file_gives_exactly_these_rows(tmp_path, form):
    text = SAMPLE_2025 if form.startswith("2025") else _pre_2025(SAMPLE_2025)
    staged = read_cin_census(_write(tmp_path, text))
    assert [s.table for s in staged] == ["people", "csc_referrals", "assessments", "plans"]
    for s in staged:
        assert s.origin == "cin.xml"
        assert s.locator == "line"
        assert s.data.to_pylist() == EXPECTED[s.table], s.table


@pytest.mark.parametrize("ending", ["\r\n", "\r"])
def test_other_line_endings_give_the_same_rows_and_lines(tmp_path, ending):
    path = tmp_path / "cin.xml"
    path.write_bytes(b"\xef\xbb\xbf" + SAMPLE_2025.replace("\n", ending).encode())
    assert {s.table: s.data.to_pylist() for s in read_cin_census(path)} == EXPECTED


def test_each_line_is_the_line_of_the_element_the_row_comes_from(tmp_path):
    lines = SAMPLE_2025.splitlines()
    for name, staged in _read(tmp_path, SAMPLE_2025).items():
        for line in staged.data.column("_line").to_pylist():
            assert lines[line - 1].strip().startswith(ELEMENT[name]), (name, line)


def test_columns_are_canonical_text_in_model_order_plus_an_int64_line(tmp_path):
    for name, staged in _read(tmp_path, SAMPLE_2025).items():
        schema = staged.data.schema
        assert schema.field("_line").type == pa.int64()
        columns = [c for c in schema.names if c != "_line"]
        order = TABLES[name].column_names
        assert columns == [c for c in order if c in columns], name
        assert all(schema.field(c).type == pa.string() for c in columns)
    people = _read(tmp_path, SAMPLE_2025)["people"].data.column_names
    assert "upn" not in {c.lower() for c in people}  # identifiers that are not canonical stay out


def test_an_empty_return_gives_empty_tables_with_the_same_columns(tmp_path):
    empty = _read(tmp_path, cin_census_xml([]))
    full = _read(tmp_path, SAMPLE_2025)
    for name, staged in empty.items():
        assert staged.data.num_rows == 0
        assert staged.data.schema == full[name].data.schema


def test_namespaces_and_elements_the_census_does_not_define_are_ignored(tmp_path):
    text = SAMPLE_2025.replace("<Message>", '<Message xmlns="http://www.dfe.gov.uk/CIN">')
    text = text.replace(
        "<LAchildID>DA003</LAchildID>",
        "<LAchildID>DA003</LAchildID><LocalRef>X9<Sex>F</Sex></LocalRef>",
    )
    rows = {name: s.data.to_pylist() for name, s in _read(tmp_path, text).items()}
    assert rows == EXPECTED


# --- mapping rules -------------------------------------------------------------------------------


def _child(**fields: Any) -> dict[str, Any]:
    return {"LAchildID": "C1", **fields}


@pytest.mark.parametrize(
    ("disabilities", "expected"),
    [
        (None, None),
        (["NONE"], "N"),
        (["none"], "N"),
        (["AUT"], "Y"),
        (["NONE", "MOB"], "Y"),
        (["  "], None),
    ],
)
def test_disability_is_n_for_none_only_y_for_any_code_and_null_when_not_given(
    tmp_path, disabilities, expected
):
    people = _rows(tmp_path, [_child(Disabilities=disabilities)])["people"]
    assert people[0]["disability"] == expected


@pytest.mark.parametrize(
    ("gender_current", "sex"), [("1", "M"), ("2", "F"), ("0", "U"), ("9", "U"), ("7", "7")]
)
def test_gender_current_maps_to_sex_and_anything_else_passes_through(tmp_path, gender_current, sex):
    people = _rows(tmp_path, [_child(GenderCurrent=gender_current)], form="2024")["people"]
    assert people[0]["sex"] == sex


def test_sex_is_passed_through_as_found(tmp_path):
    people = _rows(tmp_path, [_child(Sex=" m "), {"LAchildID": "C2"}])["people"]
    assert [p["sex"] for p in people] == ["m", None]


@pytest.mark.parametrize(
    ("episode", "decision"),
    [
        (
            {"ReferralNFA": "TRUE", "Assessments": [{"AssessmentActualStartDate": "2024-01-02"}]},
            "nfa",
        ),
        ({"ReferralNFA": " 1 "}, "nfa"),
        ({"ReferralNFA": "false", "Section47": [{"ICPCnotRequired": "true"}]}, "s47"),
        ({"ReferralNFA": "0", "Assessments": [{}]}, "assessment"),
        ({"ReferralNFA": "false"}, None),
        ({}, None),
    ],
)
def test_decision_is_nfa_then_s47_then_assessment_else_null(tmp_path, episode, decision):
    children = [_child(CINdetails=[{"CINreferralDate": "2024-01-01", **episode}])]
    assert _rows(tmp_path, children)["csc_referrals"][0]["decision"] == decision


@pytest.mark.parametrize(
    ("factors", "expected"),
    [
        ([["3A"]], "Y"),
        ([["1B", "3C"]], "Y"),
        ([["21"], ["2B", "3b"]], "Y"),
        ([["4B", "16A"], ["21"]], None),
        ([], None),
    ],
)
def test_domestic_abuse_is_y_when_any_assessment_has_3a_3b_or_3c(tmp_path, factors, expected):
    assessments = [{"AssessmentFactors": f} for f in factors]
    children = [_child(CINdetails=[{"CINreferralDate": "2024-01-01", "Assessments": assessments}])]
    rows = _rows(tmp_path, children)
    assert rows["csc_referrals"][0]["domestic_abuse"] == expected
    assert [a["factors"] for a in rows["assessments"]] == [";".join(f) for f in factors]


def test_a_referrals_id_does_not_depend_on_the_childs_other_referrals(tmp_path):
    later = {"CINreferralDate": "2024-09-01", "Assessments": [{}], "CINPlanDates": [{}]}
    earlier = {"CINreferralDate": "2023-01-05", "ReferralNFA": "true"}
    this_year = _rows(tmp_path, [_child(CINdetails=[later])])
    last_year = _rows(tmp_path, [_child(CINdetails=[earlier, later])])
    assert this_year["csc_referrals"][0]["referral_id"] == "C1/2024-09-01/1"
    assert last_year["csc_referrals"][1]["referral_id"] == "C1/2024-09-01/1"
    assert this_year["assessments"][0]["assessment_id"] == "C1/2024-09-01/1/A1"
    assert last_year["plans"][0]["plan_id"] == "C1/2024-09-01/1/CIN1"


def test_the_cp_category_is_the_initial_one_not_the_latest(tmp_path):
    plan = {
        "CPPstartDate": "2024-02-01",
        "InitialCategoryOfAbuse": "PHY",
        "LatestCategoryOfAbuse": "EMO",
    }
    children = [
        _child(
            CINdetails=[
                {
                    "CINreferralDate": "2024-01-01",
                    "ChildProtectionPlans": [plan, {"CPPstartDate": "2024-09-01"}],
                }
            ]
        )
    ]
    plans = _rows(tmp_path, children)["plans"]
    assert [(p["plan_id"], p["category_of_abuse"]) for p in plans] == [
        ("C1/2024-01-01/1/CP1", "PHY"),
        ("C1/2024-01-01/1/CP2", None),
    ]


def test_la_code_is_null_on_every_referral_when_the_header_has_no_lea(tmp_path):
    episodes = [{"CINreferralDate": "2024-01-01"}, {"CINreferralDate": "2024-05-01"}]
    referrals = _rows(tmp_path, [_child(CINdetails=episodes)], la_code=None)["csc_referrals"]
    assert [r["la_code"] for r in referrals] == [None, None]


def test_every_assessment_and_plan_has_the_headers_la_code(tmp_path):
    episode = {
        "CINreferralDate": "2024-01-01",
        "Assessments": [{"AssessmentActualStartDate": "2024-01-02"}],
        "CINPlanDates": [{"CINPlanStartDate": "2024-02-01"}],
        "ChildProtectionPlans": [{"CPPstartDate": "2024-03-01"}],
    }
    tables = _rows(tmp_path, [_child(CINdetails=[episode])], la_code="901")
    assert [r["la_code"] for r in tables["assessments"] + tables["plans"]] == ["901"] * 3


# --- refusals ------------------------------------------------------------------------------------


def _refusal(tmp_path: Path, text: str | bytes) -> str:
    path = tmp_path / "people.xml"
    if isinstance(text, str):
        path.write_text(text, encoding="utf-8")
    else:
        path.write_bytes(text)
    with pytest.raises(UnusableFileError) as caught:
        read_cin_census(path)
    message = str(caught.value)
    assert "\n" not in message
    return message


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE Message [
  <!ENTITY lol "lol">
  <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
  <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
  <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
  <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
  <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
  <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
  <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<Message><Children><Child><ChildIdentifiers><LAchildID>&lol9;</LAchildID></ChildIdentifiers>
</Child></Children></Message>
"""


def test_a_billion_laughs_file_is_refused_for_its_entity_declarations(tmp_path):
    message = _refusal(tmp_path, BILLION_LAUGHS)
    assert message == "people.xml: line 3: not allowed in a CIN census file: entity declarations"


def test_an_external_entity_is_refused_and_its_target_not_read(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRET")
    text = textwrap.dedent(f"""\
        <?xml version="1.0"?>
        <!DOCTYPE Message [<!ENTITY xxe SYSTEM "{secret.as_uri()}">]>
        <Message><Header><Source><LEA>&xxe;</LEA></Source></Header></Message>
        """)
    message = _refusal(tmp_path, text)
    assert message == "people.xml: line 2: not allowed in a CIN census file: external entities"
    assert "TOPSECRET" not in message


def test_an_external_parameter_entity_is_refused(tmp_path):
    text = textwrap.dedent("""\
        <?xml version="1.0"?>
        <!DOCTYPE Message [
          <!ENTITY % remote SYSTEM "http://example.invalid/evil.dtd">
          %remote;
        ]>
        <Message/>
        """)
    message = _refusal(tmp_path, text)
    assert message == "people.xml: line 3: not allowed in a CIN census file: external entities"


@pytest.mark.parametrize(
    "doctype",
    [
        '<!DOCTYPE Message SYSTEM "http://example.invalid/cin.dtd">',
        "<!DOCTYPE Message [\n  <!ELEMENT Message ANY>\n]>",
        "<!DOCTYPE Message>",
    ],
)
def test_any_dtd_is_refused(tmp_path, doctype):
    text = f'<?xml version="1.0"?>\n{doctype}\n<Message/>\n'
    message = _refusal(tmp_path, text)
    assert message == (
        "people.xml: line 2: not allowed in a CIN census file: a DTD (document type declaration)"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            SAMPLE_2025.replace("</Header>", "</Heder>"),
            "line 17: not well-formed XML (mismatched tag)",
        ),
        (
            SAMPLE_2025[: SAMPLE_2025.index("<Child>", 1000)],
            "line 60: not well-formed XML (no element found)",
        ),
        ("", "line 1: not well-formed XML (no element found)"),
        ("<Message>&nbsp;</Message>", "line 1: not well-formed XML (undefined entity)"),
        ("<Message/>\n<Message/>", "line 2: not well-formed XML (junk after document element)"),
        (
            b"\x89PNG\r\n\x1a\n\x00\x00",
            "line 1: not well-formed XML (not well-formed (invalid token))",
        ),
        (
            b"<Message><Header>\xff</Header></Message>",
            "line 1: not well-formed XML (not well-formed (invalid token))",
        ),
        (
            "ReferralSource,CINreferralDate\n6,2024-01-01\n",
            "line 1: not well-formed XML (syntax error)",
        ),
    ],
)
def test_a_file_that_is_not_well_formed_xml_is_unusable_at_its_line(tmp_path, text, expected):
    assert _refusal(tmp_path, text) == f"people.xml: {expected}"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            '<?xml version="1.0"?>\n<html><body/></html>',
            "line 2: not a CIN census file (the root element is <html>, not <Message>)",
        ),
        (
            "<Children><Child/></Children>",
            "line 1: not a CIN census file (the root element is <Children>, not <Message>)",
        ),
        (
            '<?xml version="1.0" encoding="x-made-up"?>\n<Message/>',
            "line 1: the character encoding its XML declaration names is not supported; save the "
            "file as UTF-8",
        ),
        (
            '<?xml version="1.0" encoding="shift_jis"?>\n<Message/>',
            "line 1: the character encoding its XML declaration names is not supported; save the "
            "file as UTF-8",
        ),
    ],
)
def test_a_file_that_is_not_a_cin_message_is_unusable(tmp_path, text, expected):
    assert _refusal(tmp_path, text) == f"people.xml: {expected}"


def test_a_missing_file_or_a_folder_is_unusable(tmp_path):
    with pytest.raises(UnusableFileError, match=r"^absent\.xml: cannot be read \("):
        read_cin_census(tmp_path / "absent.xml")
    (tmp_path / "folder.xml").mkdir()
    with pytest.raises(UnusableFileError, match=r"^folder\.xml: cannot be read \("):
        read_cin_census(tmp_path / "folder.xml")


def test_a_damaged_file_is_read_or_refused_never_anything_else(tmp_path):
    data = SAMPLE_2025.encode()
    rng = random.Random(20250331)
    damaged = [data[:cut] for cut in range(0, len(data), 37)]
    for _ in range(300):
        copy = bytearray(data)
        for _ in range(rng.randint(1, 4)):
            copy[rng.randrange(len(copy))] = rng.choice(b"<>&/\x00\xff\"' =!?[]%;#aZ9")
        damaged.append(bytes(copy))
    path = tmp_path / "damaged.xml"
    outcomes = {"read": 0, "refused": 0}
    for version in damaged:
        path.write_bytes(version)
        try:
            read_cin_census(path)
        except UnusableFileError as exc:
            assert str(exc).startswith("damaged.xml: "), exc
            outcomes["refused"] += 1
        else:
            outcomes["read"] += 1
    assert outcomes["refused"] > 100  # the damage is real, not a no-op


# --- the test writer ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("form", "tag", "value"), [("2025", "Sex", "F"), ("2024", "GenderCurrent", "2")]
)
def test_the_writer_writes_the_sex_item_of_each_form(form, tag, value):
    root = fromstring(cin_census_xml([_child(Sex="F")], form=form))
    identifiers = root.find("Children/Child/ChildIdentifiers")
    assert identifiers is not None
    assert [(e.tag, e.text) for e in identifiers] == [("LAchildID", "C1"), (tag, value)]
    assert root.findtext("Header/Source/LEA") == "900"
    assert root.findtext("Header/CollectionDetails/Year") == form


def test_the_writer_refuses_keys_it_does_not_know():
    with pytest.raises(ValueError, match="ReferalSource"):
        cin_census_xml([_child(CINdetails=[{"ReferalSource": "6"}])])


# --- bounded memory ------------------------------------------------------------------------------

CHILDREN = 100_000


def _big_child(i: int) -> dict[str, Any]:
    """A varied child; counts follow from i, so the expected totals are known without the reader."""
    episodes = []
    for k in range(1 + (i % 4 == 0)):
        episode: dict[str, Any] = {
            "CINreferralDate": f"2024-{1 + 6 * k:02d}-{1 + i % 28:02d}",
            "ReferralSource": ("6", "2A", "1A", "5D")[i % 4],
            "PrimaryNeedCode": "N1",
            "ReferralNFA": "true" if i % 7 == 0 and k == 0 else "false",
        }
        if i % 2 == 0 and episode["ReferralNFA"] == "false":
            factors = ["3B", "4B"] if i % 6 == 0 else ["1B"]
            episode["Assessments"] = [
                {
                    "AssessmentActualStartDate": "2024-07-02",
                    "AssessmentAuthorisationDate": "2024-08-01",
                    "AssessmentFactors": factors,
                }
            ]
        if i % 3 == 0:
            episode["CINPlanDates"] = [{"CINPlanStartDate": "2024-08-05"}]
        if i % 10 == 0:
            episode["Section47"] = [
                {"S47ActualStartDate": "2024-07-03", "ICPCnotRequired": "false"}
            ]
            episode["ChildProtectionPlans"] = [
                {
                    "CPPstartDate": "2024-07-20",
                    "InitialCategoryOfAbuse": "EMO",
                    "LatestCategoryOfAbuse": "EMO",
                    "NumberOfPreviousCPP": "0",
                    "CPPreviewDate": ["2024-10-01"],
                }
            ]
        episodes.append(episode)
    return {
        "LAchildID": f"C{i:07d}",
        "UPN": f"A{i:012d}",
        "PersonBirthDate": f"2012-{1 + i % 12:02d}-{1 + i % 28:02d}",
        "Sex": "MFU"[i % 3],
        "Ethnicity": ("WBRI", "AIND", "BAFR", "MWBC")[i % 4],
        "Disabilities": ["NONE"] if i % 5 else ["AUT", "COMM"],
        "CINdetails": episodes,
    }


_MEASURE = """
import json, resource, sys
from pathlib import Path
from daeval.ingest.cin_census import read_cin_census
read_cin_census(Path(sys.argv[2]))  # a first small read loads everything it imports
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
tables = {t.table: t.data for t in read_cin_census(Path(sys.argv[1]))}
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
unit = 1 if sys.platform == "darwin" else 1024  # ru_maxrss is bytes on macOS, KiB on Linux
people, referrals = tables["people"], tables["csc_referrals"]
print(json.dumps({
    "growth_mib": (after - before) * unit / 2**20,
    "output_mib": sum(t.nbytes for t in tables.values()) / 2**20,
    "rows": {name: t.num_rows for name, t in tables.items()},
    "da": referrals.column("domestic_abuse").to_pylist().count("Y"),
    "last_person": people.column("person_id")[-1].as_py(),
    "child_lines": people.column("_line").to_pylist()[::9973] + [people["_line"][-1].as_py()],
    "referral_lines": referrals.column("_line").to_pylist()[::9973],
}))
"""

# Peak memory growth allowed while reading 100,000 children (a 130 MB file), measured as the rise
# in the reading process's peak RSS. The Arrow output is about 27 MiB and one batch of 5,000
# children held as Python rows a few MiB more; measured growth is about 43 MiB. Holding every row as
# Python objects instead of packing batches measured 166 MiB, and parsing the whole document into
# an ElementTree 750 MiB, so either mistake fails this bound.
MAX_GROWTH_MIB = 128


@pytest.mark.slow
def test_100k_children_are_read_exactly_in_bounded_memory(tmp_path):
    path = write_cin_census_file(tmp_path / "cin_100k.xml", map(_big_child, range(CHILDREN)))
    small = write_cin_census_file(tmp_path / "small.xml", [_big_child(0)])
    result = subprocess.run(
        [sys.executable, "-c", _MEASURE, str(path), str(small)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    measured = json.loads(result.stdout)

    episodes = [e for i in range(CHILDREN) for e in _big_child(i)["CINdetails"]]
    assert measured["rows"] == {
        "people": CHILDREN,
        "csc_referrals": len(episodes),
        "assessments": sum(len(e.get("Assessments", [])) for e in episodes),
        "plans": sum(
            len(e.get("CINPlanDates", [])) + len(e.get("ChildProtectionPlans", []))
            for e in episodes
        ),
    }
    assert measured["da"] == sum(
        any("3B" in a["AssessmentFactors"] for a in e.get("Assessments", [])) for e in episodes
    )
    assert measured["last_person"] == f"C{CHILDREN - 1:07d}"
    wanted = {n: "<Child>" for n in measured["child_lines"]}
    wanted.update({n: "<CINdetails>" for n in measured["referral_lines"]})
    found = {}
    with path.open(encoding="utf-8") as file:
        for number, line in enumerate(file, start=1):
            if number in wanted:
                found[number] = line.strip()
    assert found == wanted
    assert measured["growth_mib"] < MAX_GROWTH_MIB, measured
