"""Soundex in SQL against the US National Archives' published examples and a plain-Python version."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.lib.sql_values import evaluated

from daeval.ingest.linkage_features import normalised_name_sql, soundex_sql

# Examples given by the National Archives ("The Soundex Indexing System", 2007).
PUBLISHED = {
    "Robert": "R163", "Rupert": "R163", "Rubin": "R150", "Ashcraft": "A261",
    "Ashcroft": "A261", "Tymczak": "T522", "Pfister": "P236", "Honeyman": "H555",
    "Lee": "L000", "Gutierrez": "G362", "Jackson": "J250", "Washington": "W252",
}  # fmt: skip

CODES = {**dict.fromkeys("BFPV", "1"), **dict.fromkeys("CGJKQSXZ", "2"), **dict.fromkeys("DT", "3"),
         "L": "4", "M": "5", "N": "5", "R": "6"}  # fmt: skip


def soundex(name: str) -> str:
    """Letter by letter, as the rules are written."""
    name = "".join(ch for ch in name.upper() if "A" <= ch <= "Z")
    out, last = name[0], CODES.get(name[0], "")
    for ch in name[1:]:
        if ch in "HW":
            continue
        code = CODES.get(ch, "")
        if code and code != last:
            out += code
        last = code
    return (out + "000")[:4]


def sql_soundex(names: list[str]) -> list[str | None]:
    return evaluated(lambda name: soundex_sql(normalised_name_sql(name)), names)


def test_published_examples():
    assert sql_soundex(list(PUBLISHED)) == list(PUBLISHED.values())
    assert [soundex(n) for n in PUBLISHED] == list(PUBLISHED.values())


def test_normalisation_drops_accents_and_punctuation():
    assert sql_soundex(["O'Brien-Smith", "Zoë", "  ", None]) == [
        soundex("OBRIENSMITH"),
        "Z000",
        None,
        None,
    ]


# Each name is coded on its own, so one query of many names checks as much as many queries of
# few: 25 lists of up to 300 names (200 lists of up to 30 before, at a query each).
@settings(max_examples=25, deadline=None)
@given(
    st.lists(
        st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=1, max_size=14),
        min_size=1,
        max_size=300,
    )
)
def test_sql_agrees_with_the_plain_version(names):
    assert sql_soundex(names) == [soundex(n) for n in names]


@pytest.mark.parametrize("a, b", [("Smith", "Smyth"), ("Catherine", "Kathryn")])
def test_spelling_variants(a, b):
    got = sql_soundex([a, b])
    assert (got[0] == got[1]) == (soundex(a) == soundex(b))
