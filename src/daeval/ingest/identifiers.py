"""Columns that look like identifiers, by their name or by their values.

A column outside the data contract reaches the warehouse only when the study file keeps it
(``data_sources`` ``keep``, with a reason), and never when it looks like an identifier: its name
is refused in the study file (:func:`identifier_by_name`), and a kept column whose values hold
one is dropped at the door (:func:`identifiers_by_content`, one SQL pass over the kept columns).

The patterns, each found anywhere in a value:

- NHS number: ten digits, written whole or 3-3-4 with spaces or hyphens, whose tenth digit is
  the modulus 11 check digit of the first nine (weights 10 down to 2; 11 - remainder, 11 read as
  0, 10 never valid). NHS Data Dictionary, NHS NUMBER
  (https://www.datadictionary.nhs.uk/attributes/nhs_number.html) and NHS Connecting for Health,
  "NHS Number check digit" (tech_nn_check_digit.pdf).
- UPN (unique pupil number): a letter and 12 digits, or a letter, 11 digits and a letter (a
  temporary UPN). UK Government Data Standards Catalogue, Unique Pupil Number 2.0, business
  format ``Annnnnnnnnnnn`` or ``AnnnnnnnnnnnA``
  (http://www.govtalk.gov.uk/gdsc/html/noframes/UniquePupilNumber-2-0-Release.htm); the DfE's
  guide "Unique pupil numbers (UPN)" gives the same 13 characters.
- UK postcode: the outward code (one or two letters, a digit, and a letter or digit) and the
  inward code (a digit and two letters), as :data:`daeval.privacy.minimise.POSTCODE_PATTERN`
  reads a whole postcode.
- A date: ``YYYY-MM-DD`` (ISO 8601) or day, month and year separated by ``/``, ``.`` or ``-``
  (a date of birth is one).
"""

from __future__ import annotations

import re

import duckdb

from daeval.ingest.rules import quote

NAMES_WORDS: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = (
    # (what it looks like, words found anywhere in the name with separators removed, whole words)
    ("an NHS number", ("nhsnumber", "nhsno", "chinumber"), ("nhs", "chi")),
    ("a UPN", ("pupilnumber", "learnernumber"), ("upn", "uln")),
    ("a date of birth", ("dateofbirth", "birth"), ("dob",)),
    ("a postcode", ("postcode", "postalcode", "zipcode"), ("zip",)),
    ("an address", ("address", "street"), ()),
    ("a National Insurance number", ("nationalinsurance",), ("nino",)),
    ("contact details", ("email", "phone", "mobile"), ()),
    ("a name", ("name",), ()),
)

_EDGE = "(^|[^0-9A-Z])"
_END = "([^0-9A-Z]|$)"
NHS_NUMBER_PATTERN = f"{_EDGE}([0-9]{{3}}[ -]?[0-9]{{3}}[ -]?[0-9]{{4}}){_END}"
UPN_PATTERN = f"{_EDGE}[A-Z][0-9]{{11}}[0-9A-Z]{_END}"
POSTCODE_PATTERN = f"{_EDGE}[A-Z]{{1,2}}[0-9][A-Z0-9]?[ \\t]*[0-9][A-Z]{{2}}{_END}"
DATE_PATTERN = (
    "(^|[^0-9])([0-9]{4}-[0-9]{1,2}-[0-9]{1,2}|[0-9]{1,2}[/.-][0-9]{1,2}[/.-][0-9]{2,4})([^0-9]|$)"
)


def identifier_by_name(name: str) -> str | None:
    """What a (normalised) column name says the column holds, when that is an identifier
    ("a name", "a date of birth", ...); None otherwise."""
    compact = re.sub(r"[^0-9a-z]", "", name)
    words = set(re.split(r"[^0-9a-z]+", name))
    for kind, parts, whole in NAMES_WORDS:
        if any(p in compact for p in parts) or words & set(whole):
            return kind
    return None


def _nhs_number_sql(value: str) -> str:
    """SQL true when ``value`` (upper case text) holds an NHS number with a valid check digit."""
    digits = f"regexp_replace(regexp_extract({value}, '{NHS_NUMBER_PATTERN}', 2), '[ -]', '', 'g')"
    weighted = (
        f"list_sum(list_transform(range(1, 10), lambda i: "
        f"(ascii(substr({digits}, i, 1)) - 48) * (11 - i)))"
    )
    return (
        f"(length({digits}) = 10 AND (11 - {weighted} % 11) % 11 = "
        f"ascii(substr({digits}, 10, 1)) - 48)"
    )


CONTENT_CHECKS: tuple[tuple[str, str], ...] = (
    ("NHS numbers", ""),
    ("UPNs", UPN_PATTERN),
    ("postcodes", POSTCODE_PATTERN),
    ("dates", DATE_PATTERN),
)
"""(what the values hold, the pattern they match; NHS numbers are checked by their check digit)."""


def identifiers_by_content(
    con: duckdb.DuckDBPyConnection, relation: str, columns: list[str]
) -> dict[str, str]:
    """{column: what its values hold ("NHS numbers", ...)} for the columns of ``relation`` some
    of whose values look like an identifier; one pass over the rows."""
    if not columns:
        return {}
    tests = []
    for column in columns:
        value = f"upper({quote(column)})"
        for _, pattern in CONTENT_CHECKS:
            test = f"regexp_matches({value}, '{pattern}')" if pattern else _nhs_number_sql(value)
            tests.append(f"coalesce(bool_or({test}), false)")
    row = con.execute(f"SELECT {', '.join(tests)} FROM {relation}").fetchone()
    assert row is not None
    found: dict[str, str] = {}
    for i, column in enumerate(columns):
        for j, (kind, _) in enumerate(CONTENT_CHECKS):
            if row[i * len(CONTENT_CHECKS) + j]:
                found[column] = kind
                break
    return found
