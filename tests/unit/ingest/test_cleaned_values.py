"""A staged value is trimmed of spaces at either end, and an empty one is missing."""

from __future__ import annotations

from tests.lib.sql_values import evaluated

from daeval.ingest.rules import cleaned

CASES = [
    (" a ", "a"),
    ("a  ", "a"),
    ("  a", "a"),
    ("a", "a"),
    ("a b", "a b"),
    (" a b ", "a b"),
    ("", None),
    ("   ", None),
    (None, None),
    ("\ta\t", "\ta\t"),  # only spaces are trimmed, as DuckDB's trim() does
    ("é ", "é"),
]


def test_values_are_trimmed_and_empty_ones_missing():
    got = evaluated(cleaned, [c for c, _ in CASES])
    assert got == [want for _, want in CASES]
