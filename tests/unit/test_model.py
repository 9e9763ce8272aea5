import re
from pathlib import Path

import duckdb

from daeval.model import ALL_CODE_LISTS, MEASURES_COLUMNS, TABLES, Identifier, Kind
from daeval.model import codes as c
from daeval.model.ddl import MEASURES_DDL, schema_sql
from daeval.model.reference import render

ROOT = Path(__file__).resolve().parents[2]

# Every table and column of data contract v1 (docs/data-contract.md), typed out independently.
CONTRACT = {
    "people": "source person_id first_name last_name date_of_birth sex ethnicity disability postcode",
    "person_links": "source_a person_id_a source_b person_id_b",
    "police_notifications": "notification_id notification_date incident_type victim_id "
    "perpetrator_id risk_tool risk_level dash_yes_count post_separation",
    "notification_children": "notification_id child_id",
    "csc_referrals": "referral_id child_id la_code referral_date referral_source decision "
    "domestic_abuse threshold_level closure_date reason_for_closure",
    "assessments": "assessment_id referral_id start_date authorised_date factors la_code",
    "plans": "plan_id child_id plan_type start_date end_date category_of_abuse la_code",
    "service_episodes": "episode_id site_id intervention_id person_id family_id role "
    "referral_date referral_source eligibility ineligible_reason first_contact_date offer "
    "start_date sessions_planned sessions_attended end_date end_reason evaluation_consent "
    "consent_date",
    "measure_responses": "response_id source person_id instrument timepoint administered_date "
    "respondent item value",
    "addresses": "source person_id postcode from_date to_date",
    "costs": "site_id intervention_id period_start period_end category amount_gbp",
}


def test_every_contract_table_and_column_is_in_the_model():
    assert set(TABLES) == set(CONTRACT)
    for name, columns in CONTRACT.items():
        assert TABLES[name].column_names == tuple(columns.split()), name


def test_the_ddl_creates_every_table_in_duckdb_without_direct_identifiers():
    con = duckdb.connect()
    for ddl in schema_sql():
        con.execute(ddl)
    con.execute(MEASURES_DDL)
    people = [r[0] for r in con.sql("DESCRIBE people").fetchall()]
    assert "first_name" not in people and "last_name" not in people
    assert "date_of_birth" not in people and "postcode" not in people
    assert {"birth_month", "postcode_sector"} <= set(people)
    measures = [r[0] for r in con.sql("DESCRIBE measures").fetchall()]
    assert tuple(measures) == MEASURES_COLUMNS


# Columns holding an id of a person or of a record (which can hold a person's id), by name.
IDS = {
    "person_id", "person_id_a", "person_id_b", "notification_id", "victim_id", "perpetrator_id",
    "child_id", "referral_id", "assessment_id", "plan_id", "episode_id", "family_id",
    "response_id",
}  # fmt: skip


def test_every_id_column_holds_a_pseudonym_as_a_uuid_and_no_other_does():
    con = duckdb.connect()
    for ddl in schema_sql():
        con.execute(ddl)
    for name in CONTRACT:
        for column, sql_type, *_ in con.sql(f"DESCRIBE {name}").fetchall():
            assert (sql_type == "UUID") == (column in IDS), (name, column, sql_type)


def test_direct_identifiers_are_all_declared_for_minimisation():
    for name in ("first_name", "last_name", "date_of_birth", "postcode"):
        assert TABLES["people"].column(name).identifier is not None
    assert TABLES["people"].column("first_name").identifier is Identifier.DROP


def test_code_columns_carry_a_code_list_with_a_source():
    for table in TABLES.values():
        for col in table.columns:
            if col.kind in (Kind.CODE, Kind.CODE_SET):
                assert col.codes is not None and col.codes.source, (table.name, col.name)


def test_code_lists_match_the_published_counts():
    # CIN census 2024 schema: 22 referral sources, 9 reasons for closure, 5 categories of
    # abuse, 20 ethnicity codes; 13 disability codes.
    assert len(c.REFERRAL_SOURCE) == 22
    assert len(c.REASON_FOR_CLOSURE) == 9
    assert len(c.CATEGORY_OF_ABUSE) == 5
    assert len(c.ETHNICITY) == 20
    assert len(c.CIN_DISABILITY) == 13
    assert {"3A", "3B", "3C", "21"} <= set(c.ASSESSMENT_FACTOR)
    assert c.DOMESTIC_ABUSE_FACTORS <= set(c.ASSESSMENT_FACTOR)
    assert set(c.ETHNICITY_GROUP) == set(c.ETHNICITY)


def test_codes_are_matched_case_insensitively_into_their_canonical_spelling():
    assert c.DECISION.canonical("NFA") == "nfa"
    assert c.REASON_FOR_CLOSURE.canonical(" rc8 ") == "RC8"
    assert c.RISK_LEVEL.canonical("Standard") == "standard"
    assert c.RISK_LEVEL.canonical("very high") is None
    assert "wbri" in c.ETHNICITY


def test_code_list_names_are_unique():
    names = [codes.name for codes in ALL_CODE_LISTS]
    assert len(names) == len(set(names))


def test_timepoint_pattern():
    pattern = re.compile(c.TIMEPOINT_PATTERN)
    for ok in ("baseline", "mid", "end", "followup_6", "followup_12"):
        assert pattern.match(ok)
    for bad in ("Baseline", "followup_", "followup_x", "end "):
        assert not pattern.match(bad)


def test_the_committed_reference_page_is_generated_from_the_model():
    page = (ROOT / "docs" / "reference" / "model.md").read_text(encoding="utf-8")
    assert page == render(), "run `make docs` to regenerate docs/reference/model.md"


def test_every_table_comes_after_the_tables_it_points_at():
    # Ingest loads tables in this order and checks references against tables already loaded.
    order = list(TABLES)
    for name, table in TABLES.items():
        for column in table.columns:
            if column.references is not None:
                assert order.index(column.references.table) < order.index(name), (name, column)


def test_every_number_column_is_bounded():
    # A whole number too long for BIGINT could not be loaded; a bound quarantines it first. An
    # answer's value is bounded by its instrument instead (ingest.rules.answer_violations).
    unbounded = [
        f"{table.name}.{column.name}"
        for table in TABLES.values()
        for column in table.columns
        if column.kind in (Kind.INTEGER, Kind.DECIMAL)
        and (column.minimum is None or column.maximum is None)
    ]
    assert unbounded == ["measure_responses.value"]


def test_every_row_of_a_reference_table_has_as_many_cells_as_its_header():
    """A "|" in a pattern would split a cell: GitHub Markdown ends a cell at any unescaped one."""
    import re

    cells = None
    for line in render().splitlines():
        if not line.startswith("|"):
            cells = None
            continue
        count = len(re.findall(r"(?<!\\)\|", line))
        if cells is None:
            cells = count
        assert count == cells, line
