"""Linkage features, derived at the door from the direct identifiers and kept apart from the warehouse.

Names, dates of birth and postcodes are read only here. What linkage needs from them, normalised
names, the date of birth, sex, the postcode, and the full postcodes of the address history, goes
to a staging file (``WS/staging/linkage.duckdb``) that lives only until linkage has run and is
then deleted with it; the warehouse never receives them. What linkage compares beyond these (the
names' Soundex codes, year-month and day of birth, the postcode's sector) is derived from them
when linkage reads them (``compared_features_sql``).

Soundex is the American Soundex of the US National Archives ("The Soundex Indexing System"):
the first letter, then digits for the consonants that follow (B F P V = 1; C G J K Q S X Z = 2;
D T = 3; L = 4; M N = 5; R = 6), adjacent letters with the same digit written once, also across
H and W, vowels and Y separating, padded with zeros to three digits.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from daeval.ingest.rules import cell, date_sql
from daeval.warehouse.store import attached_transaction

STAGING_FILE = "linkage.duckdb"

FEATURES_DDL = """CREATE TABLE IF NOT EXISTS linkage_features (
  source VARCHAR NOT NULL,
  person_id UUID NOT NULL,
  first_name VARCHAR,
  last_name VARCHAR,
  date_of_birth DATE,
  sex VARCHAR,
  postcode VARCHAR
)"""
STAGED = ("source", "person_id", "first_name", "last_name", "date_of_birth", "sex", "postcode")
"""The columns ingest writes to ``linkage_features``."""
ADDRESSES_DDL = """CREATE TABLE IF NOT EXISTS linkage_addresses (
  source VARCHAR NOT NULL,
  person_id UUID NOT NULL,
  postcode VARCHAR NOT NULL
)"""
"""Every full postcode of the address histories, for linkage only."""

# A staging file written by an earlier version lacks the full postcode, or keeps the derived
# features instead of the date of birth (its rows keep them; see ``compared_features_sql``).
FEATURES_UPGRADE = (
    "ALTER TABLE linkage_features ADD COLUMN IF NOT EXISTS postcode VARCHAR",
    "ALTER TABLE linkage_features ADD COLUMN IF NOT EXISTS date_of_birth DATE",
)
# Letters with their Soundex digit (0 = a vowel or Y, which separates); H and W come last with no
# digit, so translate() removes them and equal digits on either side fall together.
_LETTERS = "AEIOUYBFPVCGJKQSXZDTLMNRHW"
_DIGITS = "000000111122222222334556"


def normalised_name_sql(expression: str) -> str:
    """Upper case, accents removed, letters A-Z only ("O'Brien-Smith" -> "OBRIENSMITH")."""
    return f"NULLIF(regexp_replace(upper(strip_accents({expression})), '[^A-Z]', '', 'g'), '')"


def soundex_sql(name: str) -> str:
    """SQL for the Soundex code of a normalised name (NULL for NULL)."""
    # The first letter's digit decides whether the next letter is written; H or W has none.
    first = f"coalesce(NULLIF(translate(left({name}, 1), '{_LETTERS}', '{_DIGITS}'), ''), '-')"
    digits = f"{first} || translate(substr({name}, 2), '{_LETTERS}', '{_DIGITS}')"
    for d in "0123456":
        digits = f"regexp_replace({digits}, '{d}+', '{d}', 'g')"
    rest = f"replace(substr({digits}, 2), '0', '')"
    return f"CASE WHEN {name} IS NOT NULL THEN left({name}, 1) || left(rpad({rest}, 3, '0'), 3) END"


def features_select(stage: str, person_id: str, minimised_sex: str, postcode: str) -> str:
    """SELECT of the staged linkage features (``STAGED``) of a staged people file's rows
    (``stage`` is a query); names repeat far more than people do, so each distinct spelling is
    normalised once."""
    first, last = cell("first_name"), cell("last_name")
    spellings = f"SELECT {first} AS n FROM {stage} UNION SELECT {last} FROM {stage}"
    return (
        f"WITH normal AS (SELECT n, {normalised_name_sql('n')} AS norm FROM ({spellings})) "
        "SELECT source, person_id, nf.norm AS first_name, nl.norm AS last_name, "
        "d AS date_of_birth, s AS sex, pc AS postcode FROM ("
        f"SELECT {cell('source')} AS source, {person_id} AS person_id, {first} AS f0, "
        f"{last} AS l0, {date_sql('date_of_birth')} AS d, {minimised_sex} AS s, {postcode} AS pc "
        f"FROM {stage}) AS people "
        "LEFT JOIN normal AS nf ON nf.n = people.f0 LEFT JOIN normal AS nl ON nl.n = people.l0"
    )


def compared_features_sql(staged: str, present: set[str]) -> str:
    """SELECT of the features linkage compares, from the staged features (``staged``, a table or
    query with the columns ``present``): the staged ones, the Soundex code of each name (coded
    once per distinct name), year-month and day of birth, and the postcode's sector."""
    dob = "f.date_of_birth" if "date_of_birth" in present else "NULL::DATE"
    pc = "f.postcode" if "postcode" in present else "NULL::VARCHAR"
    derived = {
        "birth_year_month": f"strftime({dob}, '%Y-%m')",
        "birth_day": f"CAST(day({dob}) AS INTEGER)",
        "postcode_sector": f"left({pc}, length({pc}) - 2)",
    }
    # Rows an earlier version wrote keep the features it stored.
    kept = {
        name: f"coalesce({sql}, f.{name})" if name in present else sql
        for name, sql in derived.items()
    }
    names = f"SELECT first_name AS n FROM {staged} UNION SELECT last_name FROM {staged}"
    return (
        f"WITH coded AS (SELECT n, {soundex_sql('n')} AS sx FROM ({names})) "
        "SELECT f.source, f.person_id, f.first_name, f.last_name, "
        "cf.sx AS first_name_soundex, cl.sx AS last_name_soundex, "
        f"{kept['birth_year_month']} AS birth_year_month, {kept['birth_day']} AS birth_day, "
        f"f.sex, {kept['postcode_sector']} AS postcode_sector, {pc} AS postcode "
        f"FROM {staged} AS f LEFT JOIN coded AS cf ON cf.n = f.first_name "
        "LEFT JOIN coded AS cl ON cl.n = f.last_name"
    )


def addresses_select(stage: str, person_id: str, postcode: str, is_postcode: str) -> str:
    """SELECT of the full postcodes of a staged addresses file's rows (``stage`` is a query;
    ``is_postcode`` chooses the rows whose ``postcode`` is one)."""
    return (
        f"SELECT {cell('source')} AS source, {person_id} AS person_id, {postcode} AS postcode "
        f"FROM {stage} WHERE {is_postcode}"
    )


DDL = {
    "linkage_features": (FEATURES_DDL, *FEATURES_UPGRADE),
    "linkage_addresses": (ADDRESSES_DDL,),
}
COLUMNS = {"linkage_features": STAGED, "linkage_addresses": ("source", "person_id", "postcode")}


def write_features(
    con: duckdb.DuckDBPyConnection,
    staging_file: Path,
    selects: list[str],
    sources: list[str],
    table: str = "linkage_features",
) -> None:
    """Replace the rows of ``sources`` in a table of the staging file with the rows of ``selects``."""
    target = f"linkage_staging.{table}"
    with attached_transaction(con, staging_file, "linkage_staging"):
        for ddl in DDL[table]:
            con.execute(ddl.replace(table, target, 1))
        if sources:
            marks = ", ".join("?" for _ in sources)
            con.execute(f"DELETE FROM {target} WHERE source IN ({marks})", sources)
        columns = ", ".join(COLUMNS[table])
        for select in selects:
            con.execute(f"INSERT INTO {target} ({columns}) {select}")
